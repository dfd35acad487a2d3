"""The method-agnostic training loop.

A method describes its training as a list of :class:`Phase` objects (HMAH: teacher, then
students; DADH: one phase) and implements :class:`Trainable`; its steps and hooks act through a
:class:`~cmhash.training.state.TrainState` (the training data, the optimisation step, the row
buffers).  :func:`train` owns everything else: seeding (without touching the caller's
generators), batch order from one seeded generator, the progress bar with the loss terms,
validation after every epoch with the best epoch kept, an atomic checkpoint after every epoch,
a JSON-lines log, and ``resume``, which continues a killed run from its last checkpoint to the
same result as an uninterrupted run (same seed, CPU).

Files in ``workdir``: ``checkpoint.pt`` (everything needed to continue: the task's training
state, the row buffers, the generator states: torch's CPU one, the CUDA device's on CUDA, the
batch order's), ``best.pt`` (the method's state at the best validation epoch of the last
validated phase), ``train_log.jsonl`` (one line per epoch: phase, epoch, mean loss terms,
validation scores, seconds).  A run that does not resume starts without the files of an earlier
run there (a fresh log); :func:`remove_checkpoints` drops the checkpoints once a model is saved.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from tqdm import tqdm

from cmhash.errors import InputError
from cmhash.training.checkpoint import load_checkpoint, save_checkpoint
from cmhash.training.seeding import rng_states, seeded_rng, set_rng_states
from cmhash.training.state import TrainState
from cmhash.utils.atomic import write_atomic

CHECKPOINT_FILES = ("checkpoint.pt", "best.pt")
#: the layout of ``checkpoint.pt``'s training state; 2 since the loop keeps the row buffers and
#: the optimisation state (a checkpoint of an older cmhash cannot be resumed)
TRAINING_STATE_FORMAT = 2


@dataclass
class Phase:
    """One stage of training.

    Attributes
    ----------
    name : str
    epochs : int
    batch_size : int
    step : callable (state, batch row indices) → {loss term: value}
        One optimisation step (or several, e.g. a GAN's D then G) on the given training rows,
        each through :meth:`TrainState.optimise`.
    shuffle : bool
        Shuffle the rows every epoch (False: the rows in order, in fixed batches).
    row_buffers : callable (state) → {name: tensor with one row per training pair}, optional
        The initial values of the phase's row buffers, made when the phase begins; they join
        ``state.buffers`` (see :mod:`cmhash.training.state`).
    on_start : callable (state), optional
        Called once when the phase begins, after ``row_buffers`` (neither is called again when
        a run resumes inside the phase).
    on_epoch_start, on_epoch_end : callable (state), optional
        Hooks (``state.epoch`` is the epoch), e.g. freezing BatchNorm from an epoch on, or a
        discrete code update.
    validate : bool
        Score the validation split after each epoch of this phase.
    """

    name: str
    epochs: int
    batch_size: int
    step: Callable[[TrainState, torch.Tensor], dict[str, float]]
    shuffle: bool = True
    row_buffers: Callable[[TrainState], dict[str, torch.Tensor]] | None = None
    on_start: Callable[[TrainState], None] | None = None
    on_epoch_start: Callable[[TrainState], None] | None = None
    on_epoch_end: Callable[[TrainState], None] | None = None
    validate: bool = True


class Trainable(Protocol):
    """What :func:`train` needs from a method."""

    def phases(self) -> list[Phase]: ...

    def training_state(self) -> dict[str, Any]:
        """Networks, optimisers and tensors other than row buffers (tensors and plain values
        only): all that a resumed run needs besides the loop's own state."""

    def load_training_state(self, state: dict[str, Any]) -> None: ...

    def model_state(self) -> dict[str, Any]:
        """What encoding needs (the networks); kept for the best epoch."""

    def load_model_state(self, state: dict[str, Any]) -> None: ...

    def validation_scores(self, data: Any) -> dict[str, float]:
        """Scores on the validation split (``data``: the training data); their ``"score"``
        entry selects the best epoch."""


@dataclass
class TrainResult:
    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: dict[str, Any] | None = None


def _mean_terms(totals: dict[str, float], count: int) -> dict[str, float]:
    return {k: v / max(count, 1) for k, v in totals.items()}


def _as_json(terms: dict[str, float]) -> dict[str, float | None]:
    """Loss terms for the log and the reports, which are strict JSON: a term that diverged
    (NaN or infinite) is null."""
    return {k: v if math.isfinite(v) else None for k, v in terms.items()}


def train(task: Trainable, data: Sized, *, seed: int, header: dict[str, Any],
          workdir: str | Path | None = None, resume: bool = False,
          progress: bool = True, has_validation: bool = True,
          device: torch.device | str = "cpu", precision: str = "float32") -> TrainResult:
    """Run every phase of ``task`` over the ``len(data)`` training rows of ``data`` (handed to
    the steps and hooks in :attr:`TrainState.data`, forward passes under ``precision``); see the
    module docstring.

    The run draws dropout masks and the like from torch's global generators seeded with
    ``seed`` (on ``device``, the task's device) and orders batches with a local generator
    seeded with ``seed + 1``; the caller's generator states are restored when it returns
    (:func:`~cmhash.training.seeding.seeded_rng`).  At the end the task holds the state of the
    best validation epoch of its last validated phase (or of the last epoch when there is no
    validation split).
    """
    state = TrainState(data, torch.device(device), precision)
    with seeded_rng(seed, device):
        return _run_phases(task, state, seed=seed, header=header, workdir=workdir,
                           resume=resume, progress=progress, has_validation=has_validation)


def _run_phases(task: Trainable, state: TrainState, *, seed: int, header: dict[str, Any],
                workdir: str | Path | None, resume: bool, progress: bool,
                has_validation: bool) -> TrainResult:
    phases = task.phases()
    n_train, device = len(state.data), state.device
    shuffle = torch.Generator().manual_seed(seed + 1)
    workdir = Path(workdir) if workdir is not None else None
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    loop = {"phase": 0, "epoch": 0, "history": [], "best": None}
    best_state: dict[str, Any] | None = None
    checkpoint = workdir / "checkpoint.pt" if workdir else None
    if resume and checkpoint is not None and checkpoint.is_file():
        saved = load_checkpoint(checkpoint, header["method"], header["bits"])
        if saved.get("state_format") != TRAINING_STATE_FORMAT:
            raise InputError(f"{checkpoint}: written by an older cmhash, whose training state "
                             "this one cannot continue; run again without --resume")
        try:
            task.load_training_state(saved["task"])
        except (RuntimeError, KeyError, ValueError) as e:  # another width, optimiser, …
            raise InputError(f"{checkpoint}: this checkpoint does not fit the networks of this "
                             f"run (trained with other parameters?): "
                             f"{str(e).splitlines()[0]}") from None
        state.buffers = {name: value.to(device) for name, value in saved["buffers"].items()}
        loop = saved["loop"]
        set_rng_states(saved["rng"], device)
        shuffle.set_state(saved["rng"]["shuffle"])
        if (workdir / "best.pt").is_file():
            best_state = load_checkpoint(workdir / "best.pt", header["method"],
                                         header["bits"])["model"]
        _rewrite_log(workdir, loop["history"])
    elif workdir is not None:
        remove_checkpoints(workdir)
        _rewrite_log(workdir, [])
    last_validated = max((i for i, p in enumerate(phases) if p.validate), default=-1)

    while loop["phase"] < len(phases):
        phase = phases[loop["phase"]]
        state.epoch = loop["epoch"]
        if loop["epoch"] == 0:
            if phase.row_buffers is not None:
                state.buffers |= phase.row_buffers(state)
            if phase.on_start is not None:
                phase.on_start(state)
        while loop["epoch"] < phase.epochs:
            epoch = state.epoch = loop["epoch"]
            started = time.perf_counter()
            if phase.on_epoch_start is not None:
                phase.on_epoch_start(state)
            order = torch.randperm(n_train, generator=shuffle) if phase.shuffle \
                else torch.arange(n_train)
            totals: dict[str, float] = {}
            batches = list(order.split(phase.batch_size))
            bar = tqdm(batches, disable=not progress, leave=False, dynamic_ncols=True,
                       desc=f"{phase.name} {epoch + 1}/{phase.epochs}")
            for count, rows in enumerate(bar, 1):
                for term, value in phase.step(state, rows).items():
                    totals[term] = totals.get(term, 0.0) + float(value)
                bar.set_postfix({k: f"{v:.4g}" for k, v in _mean_terms(totals, count).items()})
            bar.close()
            if phase.on_epoch_end is not None:
                phase.on_epoch_end(state)
            record: dict[str, Any] = {"phase": phase.name, "epoch": epoch + 1,
                                      "losses": _as_json(_mean_terms(totals, len(batches)))}
            if phase.validate and has_validation:
                record["validation"] = task.validation_scores(state.data)
            record["seconds"] = round(time.perf_counter() - started, 3)
            loop["history"].append(record)
            loop["epoch"] += 1
            if loop["phase"] == last_validated and "validation" in record and (
                    loop["best"] is None
                    or record["validation"]["score"] > loop["best"]["validation"]["score"]):
                loop["best"] = record
                best_state = _copy(task.model_state())
                if workdir is not None:
                    save_checkpoint(workdir / "best.pt", header, {"model": best_state})
            if workdir is not None:
                save_checkpoint(checkpoint, header, {
                    "state_format": TRAINING_STATE_FORMAT, "task": task.training_state(),
                    "buffers": state.buffers, "loop": loop,
                    "rng": {**rng_states(device), "shuffle": shuffle.get_state()}})
                with (workdir / "train_log.jsonl").open("a") as log:
                    log.write(json.dumps(record, allow_nan=False) + "\n")
            if progress:
                tqdm.write(_describe(record))
        loop["phase"] += 1
        loop["epoch"] = 0
    if best_state is not None:
        task.load_model_state(best_state)
    return TrainResult(loop["history"], loop["best"])


def remove_checkpoints(workdir: str | Path) -> None:
    """Delete the checkpoints in ``workdir`` (the training log stays)."""
    for name in CHECKPOINT_FILES:
        (Path(workdir) / name).unlink(missing_ok=True)


def _copy(state: Any) -> Any:
    """A deep copy with every tensor cloned (a live state dict shares storage with the
    parameters that go on training)."""
    if isinstance(state, torch.Tensor):
        return state.detach().clone()
    if isinstance(state, dict):
        return {k: _copy(v) for k, v in state.items()}
    if isinstance(state, list | tuple):
        return type(state)(_copy(v) for v in state)
    return state


def _describe(record: dict[str, Any]) -> str:
    losses = " ".join(f"{k}={float('nan') if v is None else v:.4g}"
                      for k, v in record["losses"].items())
    validation = " ".join(f"{k}={v:.4f}" for k, v in record.get("validation", {}).items())
    return (f"{record['phase']} epoch {record['epoch']}: {losses}"
            + (f" | validation {validation}" if validation else "")
            + f" ({record['seconds']:.1f} s)")


def _rewrite_log(workdir: Path, history: list[dict[str, Any]]) -> None:
    """The log as of the checkpoint (drops an epoch logged after it, if any)."""
    text = "".join(json.dumps(record) + "\n" for record in history)
    write_atomic(workdir / "train_log.jsonl", lambda tmp: tmp.write_text(text))
