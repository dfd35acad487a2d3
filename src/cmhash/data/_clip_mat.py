"""The CLIP-era layout of MITH / MATH: ``index.mat`` (key ``index``: image paths),
``caption.mat`` (``caption``: one string per pair) and ``label.mat`` (``label``: n × C).

Strings are MATLAB char rows padded with spaces; the padding is stripped.  Relative image paths
are resolved against the folder.  No split is stored (use the ``mirflickr`` protocol or another).
"""

from __future__ import annotations

from pathlib import Path

from cmhash.data.dataset import PairedDataset
from cmhash.utils.matfile import MatFile
from cmhash.utils.validation import check_folder


def read_clip_mat(folder: str | Path) -> PairedDataset:
    """Read ``index.mat``, ``caption.mat`` and ``label.mat`` from ``folder``."""
    folder = check_folder(folder, "dataset folder")
    paths = MatFile(folder / "index.mat").strings("index")
    captions = MatFile(folder / "caption.mat").strings("caption")
    labels = MatFile(folder / "label.mat").matrix("label")
    return PairedDataset(
        name=folder.name,
        ids=[Path(p).stem for p in paths],
        labels=labels,
        image_paths=[str(p if Path(p).is_absolute() else (folder / p).resolve()) for p in paths],
        texts=captions,
    )
