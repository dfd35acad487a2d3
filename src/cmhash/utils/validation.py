"""Central checks of user-supplied arrays; each failure is one :class:`InputError` line."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cmhash.errors import InputError, MissingFileError


def check_file(path: str | Path, what: str = "file") -> Path:
    """Return ``path`` as a :class:`Path`, or raise if it does not exist."""
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{what} not found: {path}")
    return path


def check_bits(bits: int, multiple_of: int = 8) -> int:
    """Code length must be a positive multiple of ``multiple_of`` (8: codes are packed in bytes)."""
    if isinstance(bits, bool) or not isinstance(bits, int | np.integer) or bits <= 0:
        raise InputError(f"bits must be a positive integer, got {bits!r}")
    if bits % multiple_of:
        raise InputError(f"bits must be a multiple of {multiple_of}, got {bits}")
    return int(bits)


def check_features(x: np.ndarray, name: str, n_rows: int | None = None) -> np.ndarray:
    """A finite 2-D float matrix, optionally with ``n_rows`` rows; returned as float64."""
    x = np.asarray(x)
    if x.ndim != 2:
        raise InputError(f"{name} must be a 2-D matrix, got shape {x.shape}")
    if n_rows is not None and x.shape[0] != n_rows:
        raise InputError(f"{name} has {x.shape[0]} rows, expected {n_rows}")
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise InputError(f"{name} must be numeric, got dtype {x.dtype}")
    x = x.astype(np.float64, copy=False)
    bad = ~np.isfinite(x)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise InputError(f"{name} {x.shape} has NaN or Inf values (first in row {row})")
    return x


def check_labels(labels: np.ndarray, name: str, n_rows: int | None = None) -> np.ndarray:
    """A 2-D multi-hot {0, 1} matrix, returned as uint8."""
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise InputError(f"{name} must be a 2-D multi-hot matrix, got shape {labels.shape}")
    if n_rows is not None and labels.shape[0] != n_rows:
        raise InputError(f"{name} has {labels.shape[0]} rows, expected {n_rows}")
    if labels.size and not np.isin(labels, (0, 1)).all():
        raise InputError(f"{name} {labels.shape} must hold only 0 and 1")
    return labels.astype(np.uint8, copy=False)


def check_same_rows(arrays: dict[str, np.ndarray | list | None], where: str) -> int:
    """All non-``None`` arrays have the same number of rows; return it."""
    counts = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{name}: {n}" for name, n in counts.items())
        raise InputError(f"row counts differ in {where} ({listed})")
    return next(iter(counts.values()), 0)
