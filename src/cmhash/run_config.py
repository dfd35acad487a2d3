"""What a run is: :class:`RunConfig`, and reading one from a TOML file (``configs/*.toml``).

A config file holds RunConfig's fields as top-level keys and the method's parameters as the
table ``[params]``::

    method = "dadh"
    dataset = "mirflickr-images"
    protocol = "mirflickr"
    image_feature = "efficientnet_lite0"
    text_feature = "bow"

    [params]
    hidden = 2048
    epochs = 20

Values given on the command line replace the file's; ``params`` are merged key by key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from cmhash.errors import InputError, MissingFileError
from cmhash.metrics import DEFAULT_METRICS

REQUIRED = ("method", "dataset", "protocol")


@dataclass
class RunConfig:
    """What to run; every field is recorded in the run folder's ``config.json``."""

    method: str
    dataset: str
    protocol: str
    bits: list[int] = field(default_factory=lambda: [16, 32, 64, 128])
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    split_seed: int | None = None
    image_feature: str | None = None
    text_feature: str | None = None
    cache_dir: str | None = None
    validation_size: int | None = None
    resume: bool = False
    metrics: list[str] = field(default_factory=lambda: list(DEFAULT_METRICS))
    directions: list[str] = field(default_factory=lambda: ["i2t", "t2i"])


def make_run_config(values: dict[str, Any], source: str = "the command line") -> RunConfig:
    """A RunConfig from ``values`` (None values mean "the default"); ``source`` names where they
    came from in errors."""
    values = {k: v for k, v in values.items() if v is not None}
    known = {f.name for f in fields(RunConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(f"{source}: unknown key {unknown[0]!r} "
                         f"(known: {', '.join(sorted(known))})")
    missing = [k for k in REQUIRED if k not in values]
    if missing:
        raise InputError(f"{source}: no {missing[0]!r} given")
    if not isinstance(values.get("params", {}), dict):
        raise InputError(f"{source}: 'params' must be a table of method parameters")
    bits = values.get("bits", [])
    if not isinstance(bits, list) or not all(isinstance(b, int) for b in bits):
        raise InputError(f"{source}: 'bits' must be a list of integers, got {bits!r}")
    return RunConfig(**values)


def load_run_config(path: str | Path, overrides: dict[str, Any] | None = None) -> RunConfig:
    """The RunConfig of a TOML file, with the non-None ``overrides`` replacing its values
    (``overrides["params"]`` is merged into the file's parameters)."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"config file {path} not found")
    try:
        values = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not a valid TOML file ({e})") from None
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    if "params" in overrides and isinstance(values.get("params"), dict):
        overrides["params"] = {**values["params"], **overrides["params"]}
    return make_run_config({**values, **overrides}, str(path))
