"""Hashing methods, registered by name.  See :mod:`cmhash.methods.base` for the contract.

A method's module is imported when the method is first looked up, so listing methods imports
no torch; the deep methods need the ``train`` extra.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmhash.errors import InputError
from cmhash.methods.base import FitContext, HashingMethod, clone
from cmhash.utils.lazy import LazyRegistry, import_module, lazy_exports
from cmhash.utils.validation import check_file, read_npz

if TYPE_CHECKING:
    from cmhash.methods.torch_base import TorchHashingMethod

#: registry name → class (each class's ``name``), imported on lookup
METHODS: LazyRegistry = LazyRegistry("method", {
    "cca_itq": "cmhash.methods.cca_itq:CCAITQ",
    "ridge_hash": "cmhash.methods.ridge_hash:RidgeHash",
    "random": "cmhash.methods.random_codes:RandomCodes",
    "hmah": "cmhash.methods.hmah:HMAH",
    "dadh": "cmhash.methods.dadh:DADH",
    "agah": "cmhash.methods.agah:AGAH",
    "mith": "cmhash.methods.mith:MITH",
    "math": "cmhash.methods.math_hash:MATH",
})
__getattr__, __dir__ = lazy_exports(__name__, {
    "TorchHashingMethod": "cmhash.methods.torch_base"})


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
    arrays = read_npz(path, "saved method")
    try:
        header = json.loads(str(arrays.pop("header")))
    except (KeyError, ValueError) as e:
        raise InputError(f"{path}: not a saved cmhash method ({e})") from e
    method = create_method(header["method"], **header["params"])
    method.restore_arrays(arrays, path)
    method.random_state_ = header.get("random_state_")  # None: saved before it was recorded
    return method


__all__ = ["METHODS", "FitContext", "HashingMethod", "TorchHashingMethod", "clone",
           "create_method", "list_methods", "load_method"]


def _load_torch_method(path: Path, device: str) -> HashingMethod:
    read_checkpoint = import_module("cmhash.training", f"loading {path}").read_checkpoint
    from cmhash.methods.torch_base import TorchHashingMethod  # torch is installed: see above

    content = read_checkpoint(path)
    header = content["header"]
    method = create_method(header["method"], **{**header["params"], "device": device})
    if not isinstance(method, TorchHashingMethod):
        raise InputError(f"{path}: method {header['method']!r} is not saved as .pt")
    method.restore(header, content["model"])
    return method
