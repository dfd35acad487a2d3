"""Central checks of user-supplied arrays and values; each failure is one :class:`InputError` line.

Parameter values are checked against declared constraints (:class:`Interval`, :class:`Options`,
…) by :func:`check_value`: the tables of :mod:`cmhash.methods` and :mod:`cmhash.run_config`.
"""

from __future__ import annotations

import math
import zipfile
import zlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cmhash.errors import InputError, MissingFileError


def check_file(path: str | Path, what: str = "file") -> Path:
    """Return ``path`` as a :class:`Path`, or raise if it does not exist."""
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{what} not found: {path}")
    return path


def check_folder(path: str | Path, what: str = "folder") -> Path:
    """Return ``path`` as a :class:`Path`, or raise if it does not exist or is not a folder."""
    path = check_file(path, what)
    if not path.is_dir():
        raise InputError(f"{what} {path} is a file, not a folder")
    return path


def read_utf8(path: str | Path, what: str = "file") -> str:
    """The text of a user's file, decoded as UTF-8 (a byte-order mark dropped, newlines as
    written); a missing file or another encoding is an :class:`InputError` naming the file."""
    path = check_file(path, what)
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            return f.read()
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset "
                         f"{e.start}); save it as UTF-8") from None


def read_npz(path: str | Path, what: str = "file") -> dict[str, np.ndarray]:
    """Every array of a user's ``.npz`` file (no pickles); a missing, empty, truncated or
    corrupt file is an :class:`InputError` naming it."""
    path = check_file(path, what)
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise InputError(f"{path}: one .npy array, not an .npz file of named arrays")
        with loaded as f:
            return {key: f[key] for key in f.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        if isinstance(e, InputError):
            raise
        reason = str(e).split(". ")[0] or type(e).__name__
        raise InputError(f"{path}: not a readable .npz file ({reason})") from None


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


# -- constraints on parameter values ----------------------------------------------------------
# A parameter's constraint is a list of alternatives, as scikit-learn's ``_parameter_constraints``:
# the value must satisfy at least one.  An alternative is a Constraint, a type (``bool``, ``str``:
# an instance of it) or None (the value None).


class Constraint(ABC):
    """A set of accepted values; ``str()`` describes it for an error message."""

    @abstractmethod
    def accepts(self, value: Any) -> bool: ...

    @abstractmethod
    def __str__(self) -> str: ...


def _is_integer(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


@dataclass(frozen=True)
class Interval(Constraint):
    """Integers (``kind=int``) or finite real numbers (``kind=float``, integers accepted) from
    ``low`` to ``high`` (None: unbounded); ``closed`` names the included ends: "both", "left",
    "right" or "neither"."""

    kind: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def accepts(self, value: Any) -> bool:
        if self.kind is int:
            if not _is_integer(value):
                return False
        elif not (_is_integer(value) or isinstance(value, float | np.floating)) or \
                not math.isfinite(value):
            return False
        if self.low is not None and (value < self.low or (
                value == self.low and self.closed not in ("both", "left"))):
            return False
        return self.high is None or not (value > self.high or (
            value == self.high and self.closed not in ("both", "right")))

    def __str__(self) -> str:
        noun = "an integer" if self.kind is int else "a number"
        left, right = self.closed in ("both", "left"), self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            return f"{noun} in {'[' if left else '('}{self.low}, {self.high}{']' if right else ')'}"
        if self.low is not None:
            return f"{noun} {'≥' if left else '>'} {self.low}"
        if self.high is not None:
            return f"{noun} {'≤' if right else '<'} {self.high}"
        return noun


#: a model seed (a method's ``random_state``, a run's ``seed``): an integer in [0, 2³²), the
#: range of the fresh seeds drawn for None (:func:`cmhash.methods.base.resolve_seed`)
SEED_RANGE = Interval(int, 0, 2**32, closed="left")


class Options(Constraint):
    """One of the given values."""

    def __init__(self, *values: Any) -> None:
        self.values = values

    def accepts(self, value: Any) -> bool:
        return any(value == v and type(value) is type(v) for v in self.values)

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class CodeLength(Constraint):
    """A code length: a positive integer multiple of ``multiple_of`` (see :func:`check_bits`)."""

    multiple_of: int = 8

    def accepts(self, value: Any) -> bool:
        return _is_integer(value) and value > 0 and value % self.multiple_of == 0

    def __str__(self) -> str:
        return f"a positive multiple of {self.multiple_of}"


@dataclass(frozen=True)
class ListOf(Constraint):
    """A non-empty list whose every item satisfies ``item`` (a Constraint or a type); with
    ``distinct``, no item twice."""

    item: Constraint | type
    distinct: bool = False

    def accepts(self, value: Any) -> bool:
        return (isinstance(value, list) and len(value) > 0
                and all(_accepts(self.item, v) for v in value)
                and not (self.distinct and len({repr(v) for v in value}) < len(value)))

    def __str__(self) -> str:
        return (f"a non-empty list of {'distinct ' if self.distinct else ''}items, each "
                f"{_describe(self.item)}")


class Device(Constraint):
    """A torch device this process can use: ``"cpu"``, or ``"cuda"``/``"cuda:N"`` when this torch
    build sees that GPU, or ``"mps"`` when available."""

    def accepts(self, value: Any) -> bool:
        import torch  # here, so that checking other constraints does not import torch

        if not isinstance(value, str):
            return False
        try:
            device = torch.device(value)
        except (RuntimeError, ValueError):
            return False
        if device.type == "cuda":
            return torch.cuda.is_available() and (device.index or 0) < torch.cuda.device_count()
        if device.type == "mps":
            return torch.backends.mps.is_available()
        return device.type == "cpu"

    def __str__(self) -> str:
        import torch

        if not torch.backends.cuda.is_built():
            here = "this torch build has no CUDA"
        elif not torch.cuda.is_available():
            here = "no CUDA device is visible"
        else:
            here = f"CUDA devices 0..{torch.cuda.device_count() - 1}"
        return f"'cpu' or an accelerator this machine has ({here})"


_TYPE_NAMES = {None: "None", bool: "true or false", str: "a string", dict: "a table"}


def _accepts(alternative: Constraint | type | None, value: Any) -> bool:
    if alternative is None:
        return value is None
    if isinstance(alternative, type):
        return isinstance(value, alternative) and (alternative is not int or _is_integer(value))
    return alternative.accepts(value)


def _describe(alternative: Constraint | type | None) -> str:
    if isinstance(alternative, Constraint):
        return str(alternative)
    return _TYPE_NAMES.get(alternative) or f"a {alternative.__name__}"


def check_value(name: str, value: Any, allowed: list[Constraint | type | None]) -> Any:
    """Return ``value`` if one of the ``allowed`` alternatives accepts it (see above), else
    raise an :class:`InputError`: ``"{name} must be <alternatives>, got <value>"``."""
    if any(_accepts(alternative, value) for alternative in allowed):
        return value
    described = " or ".join(_describe(alternative) for alternative in allowed)
    raise InputError(f"{name} must be {described}, got {value!r}")
