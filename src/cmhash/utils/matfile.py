"""Read MATLAB ``.mat`` files of either kind behind one interface.

v4–v7 files are read with :func:`scipy.io.loadmat`; v7.3 files are HDF5 and are read with h5py.
MATLAB stores arrays column-major, so an HDF5 dataset comes back transposed: rows are restored
to be samples here, once, for every reader.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import scipy.io

from cmhash.errors import InputError
from cmhash.utils.validation import check_file


class MatFile:
    """Keyed access to the arrays of one ``.mat`` file, with errors that name the file and key."""

    def __init__(self, path: str | Path) -> None:
        self.path = check_file(path, "MATLAB file")
        self.is_hdf5 = h5py.is_hdf5(self.path)
        if self.is_hdf5:
            with h5py.File(self.path, "r") as f:
                self.keys = sorted(k for k in f if not k.startswith("#"))
            self._arrays: dict[str, np.ndarray] = {}
        else:
            try:
                contents = scipy.io.loadmat(self.path)
            except Exception as e:  # scipy raises many types on a malformed file
                raise InputError(f"{self.path}: not a readable MATLAB file ({e})") from e
            self._arrays = {k: v for k, v in contents.items() if not k.startswith("__")}
            self.keys = sorted(self._arrays)

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def array(self, key: str) -> np.ndarray:
        """The array stored under ``key``, rows = samples."""
        if key not in self.keys:
            raise InputError(f"{self.path}: missing key {key!r} (keys: {', '.join(self.keys)})")
        if not self.is_hdf5:
            return self._arrays[key]
        with h5py.File(self.path, "r") as f:
            node = f[key]
            if not isinstance(node, h5py.Dataset):
                raise InputError(f"{self.path}: key {key!r} is not an array")
            data = node[()]
            is_char = node.attrs.get("MATLAB_class", b"") in (b"char", "char")
        data = np.asarray(data).T
        if is_char:
            return np.array(["".join(map(chr, row)) for row in np.atleast_2d(data)])
        return data

    def strings(self, key: str) -> list[str]:
        """A column of strings (a char matrix padded with spaces, or a cell/str array)."""
        data = self.array(key)
        if data.dtype.kind in "US":
            values = data.reshape(-1) if data.ndim > 1 and 1 in data.shape else data
            return [str(v).rstrip() for v in np.ravel(values)]
        if data.dtype == object:
            return [str(np.ravel(v)[0]).rstrip() if np.size(v) else "" for v in np.ravel(data)]
        raise InputError(f"{self.path}: key {key!r} holds {data.dtype} values, expected strings")

    def matrix(self, key: str) -> np.ndarray:
        """A 2-D numeric matrix (a 1-D vector becomes one column)."""
        data = self.array(key)
        if data.dtype.kind not in "biuf":
            raise InputError(
                f"{self.path}: key {key!r} holds {data.dtype} values, expected numbers")
        return data.reshape(-1, 1) if data.ndim == 1 else data
