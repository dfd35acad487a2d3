"""HMAH / BMC-SDNU feature files: ``I_`` (image), ``T_`` (text), ``L_`` (labels) × ``tr`` /
``db`` / ``te``, in one ``.mat`` file or spread over several (HMAH: ``*_train.mat``,
``*_retrieval.mat``, ``*_query.mat``).  MATLAB v7.3 files are transposed on read.

Rows are stacked train, database, query; the stored split points at them.  Whether the
database repeats the training pairs cannot be told from the files, so it is recorded as unknown.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cmhash.data.dataset import PairedDataset, Split
from cmhash.errors import InputError
from cmhash.utils.matfile import MatFile
from cmhash.utils.validation import check_file, check_same_rows

PARTS = ("tr", "db", "te")


def read_triplet_mat(path: str | Path) -> PairedDataset:
    """Read a ``.mat`` file, or every ``.mat`` file of a folder, holding the nine keys."""
    path = check_file(path, "feature file or folder")
    files = sorted(path.glob("*.mat")) if path.is_dir() else [path]
    if not files:
        raise InputError(f"{path}: no .mat files in this folder")
    owner: dict[str, MatFile] = {}
    for file in files:
        mat = MatFile(file)
        for key in mat.keys:
            owner.setdefault(key, mat)
    blocks: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for part in PARTS:
        keys = [f"I_{part}", f"T_{part}", f"L_{part}"]
        missing = [k for k in keys if k not in owner]
        if missing:
            raise InputError(f"{path}: missing key {missing[0]!r} (found: "
                             f"{', '.join(sorted(owner))})")
        arrays = [owner[k].matrix(k) for k in keys]
        check_same_rows(dict(zip(keys, arrays, strict=True)), str(path))
        blocks[part] = arrays  # type: ignore[assignment]
    sizes = [len(blocks[p][0]) for p in PARTS]
    starts = np.cumsum([0, *sizes])
    ranges = {p: np.arange(starts[i], starts[i + 1]) for i, p in enumerate(PARTS)}
    split = Split(train=ranges["tr"], query=ranges["te"], database=ranges["db"],
                  protocol="presplit", database_contains_train=None)
    return PairedDataset(
        name=path.stem,
        ids=[f"{p}{i}" for p, n in zip(PARTS, sizes, strict=True) for i in range(n)],
        labels=np.concatenate([blocks[p][2] for p in PARTS]),
        image_features={"feature": np.concatenate([blocks[p][0] for p in PARTS])},
        text_features={"feature": np.concatenate([blocks[p][1] for p in PARTS])},
        presplit=split,
    )
