"""Run configurations shipped with cmhash: ``cmhash run --preset NAME``, ``cmhash list presets``.

A preset is a TOML run configuration (:mod:`cmhash.run_config`) packaged inside cmhash, in one
of two folders that say its kind:

- ``methods/``: a method's own setting on a dataset (its authors' defaults, or the CPU schedule
  that the results of docs/results.md use, each file saying where it departs from the paper);
- ``ablations/``: a variant of a method preset that changes one thing to measure its effect
  (another batch size, other input features).

Its name is the file name without ``.toml`` (unique across both folders) and its one-line
``description`` is the file's ``description`` key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cmhash.errors import InputError

#: folder → the kind of preset it holds
KINDS = {"methods": "method", "ablations": "ablation"}


@dataclass(frozen=True)
class Preset:
    """A packaged run configuration: its name, kind ("method" or "ablation"), one-line
    description and file."""

    name: str
    kind: str
    description: str
    path: Path


def list_presets() -> list[Preset]:
    """Every packaged preset, methods first, each kind by name."""
    root = resources.files(__name__)
    presets = []
    for folder, kind in KINDS.items():
        for entry in sorted(root.joinpath(folder).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".toml"):
                path = Path(str(entry))
                description = tomllib.loads(entry.read_text(encoding="utf-8"))["description"]
                presets.append(Preset(path.stem, kind, description, path))
    return presets


def preset_path(name: str) -> Path:
    """The file of the preset ``name``; an unknown name is an :class:`InputError` listing the
    known ones."""
    presets = {preset.name: preset.path for preset in list_presets()}
    if name not in presets:
        raise InputError(f"unknown preset {name!r}; available: {', '.join(presets)} "
                         "(cmhash list presets)")
    return presets[name]
