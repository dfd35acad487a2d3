"""MITH's first optimisation steps: when its hashes saturate and their bits stop varying.

    python benchmarks/mith_first_steps.py [--bits 16 32] [--steps 36] [--every 5]
                                          [--likelihood-scale 0.5]

Trains MITH (defaults, the 2-epoch schedule of `benchmarks/mith_ablation.py`: warm-up over the
first 7 of 142 steps) on MIRFlickr's training pairs (15,677 pairs, protocol `mirflickr`, 1,000
pairs held out, seed 0; cached EfficientNet-Lite0 and MiniLM tokens) and stops after --steps
steps.  Every --every steps it prints, over that step's batch of 128 pairs: the likelihood and
distillation terms, for each hash (global h_g, local h_l) and modality (image/text) the share of
saturated entries (|h| > 0.9) and the number of stuck bits (sign the same for more than 95 % of
the batch), the mean norm of the ResMLP output r of the global features, and the mean norm of
the concept embedding's rows ‖W_c,k‖.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

from token_parts import saturation_and_stuck_bits  # noqa: E402

from cmhash.data import carve_validation, load_dataset, make_split  # noqa: E402
from cmhash.encoders import token_features  # noqa: E402
from cmhash.methods.mith import MITH  # noqa: E402
from cmhash.methods.token_base import TokenBatch  # noqa: E402
from cmhash.training import TrainState  # noqa: E402


class TraceComplete(Exception):
    """Raised by :class:`TracedMITH` once it has taken its steps."""


class TracedMITH(MITH):
    """MITH that prints batch statistics of its hashes every ``every`` steps and stops after
    ``steps``."""

    def __init__(self, bits: int, steps: int, every: int, **params) -> None:
        super().__init__(bits, **params)
        self.trace = (steps, every)
        self.steps_taken = 0
        self.outputs: dict[str, dict[str, torch.Tensor]] = {}

    def _hashes(self, batch: TokenBatch, modality: str) -> dict[str, torch.Tensor]:
        self.outputs[modality] = out = super()._hashes(batch, modality)
        return out

    def _step(self, state: TrainState, rows: torch.Tensor) -> dict[str, float]:
        losses = super()._step(state, rows)
        self.steps_taken += 1
        steps, every = self.trace
        if self.steps_taken == 1 or self.steps_taken % every == 0:
            self.print_row(losses)
        if self.steps_taken >= steps:
            raise TraceComplete
        return losses

    def print_row(self, losses: dict[str, float]) -> None:
        columns: dict[str, list[str]] = {}
        for modality in ("image", "text"):
            out = {name: h.detach() for name, h in self.outputs[modality].items()}
            for part in ("global", "local"):
                saturated, stuck = saturation_and_stuck_bits(out[part])
                columns.setdefault(f"{part} saturated", []).append(f"{saturated:.2f}")
                columns.setdefault(f"{part} stuck", []).append(str(stuck))
            columns.setdefault("r", []).append(f"{out['r'].norm(dim=1).mean().item():.1f}")
        concept_norm = self.concept_learning_.concepts.weight.detach().norm(dim=1).mean().item()
        cells = " | ".join("/".join(values) for values in columns.values())
        print(f"| {self.bits} | {self.steps_taken} | {losses['inter']:.2f} | "
              f"{losses['intra']:.2f} | {losses['distil']:.1f} | {cells} | {concept_norm:.2f} |",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--bits", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--steps", type=int, default=36)
    parser.add_argument("--every", type=int, default=5)
    parser.add_argument("--likelihood-scale", type=float, default=0.5)
    args = parser.parse_args()
    dataset = load_dataset("mirflickr-images", args.data_root)
    fit_rows, _ = carve_validation(make_split(dataset, "mirflickr").train, 1000, 0)
    image = token_features(dataset, "image", "efficientnet_lite0")[0][fit_rows]
    text = token_features(dataset, "text", "minilm")[0][fit_rows]
    labels = dataset.labels[fit_rows]
    print(f"MITH first steps on MIRFlickr, likelihood scale {args.likelihood_scale}; "
          "batch statistics (image/text)")
    print("| bits | step | inter | intra | distil | h_g saturated | h_g stuck bits | "
          "h_l saturated | h_l stuck bits | ‖r‖ | ‖W_c,k‖ |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for bits in args.bits:
        method = TracedMITH(bits, args.steps, args.every, epochs=2, random_state=0,
                            likelihood_scale=args.likelihood_scale)
        with contextlib.suppress(TraceComplete):
            method.fit(image, text, labels)


if __name__ == "__main__":
    main()
