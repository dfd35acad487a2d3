"""Load a dataset by name or by ``FORMAT:PATH``.

Names resolve under a data root (``--data-root``, else the ``CMHASH_DATA_ROOT`` environment
variable, else ``./data``): ``wiki`` → ``wiki/wikiData.mat``; ``mirflickr`` → ``mirflickr25k/``
(all 20,015 pairs); ``mirflickr-images`` → the same, only the pairs whose image file exists
(15,677 here).
Any format can be pointed at a path: ``wiki:FILE``, ``mirflickr:DIR``, ``triplet:FILE_OR_DIR``
(HMAH/BMC ``I_/T_/L_ × tr/db/te``), ``dcmh:FILE``, ``clipmat:DIR``, ``folder:DIR``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

from cmhash.data._clip_mat import read_clip_mat
from cmhash.data._dcmh_mat import read_dcmh_mat
from cmhash.data._folder import read_folder
from cmhash.data._mirflickr import read_mirflickr
from cmhash.data._triplet_mat import read_triplet_mat
from cmhash.data._wiki import read_wiki
from cmhash.data.dataset import PairedDataset
from cmhash.errors import InputError, MissingFileError

FORMATS: dict[str, Callable[[Path], PairedDataset]] = {
    "wiki": read_wiki,
    "mirflickr": read_mirflickr,
    "mirflickr-images": partial(read_mirflickr, require_images=True),
    "triplet": read_triplet_mat,
    "dcmh": read_dcmh_mat,
    "clipmat": read_clip_mat,
    "folder": read_folder,
}

#: named datasets: (format, path under the data root)
NAMED = {
    "wiki": ("wiki", "wiki/wikiData.mat"),
    "mirflickr": ("mirflickr", "mirflickr25k"),
    "mirflickr-images": ("mirflickr-images", "mirflickr25k"),
}


def list_datasets() -> list[str]:
    return list(NAMED)


def default_data_root() -> Path:
    return Path(os.environ.get("CMHASH_DATA_ROOT", "data"))


def load_dataset(spec: str, data_root: str | Path | None = None) -> PairedDataset:
    """Read the dataset named by ``spec`` (a name, or ``FORMAT:PATH``)."""
    if spec in NAMED:
        fmt, relative = NAMED[spec]
        root = Path(data_root or default_data_root())
        if not root.is_dir():
            raise MissingFileError(f"data root {root} not found: give --data-root, or set "
                                   "CMHASH_DATA_ROOT, to the folder holding the named datasets")
        return FORMATS[fmt](root / relative)
    fmt, sep, path = spec.partition(":")
    if not sep or fmt not in FORMATS:
        raise InputError(f"unknown dataset {spec!r}; use a name ({', '.join(NAMED)}) or "
                         f"FORMAT:PATH with FORMAT one of {', '.join(FORMATS)}")
    return FORMATS[fmt](Path(path))
