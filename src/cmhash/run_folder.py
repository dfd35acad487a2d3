"""A run folder belongs to one run.

``cmhash train`` (and ``cmhash run``, which trains, then encodes and evaluates) writes everything
of a run into one folder (``--out``), whose ``config.json`` says which run it holds; ``cmhash
codes`` and ``cmhash evaluate`` read that configuration back (:func:`read_run_config`).  Before
any training, :func:`claim_run_folder` decides what may happen to the folder, from its state and
the options:

=====================================  =========================================================
the folder                             what the run does
=====================================  =========================================================
absent, or an empty folder             creates it and runs
holds the same run                     with ``resume``: continues it (trained code lengths are
                                       kept, a killed training continues from its checkpoint);
                                       without: runs again from scratch, replacing its files
holds another run (another method,     refused, unless ``overwrite``: replaced
parameter set, bit list, dataset, …)
holds files but no ``config.json``,    refused (not a cmhash run folder: nothing of it is
or is a file, or cannot be written     removed, whatever the options)
=====================================  =========================================================

A code length is trained when its model bundle ``model_<bits>/`` and, written after it, its
training record ``training_<bits>.json`` are both there; a resume keeps those and trains the
others again.  Every
file and bundle is written atomically, so a killed run leaves at most the ``.tmp-*`` (or, for a
bundle being replaced, ``.old-*``) entries of the write it was doing; a resume removes them.

"The same run" compares every field of :class:`~cmhash.run_config.RunConfig` except
``resume``, ``cache_dir`` (where features are kept) and a deep method's ``device`` (a run may
continue on another device).  Nothing is removed or written until :meth:`RunFolder.start`,
which the pipeline calls once every check has passed and the inputs are ready, so a refused run,
or one stopped by a mistake in its input, leaves the folder as it was; and a run that fails on
a mistake after it started, before any code length is trained, removes what it wrote (the
folder too, if it made it).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from cmhash.errors import InputError
from cmhash.run_config import RunConfig, make_run_config
from cmhash.utils.atomic import write_json
from cmhash.utils.json_files import read_json_object

CONFIG_FILE = "config.json"
#: RunConfig fields that do not tell runs apart
NOT_COMPARED = ("resume", "cache_dir")


def _identity(config: dict[str, Any]) -> dict[str, Any]:
    """The fields of a recorded or new configuration that identify its run, flattened one
    level (``params.hidden``), as JSON values."""
    flat = {k: v for k, v in config.items() if k not in NOT_COMPARED and k != "params"}
    params = config.get("params") or {}
    flat |= {f"params.{k}": v for k, v in params.items() if k != "device"}
    return json.loads(json.dumps(flat))


def _difference(recorded: dict[str, Any], config: RunConfig) -> str | None:
    """The first key in which ``config`` differs from the recorded run, said in words."""
    there = _identity({k: recorded.get(k) for k in asdict(config)})
    here = _identity(asdict(config))
    for key in sorted(set(there) | set(here)):
        if there.get(key) != here.get(key):
            return (f"{key!r} is {json.dumps(there.get(key))} there, "
                    f"{json.dumps(here.get(key))} here")
    return None


def _check_can_create(path: Path) -> None:
    """The nearest existing ancestor of ``path`` is a folder this process may write into."""
    ancestor = path.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"cannot create run folder {path}: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(f"cannot create run folder {path}: {ancestor} is not writable")


@dataclass
class RunFolder:
    """The folder of one run (see the module docstring).

    Attributes
    ----------
    path : Path
    resume : bool — continue the run the folder holds.
    replace : bool — remove the run the folder holds when this one starts.
    """

    path: Path
    resume: bool = False
    replace: bool = False
    started: bool = False
    created: bool = False

    def start(self, record: dict[str, Any]) -> None:
        """Make the folder ready and write ``record`` as its ``config.json`` (on resume the
        recorded configuration stays, and what interrupted writes left is removed)."""
        if self.resume:
            self._remove_interrupted_writes()
        else:
            if self.replace:
                shutil.rmtree(self.path)
            self.created = not self.path.exists()
            self.path.mkdir(parents=True, exist_ok=True)
            write_json(self.path / CONFIG_FILE, record)
        self.started = True

    def model_path(self, bits: int) -> Path:
        """Where the model bundle of a code length goes (a folder, written before the report)."""
        return self.path / f"model_{bits}"

    def training_path(self, bits: int) -> Path:
        """Where the training record of a code length goes (seconds, epochs, the selected
        epoch); it is written after the model bundle, so its presence (with the bundle's) says
        that the code length is trained."""
        return self.path / f"training_{bits}.json"

    def codes_path(self, bits: int) -> Path:
        return self.path / f"codes_{bits}.npz"

    def report_path(self, bits: int) -> Path:
        return self.path / f"report_{bits}.json"

    def training(self, bits: int) -> dict[str, Any] | None:
        """The training record of a trained code length; else None."""
        record = self.training_path(bits)
        if not (record.is_file() and self.model_path(bits).is_dir()):
            return None
        return json.loads(record.read_text())

    def _remove_interrupted_writes(self) -> None:
        """Remove the temporary files and folders of atomic writes that a killed run left
        (:mod:`cmhash.utils.atomic`), in the folder and in its training folders."""
        for pattern in (".tmp-*", ".old-*", "*/.tmp-*"):
            for leftover in self.path.glob(pattern):
                if leftover.is_dir():
                    shutil.rmtree(leftover)
                else:
                    leftover.unlink()

    @contextmanager
    def removed_on_mistake(self) -> Iterator[RunFolder]:
        """Remove what this run wrote (the folder too, if it made it) if a mistake in the
        input or an operating-system error stops it after :meth:`start` and before any code
        length is finished."""
        try:
            yield self
        except (InputError, OSError):
            if self.started and not self.resume and not any(self.path.glob("training_*.json")):
                for written in [self.path] if self.created else self.path.iterdir():
                    if written.is_dir():
                        shutil.rmtree(written, ignore_errors=True)
                    else:
                        written.unlink(missing_ok=True)
            raise


def claim_run_folder(path: str | Path, config: RunConfig,
                     overwrite: bool = False) -> RunFolder:
    """Decide, without writing anything, what the run of ``config`` may do with the folder
    ``path`` (see the module docstring); refusals are an :class:`InputError` of one line."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"run folder {path} exists and is not a folder")
    if not path.exists():
        _check_can_create(path)
        return RunFolder(path)
    if not os.access(path, os.W_OK | os.X_OK):
        raise InputError(f"run folder {path} is not writable")
    config_file = path / CONFIG_FILE
    if not config_file.is_file():
        if any(path.iterdir()):
            raise InputError(f"{path} holds files but no {CONFIG_FILE}, so it is not a cmhash "
                             "run folder; choose another --out")
        return RunFolder(path)
    recorded = read_json_object(config_file, "run configuration")
    difference = _difference(recorded, config)
    if difference is None:
        return RunFolder(path, resume=config.resume, replace=not config.resume)
    if overwrite:
        return RunFolder(path, replace=True)
    verb = "cannot resume: run folder" if config.resume else "run folder"
    raise InputError(f"{verb} {path} holds another run ({difference}); --overwrite replaces "
                     "it, or choose another --out")


def read_run_config(path: str | Path) -> RunConfig:
    """The configuration recorded in the run folder ``path`` (an :class:`InputError` if it is
    not one)."""
    path = Path(path)
    config_file = path / CONFIG_FILE
    if not path.is_dir():
        raise InputError(f"run folder {path} not found" if not path.exists()
                         else f"{path} is not a folder, so not a run folder")
    if not config_file.is_file():
        raise InputError(f"{path} holds no {CONFIG_FILE}, so it is not a cmhash run folder")
    recorded = read_json_object(config_file, "run configuration")
    return make_run_config({f.name: recorded.get(f.name) for f in fields(RunConfig)},
                           str(config_file))
