"""How the baselines' defaults were chosen: a small grid scored on a validation split.

400 pairs are held out from Wiki's 2,173 training pairs (seed 0); each setting is trained on the
other 1,773 and scored by `map` with the held-out pairs as queries against the 1,773 training
pairs as database (mirroring the `wiki` protocol, whose database is the training set), 64 bits.
The test queries are never used.

    python benchmarks/baseline_validation.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from cmhash.data import load_dataset, make_split  # noqa: E402
from cmhash.methods import create_method  # noqa: E402
from cmhash.metrics import mean_average_precision  # noqa: E402

GRID = {
    "cca_itq": [{"n_anchors": 500}, {"n_anchors": 1000}],
    "ridge_hash": [{"n_anchors": n, "ridge": r} for n in (500, 1000)
                   for r in (0.01, 0.1, 1.0)],
}


def main() -> None:
    data_root = sys.argv[1] if len(sys.argv) > 1 else REPO.parent / "shared" / "data"
    wiki = load_dataset("wiki", data_root)
    train = np.random.default_rng(0).permutation(make_split(wiki, "wiki").train)
    held_out, fit_rows = train[:400], train[400:]
    image, text, labels = wiki.image_feature(), wiki.text_feature(), wiki.labels
    print("Wiki validation split (400 held out of the 2,173 train pairs), 64 bits, `map`")
    print("| method | parameters | I→T | T→I |")
    print("|---|---|---|---|")
    for name, settings in GRID.items():
        for params in settings:
            method = create_method(name, bits=64, random_state=0, **params).fit(
                image[fit_rows], text[fit_rows], labels[fit_rows])
            i2t = mean_average_precision(method.encode_image(image[held_out]),
                                         method.encode_text(text[fit_rows]),
                                         labels[held_out], labels[fit_rows])
            t2i = mean_average_precision(method.encode_text(text[held_out]),
                                         method.encode_image(image[fit_rows]),
                                         labels[held_out], labels[fit_rows])
            print(f"| {name} | {params} | {i2t:.4f} | {t2i:.4f} |")


if __name__ == "__main__":
    main()
