"""What a trained MITH model's code is made of: its global and local hashes, separately.

    python benchmarks/token_parts.py MODEL [--dataset mirflickr-images] [--protocol mirflickr]

MODEL is a MITH model bundle written by `cmhash run` (``model_<bits>/``) on token features
(EfficientNet-Lite0 tokens, MiniLM tokens).  Its queries are the 1,000 validation pairs that
`cmhash run` holds out of the training pairs (seed 0) and its database the first 3,000 of the
other training pairs — the model's own validation, test queries unused.  It prints `map` for the
code sign(h_g + h_l) and for the global and local hashes alone, and for each hash the fraction of
saturated entries (|h| > 0.9), the number of bits with |mean sign| > 0.9 over the database (stuck
bits) and how often the signs of h_g and h_l agree; then the share of empty concepts (concept
tokens that LTA leaves zero because no token of the item scores the concept positively) and how
often h_l agrees in sign with h_g on them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

from token_projection import hash_parts  # noqa: E402

from cmhash.bundle import load_model  # noqa: E402
from cmhash.data import carve_validation, load_dataset, make_split  # noqa: E402
from cmhash.encoders import token_features  # noqa: E402
from cmhash.methods.mith import MITH  # noqa: E402
from cmhash.metrics import mean_average_precision  # noqa: E402
from cmhash.nn.transformer import localized_token_aggregation  # noqa: E402


def saturation_and_stuck_bits(h: torch.Tensor) -> tuple[float, int]:
    """The share of entries of the (n × K) hashes ``h`` with |h| > 0.9, and the number of bits
    whose sign is the same for more than 95 % of the n items (|mean sign| > 0.9)."""
    return (h.abs() > 0.9).float().mean().item(), int((h.sign().mean(0).abs() > 0.9).sum())


@torch.no_grad()
def hash_statistics(method: MITH, x, rows, modality: str) -> dict[str, float]:
    """Saturation and stuck bits of h_g and h_l, their sign agreement, and the empty concepts,
    over ``rows``."""
    batch = method.backbone_.embed(x, rows, modality)
    out = method._hashes(batch, modality)
    scores = method.concept_learning_(batch.tokens)[1]
    empty = localized_token_aggregation(scores, batch.tokens, batch.mask,
                                        method.top_k).abs().sum(dim=2) == 0
    agree = out["global"].sign() == out["local"].sign()
    stats = {"empty concepts": empty.float().mean().item(),
             "agreement on empty": agree[empty].float().mean().item()}
    for part in ("global", "local"):
        stats[f"{part} saturated"], stats[f"{part} stuck bits"] = \
            saturation_and_stuck_bits(out[part])
    stats["sign agreement"] = agree.float().mean().item()
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--data-root", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--dataset", default="mirflickr-images")
    parser.add_argument("--protocol", default="mirflickr")
    args = parser.parse_args()
    method = load_model(args.model).hashing_method
    if not isinstance(method, MITH):
        sys.exit(f"token_parts: {args.model} is a {method.name} model, not mith")
    dataset = load_dataset(args.dataset, args.data_root)
    fit_rows, validation_rows = carve_validation(make_split(dataset, args.protocol).train,
                                                 1000, 0)
    database_rows = fit_rows[:3000]
    features = {"image": token_features(dataset, "image", "efficientnet_lite0")[0],
                "text": token_features(dataset, "text", "minilm")[0]}
    labels = dataset.labels
    queries = {m: hash_parts(method, x, validation_rows, m) for m, x in features.items()}
    database = {m: hash_parts(method, x, database_rows, m) for m, x in features.items()}
    print(f"{args.model}: mith, {method.bits} bits; validation map, {len(validation_rows)} "
          f"queries against {len(database_rows)} training pairs")
    print("| hash | I→T | T→I |")
    print("|---|---|---|")
    for part in ("code", "global", "local"):
        i2t = mean_average_precision(queries["image"][part], database["text"][part],
                                     labels[validation_rows], labels[database_rows])
        t2i = mean_average_precision(queries["text"][part], database["image"][part],
                                     labels[validation_rows], labels[database_rows])
        print(f"| {part} | {i2t:.4f} | {t2i:.4f} |")
    print()
    print("| modality | h_g saturated | h_g stuck bits | h_l saturated | h_l stuck bits | "
          "sign agreement | empty concepts | agreement on empty |")
    print("|---|---|---|---|---|---|---|---|")
    for modality, x in features.items():
        s = hash_statistics(method, x, database_rows, modality)
        print(f"| {modality} | {s['global saturated']:.2f} | {s['global stuck bits']} | "
              f"{s['local saturated']:.2f} | {s['local stuck bits']} | "
              f"{s['sign agreement']:.2f} | {s['empty concepts']:.2f} | "
              f"{s['agreement on empty']:.2f} |")


if __name__ == "__main__":
    main()
