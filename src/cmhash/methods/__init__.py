"""Hashing methods, registered by name.  See :mod:`cmhash.methods.base` for the contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from cmhash.errors import InputError
from cmhash.methods.agah import AGAH
from cmhash.methods.base import FitContext, HashingMethod, clone
from cmhash.methods.cca_itq import CCAITQ
from cmhash.methods.dadh import DADH
from cmhash.methods.hmah import HMAH
from cmhash.methods.math_hash import MATH
from cmhash.methods.mith import MITH
from cmhash.methods.random_codes import RandomCodes
from cmhash.methods.ridge_hash import RidgeHash
from cmhash.methods.torch_base import TorchHashingMethod
from cmhash.training import read_checkpoint
from cmhash.utils.validation import check_file

METHODS: dict[str, type[HashingMethod]] = {
    m.name: m for m in (CCAITQ, RidgeHash, RandomCodes, HMAH, DADH, AGAH, MITH, MATH)}


def list_methods() -> list[str]:
    return list(METHODS)


def create_method(name: str, **params: Any) -> HashingMethod:
    """A new method by registry name; ``params`` are its constructor arguments."""
    if name not in METHODS:
        raise InputError(f"unknown method {name!r}; available: {', '.join(METHODS)}")
    cls = METHODS[name]
    unknown = set(params) - set(cls._param_names())
    if unknown:
        raise InputError(f"method {name!r} has no parameter {sorted(unknown)[0]!r}; "
                         f"parameters: {', '.join(cls._param_names())}")
    return cls(**params)


def load_method(path: str | Path, device: str = "cpu") -> HashingMethod:
    """Restore a method written by :meth:`HashingMethod.save` (``.npz`` or ``.pt``); a deep
    method on ``device``, whatever device its file records."""
    path = check_file(path, "saved method")
    if path.suffix == ".pt":
        return _load_torch_method(path, device)
    try:
        with np.load(path, allow_pickle=False) as f:
            header = json.loads(str(f["header"]))
            arrays = {k: f[k] for k in f.files if k != "header"}
    except (ValueError, OSError, KeyError) as e:
        raise InputError(f"{path}: not a saved cmhash method ({e})") from e
    method = create_method(header["method"], **header["params"])
    method.restore_arrays(arrays, path)
    return method


__all__ = ["METHODS", "FitContext", "HashingMethod", "TorchHashingMethod", "clone",
           "create_method", "list_methods", "load_method"]


def _load_torch_method(path: Path, device: str) -> HashingMethod:
    content = read_checkpoint(path)
    header = content["header"]
    method = create_method(header["method"], **{**header["params"], "device": device})
    if not isinstance(method, TorchHashingMethod):
        raise InputError(f"{path}: method {header['method']!r} is not saved as .pt")
    method.restore(header, content["model"])
    return method
