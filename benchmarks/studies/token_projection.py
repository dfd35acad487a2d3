"""Why the frozen backbone layer-normalises the encoders' features before projecting them.

MITH at 16 bits trained on the first --pairs of MIRFlickr-25K's training pairs (15,677 pairs,
128-px images, protocol `mirflickr`; 1,000 training pairs held out for validation, seed 0) for
--epochs epochs with its defaults, on the cached EfficientNet-Lite0 tokens and MiniLM tokens,
with and without the LayerNorm before each modality's projection.  The table gives `map` of the
1,000 validation queries against the first 3,000 training pairs (test queries unused), for the
code sign(h_g + h_l) and for the global and local hashes alone, with the mean of each loss term
over the last epoch.

    python -m benchmarks.studies.token_projection [--pairs 3000] [--epochs 3]
"""

from __future__ import annotations

import argparse
import time

from cmhash.data import load_dataset, make_split
from cmhash.inputs import dataset_features
from cmhash.methods import create_method
from cmhash.methods.mith import MITH
from cmhash.methods.mith_diagnostics import PARTS, hash_parts
from cmhash.validation_protocol import ValidationSplit, validation_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="default: $CMHASH_DATA_ROOT, else ./data")
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    dataset = load_dataset("mirflickr-images", args.data_root)
    full = validation_split(make_split(dataset, "mirflickr"), 1000, 0,
                            MITH.validation_database_size)
    fit_rows = full.fit[: args.pairs]
    protocol = ValidationSplit(fit=fit_rows, queries=full.queries,
                               database=fit_rows[:MITH.validation_database_size])
    features = {"image": dataset_features(dataset, "image", "efficientnet_lite0", "tokens")[0],
                "text": dataset_features(dataset, "text", "minilm", "tokens")[0]}
    labels = dataset.labels
    print(f"MITH, 16 bits, {len(fit_rows)} training pairs, {args.epochs} epochs; validation map "
          f"of {len(protocol.queries)} queries against {len(protocol.database)} training pairs")
    print("| LayerNorm | hash | I→T | T→I | last-epoch losses | train s |")
    print("|---|---|---|---|---|---|")
    for normalize in (True, False):
        method = create_method("mith", bits=16, epochs=args.epochs, random_state=0,
                               normalize_features=normalize)
        started = time.perf_counter()
        method.fit(features["image"][fit_rows], features["text"][fit_rows], labels[fit_rows])
        seconds = time.perf_counter() - started
        losses = " ".join(f"{k} {v:.3g}" for k, v in method.history_[-1]["losses"].items())
        queries = {m: hash_parts(method, x, m, protocol.queries) for m, x in features.items()}
        database = {m: hash_parts(method, x, m, protocol.database) for m, x in features.items()}
        for part in PARTS:
            i2t, t2i = protocol.cross_modal_map({m: p.codes(part) for m, p in queries.items()},
                                                {m: p.codes(part) for m, p in database.items()},
                                                labels)
            print(f"| {'yes' if normalize else 'no'} | {part} | {i2t:.4f} | {t2i:.4f} | "
                  f"{losses} | {seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
