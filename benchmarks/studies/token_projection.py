"""Why the frozen backbone layer-normalises the encoders' features before projecting them.

MITH at 16 bits trained on the first --pairs of MIRFlickr-25K's training pairs (15,677 pairs,
128-px images, protocol `mirflickr`; 1,000 training pairs held out for validation, seed 0) for
--epochs epochs with its defaults, on the cached EfficientNet-Lite0 tokens and MiniLM tokens,
with and without the LayerNorm before each modality's projection.  The table gives `map` of the
1,000 validation queries against the first 3,000 training pairs (test queries unused), for the
code sign(h_g + h_l) and for the global and local hashes alone, with the mean of each loss term
over the last epoch.

    python benchmarks/token_projection.py [--pairs 3000] [--epochs 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from cmhash.codes import Codes  # noqa: E402
from cmhash.data import carve_validation, load_dataset, make_split  # noqa: E402
from cmhash.encoders import token_features  # noqa: E402
from cmhash.methods import create_method  # noqa: E402
from cmhash.methods.mith import MITH  # noqa: E402
from cmhash.metrics import mean_average_precision  # noqa: E402


@torch.no_grad()
def hash_parts(method: MITH, x, rows: np.ndarray, modality: str) -> dict[str, Codes]:
    """Codes of the global hash, the local hash and their sum for ``rows`` of ``x``."""
    for net in method.networks().values():
        net.eval()
    parts: dict[str, list[torch.Tensor]] = {"global": [], "local": [], "code": []}
    for start in range(0, len(rows), 256):
        out = method._hashes(method.backbone_.embed(x, rows[start:start + 256], modality),
                             modality)
        parts["global"].append(out["global"])
        parts["local"].append(out["local"])
        parts["code"].append(out["global"] + out["local"])
    return {name: Codes.from_real(torch.cat(values).numpy()) for name, values in parts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    dataset = load_dataset("mirflickr-images", args.data_root)
    fit_rows, validation_rows = carve_validation(make_split(dataset, "mirflickr").train, 1000, 0)
    fit_rows = fit_rows[: args.pairs]
    database_rows = fit_rows[:3000]
    image, _ = token_features(dataset, "image", "efficientnet_lite0")
    text, _ = token_features(dataset, "text", "minilm")
    labels = dataset.labels
    print(f"MITH, 16 bits, {len(fit_rows)} training pairs, {args.epochs} epochs; validation map "
          f"of {len(validation_rows)} queries against {len(database_rows)} training pairs")
    print("| LayerNorm | hash | I→T | T→I | last-epoch losses | train s |")
    print("|---|---|---|---|---|---|")
    for normalize in (True, False):
        method = create_method("mith", bits=16, epochs=args.epochs, random_state=0,
                               normalize_features=normalize)
        started = time.perf_counter()
        method.fit(image[fit_rows], text[fit_rows], labels[fit_rows])
        seconds = time.perf_counter() - started
        losses = " ".join(f"{k} {v:.3g}" for k, v in method.history_[-1]["losses"].items())
        queries = {m: hash_parts(method, x, validation_rows, m)
                   for m, x in (("image", image), ("text", text))}
        database = {m: hash_parts(method, x, database_rows, m)
                    for m, x in (("image", image), ("text", text))}
        for part in ("code", "global", "local"):
            i2t = mean_average_precision(queries["image"][part], database["text"][part],
                                         labels[validation_rows], labels[database_rows])
            t2i = mean_average_precision(queries["text"][part], database["image"][part],
                                         labels[validation_rows], labels[database_rows])
            print(f"| {'yes' if normalize else 'no'} | {part} | {i2t:.4f} | {t2i:.4f} | "
                  f"{losses} | {seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
