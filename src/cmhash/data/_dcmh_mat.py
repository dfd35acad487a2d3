"""DCMH-style whole-dataset files: ``FLICKR-25K.mat`` (``images``/``YAll``/``LAll``),
``NUS-WIDE-TC21.mat`` (``image``/``text``/``label``), or the three files
``<name>-iall.mat`` (``IAll``), ``<name>-yall.mat`` (``YAll``), ``<name>-lall.mat`` (``LAll``).

Images are either feature rows (n × d) or raw pixels (H × W × C × n, as MATLAB stores them),
which become ``image_pixels`` of shape (n, H, W, C).  Rows are in stored order; no split is
stored (use a protocol such as ``dadh_mir``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cmhash.data.dataset import PairedDataset
from cmhash.errors import InputError
from cmhash.utils.matfile import MatFile
from cmhash.utils.validation import check_file

IMAGE_KEYS = ("images", "image", "IAll")
TEXT_KEYS = ("YAll", "text")
LABEL_KEYS = ("LAll", "label")


def _files(path: Path) -> list[Path]:
    """The file itself, or for ``<name>-iall.mat`` (or the prefix ``<name>``) its three parts."""
    stem = path.name.removesuffix(".mat")
    for suffix in ("-iall", "-yall", "-lall"):
        stem = stem.removesuffix(suffix)
    parts = [path.with_name(f"{stem}{s}.mat") for s in ("-iall", "-yall", "-lall")]
    if path.is_file() and not any(path == p for p in parts):
        return [path]
    for part in parts:
        check_file(part, "DCMH part file")
    return parts


def _find(mats: list[MatFile], keys: tuple[str, ...], what: str, where: Path) -> np.ndarray:
    for mat in mats:
        for key in keys:
            if key in mat:
                return mat.array(key)
    found = sorted({k for m in mats for k in m.keys})
    raise InputError(f"{where}: no {what} key ({' / '.join(keys)}) among {', '.join(found)}")


def read_dcmh_mat(path: str | Path) -> PairedDataset:
    """Read a DCMH-style dataset file (or the ``-iall/-yall/-lall`` triple)."""
    path = Path(path)
    mats = [MatFile(f) for f in _files(path)]
    labels = _find(mats, LABEL_KEYS, "label", path)
    text = _find(mats, TEXT_KEYS, "text", path)
    image = _find(mats, IMAGE_KEYS, "image", path)
    n = len(labels)
    features: dict[str, np.ndarray] = {}
    pixels = None
    if image.ndim == 4:
        pixels = np.moveaxis(image, -1, 0) if image.shape[-1] == n else image
        if pixels.shape[0] != n:
            raise InputError(f"{path}: raw images have shape {image.shape}, none of whose "
                             f"ends matches the {n} label rows")
    elif image.ndim == 2:
        features["feature"] = image
    else:
        raise InputError(f"{path}: images must be n × d features or H × W × C × n pixels, "
                         f"got shape {image.shape}")
    return PairedDataset(
        name=path.stem.removesuffix("-iall"),
        ids=[str(i) for i in range(n)],
        labels=labels,
        image_features=features,
        image_pixels=pixels,
        text_features={"bow": text},
    )
