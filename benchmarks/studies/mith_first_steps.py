"""MITH's first optimisation steps: when its hashes saturate and their bits stop varying.

    python -m benchmarks.studies.mith_first_steps [--bits 16 32] [--steps 36] [--every 5]
                                                  [--likelihood-scale 0.5]

Trains MITH (defaults, the 2-epoch schedule of `benchmarks.studies.mith_ablation`: warm-up over the
first 7 of 142 steps) on MIRFlickr's training pairs (15,677 pairs, protocol `mirflickr`, 1,000
pairs held out, seed 0; cached EfficientNet-Lite0 and MiniLM tokens) and stops after --steps
steps.  Every --every steps it prints, over that step's batch of 128 pairs: the likelihood and
distillation terms, for each hash (global h_g, local h_l) and modality (image/text) the share of
saturated entries (|h| > 0.9) and the number of stuck bits (sign the same for more than 95 % of
the batch), the mean norm of the ResMLP output r of the global features, and the mean norm of
the concept embedding's rows ‖W_c,k‖.  The hashes are read
(:func:`cmhash.methods.mith_diagnostics.hash_parts`) just before the step's update, with the
parameters its forward pass uses.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from cmhash.data import load_dataset, make_split
from cmhash.inputs import dataset_features
from cmhash.methods.mith import MITH
from cmhash.methods.mith_diagnostics import hash_parts, saturation, stuck_bits
from cmhash.training import Phase, TrainState
from cmhash.validation_protocol import validation_split


class TraceComplete(Exception):
    """Raised by :class:`TracedMITH` once it has taken its steps."""


class TracedMITH(MITH):
    """MITH that, once :meth:`tracing` is called, prints batch statistics of its hashes every
    ``every`` steps and stops after ``steps`` (its constructor stays MITH's, whose parameters
    ``get_params`` reads)."""

    def tracing(self, inputs: tuple[Any, Any], steps: int, every: int) -> TracedMITH:
        """Trace the fit on ``inputs``, the (image, text) token features it is given."""
        self.trace = (inputs, steps, every)
        self.steps_taken = 0
        return self

    def phases(self) -> list[Phase]:
        return [dataclasses.replace(phase, step=self.traced(phase.step))
                for phase in super().phases()]

    def traced(self, step: Callable[[TrainState, torch.Tensor], dict[str, float]]
               ) -> Callable[[TrainState, torch.Tensor], dict[str, float]]:
        """``step``, with the batch's hashes read before it and a row printed after it."""
        def traced_step(state: TrainState, rows: torch.Tensor) -> dict[str, float]:
            (image, text), steps, every = self.trace
            batch_rows = rows.cpu().numpy()
            parts = {m: hash_parts(self, x, m, batch_rows)
                     for m, x in (("image", image), ("text", text))}
            losses = step(state, rows)
            self.steps_taken += 1
            if self.steps_taken == 1 or self.steps_taken % every == 0:
                self.print_row(losses, parts)
            if self.steps_taken >= steps:
                raise TraceComplete
            return losses
        return traced_step

    def print_row(self, losses: dict[str, float], parts: dict) -> None:
        columns: dict[str, list[str]] = {}
        for modality in ("image", "text"):
            for part, h in (("global", parts[modality].global_hash),
                            ("local", parts[modality].local_hash)):
                columns.setdefault(f"{part} saturated", []).append(f"{saturation(h):.2f}")
                columns.setdefault(f"{part} stuck", []).append(str(stuck_bits(h)))
            r_norm = np.linalg.norm(parts[modality].global_embedding, axis=1).mean()
            columns.setdefault("r", []).append(f"{r_norm:.1f}")
        concept_norm = self.concept_learning_.concepts.weight.detach().norm(dim=1).mean().item()
        cells = " | ".join("/".join(values) for values in columns.values())
        print(f"| {self.bits} | {self.steps_taken} | {losses['inter']:.2f} | "
              f"{losses['intra']:.2f} | {losses['distil']:.1f} | {cells} | {concept_norm:.2f} |",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="default: $CMHASH_DATA_ROOT, else ./data")
    parser.add_argument("--bits", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--steps", type=int, default=36)
    parser.add_argument("--every", type=int, default=5)
    parser.add_argument("--likelihood-scale", type=float, default=0.5)
    args = parser.parse_args()
    dataset = load_dataset("mirflickr-images", args.data_root)
    fit_rows = validation_split(make_split(dataset, "mirflickr"), 1000, 0).fit
    image = dataset_features(dataset, "image", "efficientnet_lite0", "tokens")[0][fit_rows]
    text = dataset_features(dataset, "text", "minilm", "tokens")[0][fit_rows]
    labels = dataset.labels[fit_rows]
    print(f"MITH first steps on MIRFlickr, likelihood scale {args.likelihood_scale}; "
          "batch statistics (image/text)")
    print("| bits | step | inter | intra | distil | h_g saturated | h_g stuck bits | "
          "h_l saturated | h_l stuck bits | ‖r‖ | ‖W_c,k‖ |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for bits in args.bits:
        method = TracedMITH(bits, epochs=2, random_state=0,
                            likelihood_scale=args.likelihood_scale).tracing(
            (image, text), args.steps, args.every)
        with contextlib.suppress(TraceComplete):
            method.fit(image, text, labels)


if __name__ == "__main__":
    main()
