"""How the baselines' defaults were chosen: a small grid scored on a validation split.

400 pairs are held out from Wiki's 2,173 training pairs (as `cmhash run` holds pairs out, seed
0); each setting is trained on the other 1,773 and scored by `map` with the held-out pairs as
queries against the 1,773 training pairs as database (mirroring the `wiki` protocol, whose
database is the training set), 64 bits.  The test queries are never used.

    python -m benchmarks.studies.baseline_validation [--data-root DIR]
"""

from __future__ import annotations

import argparse

from cmhash.data import load_dataset, make_split
from cmhash.methods import create_method
from cmhash.validation_protocol import validation_split

GRID = {
    "cca_itq": [{"n_anchors": 500}, {"n_anchors": 1000}],
    "ridge_hash": [{"n_anchors": n, "ridge": r} for n in (500, 1000)
                   for r in (0.01, 0.1, 1.0)],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="default: $CMHASH_DATA_ROOT, else ./data")
    args = parser.parse_args()
    wiki = load_dataset("wiki", args.data_root)
    protocol = validation_split(make_split(wiki, "wiki"), 400, 0)
    image, text, labels = wiki.image_feature(), wiki.text_feature(), wiki.labels
    print(f"Wiki validation split ({len(protocol.queries)} held out of the "
          f"{len(protocol.queries) + len(protocol.fit):,} train pairs), 64 bits, `map`")
    print("| method | parameters | I→T | T→I |")
    print("|---|---|---|---|")
    for name, settings in GRID.items():
        for params in settings:
            fit = protocol.fit
            method = create_method(name, bits=64, random_state=0, **params).fit(
                image[fit], text[fit], labels[fit])
            i2t, t2i = protocol.cross_modal_map(
                {"image": method.encode_image(image[protocol.queries]),
                 "text": method.encode_text(text[protocol.queries])},
                {"image": method.encode_image(image[protocol.database]),
                 "text": method.encode_text(text[protocol.database])}, labels)
            print(f"| {name} | {params} | {i2t:.4f} | {t2i:.4f} |", flush=True)


if __name__ == "__main__":
    main()
