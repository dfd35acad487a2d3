"""The Wikipedia benchmark (Rasiwasia et al. 2010) as ``wikiData.mat`` (MATLAB v5).

Keys: ``I_tr``/``I_te`` 128-d SIFT bag-of-visual-words, ``T_tr``/``T_te`` 10-d LDA topics,
``L_tr``/``L_te`` one category 1..10.  Rows: the 2,173 train pairs, then the 693 test pairs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cmhash.data.dataset import PairedDataset, Split
from cmhash.errors import InputError
from cmhash.utils.matfile import MatFile
from cmhash.utils.validation import check_same_rows

#: Category names in the order of the ids 1..10 (the dataset's alphabetical order).
WIKI_CATEGORIES = ["art", "biology", "geography", "history", "literature", "media", "music",
                   "royalty", "sport", "warfare"]


def _one_hot(categories: np.ndarray, path: Path, key: str) -> np.ndarray:
    categories = np.ravel(categories).astype(np.int64)
    if categories.size and (categories.min() < 1 or categories.max() > len(WIKI_CATEGORIES)):
        raise InputError(f"{path}: key {key!r} must hold categories 1..10, found "
                         f"{categories.min()}..{categories.max()}")
    return np.eye(len(WIKI_CATEGORIES), dtype=np.uint8)[categories - 1]


def read_wiki(path: str | Path) -> PairedDataset:
    """Read ``wikiData.mat`` (a file, or a folder holding ``wikiData.mat``)."""
    path = Path(path)
    if path.is_dir():
        path = path / "wikiData.mat"
    mat = MatFile(path)
    parts = {}
    for part in ("tr", "te"):
        image, text = mat.matrix(f"I_{part}"), mat.matrix(f"T_{part}")
        labels = _one_hot(mat.matrix(f"L_{part}"), path, f"L_{part}")
        check_same_rows({f"I_{part}": image, f"T_{part}": text, f"L_{part}": labels}, str(path))
        parts[part] = image, text, labels
    n_train, n_test = len(parts["tr"][2]), len(parts["te"][2])
    split = Split(train=np.arange(n_train), query=np.arange(n_train, n_train + n_test),
                  database=np.arange(n_train), protocol="wiki", database_contains_train=True)
    return PairedDataset(
        name="wiki",
        ids=[f"train{i}" for i in range(n_train)] + [f"test{i}" for i in range(n_test)],
        labels=np.concatenate([parts["tr"][2], parts["te"][2]]),
        label_names=list(WIKI_CATEGORIES),
        image_features={"sift_bovw": np.concatenate([parts["tr"][0], parts["te"][0]])},
        text_features={"lda": np.concatenate([parts["tr"][1], parts["te"][1]])},
        presplit=split,
    )
