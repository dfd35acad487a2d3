"""What a run is: :class:`RunConfig`, and reading one from a TOML file (a user's own, or a
preset packaged in :mod:`cmhash.presets`).

A config file holds RunConfig's fields as top-level keys, the method's parameters as the table
``[params]``, and may say what it is in one line, ``description`` (not part of the run)::

    description = "DADH on MIRFlickr-25K, 8 epochs"
    method = "dadh"
    dataset = "mirflickr-images"
    protocol = "mirflickr"
    image_feature = "efficientnet_lite0"
    text_feature = "bow"

    [params]
    epochs = 8

Values given on the command line replace the file's; ``params`` are merged key by key.  Every
field's value is checked against :data:`FIELD_CONSTRAINTS` (a wrong type or range is one line
naming the file and key); the method's parameters are checked against its own table by
:func:`cmhash.pipeline.run`, which knows the method.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from cmhash.errors import InputError, MissingFileError
from cmhash.metrics import DEFAULT_METRICS, DIRECTIONS, check_metric_names
from cmhash.utils.validation import (
    SEED_RANGE,
    CodeLength,
    Constraint,
    Interval,
    ListOf,
    Options,
    check_value,
)

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


#: every field of RunConfig → its accepted values (see :func:`cmhash.utils.validation.check_value`)
FIELD_CONSTRAINTS: dict[str, list[Constraint | type | None]] = {
    "method": [str], "dataset": [str], "protocol": [str],
    "bits": [ListOf(CodeLength(8), distinct=True)],
    "params": [dict],
    "seed": [SEED_RANGE],
    "split_seed": [Interval(int, 0), None],
    "image_feature": [str, None], "text_feature": [str, None], "cache_dir": [str, None],
    "validation_size": [Interval(int, 0), None],  # 0: no validation, the last epoch kept
    "resume": [bool],
    "metrics": [ListOf(str, distinct=True)],
    "directions": [ListOf(Options(*DIRECTIONS), distinct=True)],
}


def check_run_config(config: RunConfig, source: str = "the run configuration") -> RunConfig:
    """Return ``config`` if every field is within :data:`FIELD_CONSTRAINTS` and every metric
    name is known; otherwise raise an :class:`InputError` naming ``source`` and the key."""
    for f in fields(RunConfig):
        check_value(f"{source}: {f.name!r}", getattr(config, f.name), FIELD_CONSTRAINTS[f.name])
    for key, field_name in (("bits", "bits"), ("random_state", "seed")):
        if key in config.params:
            raise InputError(f"{source}: 'params' may not set {key!r}; it comes from "
                             f"{field_name!r}")
    try:
        check_metric_names(config.metrics)
    except InputError as e:
        raise InputError(f"{source}: 'metrics': {e}") from None
    return config


def make_run_config(values: dict[str, Any], source: str = "the command line",
                    missing_hint: str = "") -> RunConfig:
    """A checked RunConfig from ``values`` (None values mean "the default"); ``source`` names
    where they came from in errors, ``missing_hint`` says how to give a missing key."""
    values = {k: v for k, v in values.items() if v is not None}
    known = {f.name for f in fields(RunConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(f"{source}: unknown key {unknown[0]!r} "
                         f"(known: {', '.join(sorted(known))})")
    missing = [k for k in REQUIRED if k not in values]
    if missing:
        raise InputError(f"{source}: no {missing[0]!r} given{missing_hint}")
    return check_run_config(RunConfig(**values), source)


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
    description = values.pop("description", "")
    if not isinstance(description, str):
        raise InputError(f"{path}: 'description' must be a string, got {description!r}")
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    if "params" in overrides and isinstance(values.get("params"), dict):
        overrides["params"] = {**values["params"], **overrides["params"]}
    return make_run_config({**values, **overrides}, str(path))
