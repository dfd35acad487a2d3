"""What a trained MITH model's code is made of: its global and local hashes, separately.

    python -m benchmarks.studies.token_parts MODEL [--dataset mirflickr-images]
                                                [--protocol mirflickr] [--seed 0]

MODEL is a MITH model bundle written by `cmhash run` (``model_<bits>/``) on token features
(EfficientNet-Lite0 tokens, MiniLM tokens).  Its queries are the 1,000 validation pairs that
`cmhash run` holds out of the training pairs (--seed: the run's seed) and its database the
first 3,000 of the other training pairs — the model's own validation, test queries unused.  It
prints `map` for the code sign(h_g + h_l) and for the global and local hashes alone, and for
each hash the fraction of saturated entries (|h| > 0.9), the number of bits with |mean sign| >
0.9 over the database (stuck bits) and how often the signs of h_g and h_l agree; then the share
of empty concepts (concept tokens that LTA leaves zero because no token of the item scores the
concept positively) and how often h_l agrees in sign with h_g on them
(:mod:`cmhash.methods.mith_diagnostics`).
"""

from __future__ import annotations

import argparse
import sys

from cmhash.bundle import load_model
from cmhash.data import load_dataset, make_split
from cmhash.inputs import dataset_features
from cmhash.methods.mith import MITH
from cmhash.methods.mith_diagnostics import PARTS, hash_parts, hash_statistics
from cmhash.validation_protocol import validation_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--data-root", help="default: $CMHASH_DATA_ROOT, else ./data")
    parser.add_argument("--dataset", default="mirflickr-images")
    parser.add_argument("--protocol", default="mirflickr")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (its validation "
                                                             "split)")
    args = parser.parse_args()
    method = load_model(args.model).hashing_method
    if not isinstance(method, MITH):
        sys.exit(f"token_parts: {args.model} is a {method.name} model, not mith")
    dataset = load_dataset(args.dataset, args.data_root)
    protocol = validation_split(make_split(dataset, args.protocol), 1000, args.seed,
                                MITH.validation_database_size)
    features = {"image": dataset_features(dataset, "image", "efficientnet_lite0", "tokens")[0],
                "text": dataset_features(dataset, "text", "minilm", "tokens")[0]}
    queries = {m: hash_parts(method, x, m, protocol.queries) for m, x in features.items()}
    database = {m: hash_parts(method, x, m, protocol.database) for m, x in features.items()}
    print(f"{args.model}: mith, {method.bits} bits; validation map, {len(protocol.queries)} "
          f"queries against {len(protocol.database)} training pairs")
    print("| hash | I→T | T→I |")
    print("|---|---|---|")
    for part in PARTS:
        i2t, t2i = protocol.cross_modal_map({m: p.codes(part) for m, p in queries.items()},
                                            {m: p.codes(part) for m, p in database.items()},
                                            dataset.labels)
        print(f"| {part} | {i2t:.4f} | {t2i:.4f} |")
    print()
    print("| modality | h_g saturated | h_g stuck bits | h_l saturated | h_l stuck bits | "
          "sign agreement | empty concepts | agreement on empty |")
    print("|---|---|---|---|---|---|---|---|")
    for modality, parts in database.items():
        s = hash_statistics(parts)
        print(f"| {modality} | {s['global saturated']:.2f} | {s['global stuck bits']} | "
              f"{s['local saturated']:.2f} | {s['local stuck bits']} | "
              f"{s['sign agreement']:.2f} | {s['empty concepts']:.2f} | "
              f"{s['agreement on empty']:.2f} |")


if __name__ == "__main__":
    main()
