"""What the training loop hands a method's steps and hooks: :class:`TrainState`.

It is the one place where an optimisation step is taken and where a step writes the rows of a
row buffer, so that what every step must do the same way (autocast of the forward pass now;
gradient scaling, a gradient all-reduce across processes or a gather of buffer rows later) is
written once, here, and not in each method.

One optimisation step (:meth:`TrainState.optimise`), for a loss L and the parameters θ of one
optimiser:

    θ.grad ← None;  θ.grad ← ∂L/∂θ;  optionally g ← g · c / max(‖g‖₂, c) over all of θ
    (``max_grad_norm`` = c, :func:`torch.nn.utils.clip_grad_norm_`);  the optimiser's update.

Row buffers are tensors with one row per training pair (memory banks of codes, stored codes or
features): a :class:`~cmhash.training.loop.Phase` declares their initial values, the loop keeps
them in :attr:`TrainState.buffers`, saves them in every checkpoint and restores them on resume.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import torch

PRECISIONS = ("float32", "bfloat16")


@dataclass
class TrainState:
    """The training run as its steps and hooks see it.

    Attributes
    ----------
    data : the training pairs, as the task passed them to :func:`~cmhash.training.train`
        (steps index them by the batch's row indices).
    device : the device the run trains on.
    precision : "float32", or "bfloat16" for a forward pass under bf16 autocast.
    epoch : the current epoch of the current phase, 0-based.
    buffers : row buffers by name (see the module docstring).
    """

    data: Any
    device: torch.device
    precision: str = "float32"
    epoch: int = 0
    buffers: dict[str, torch.Tensor] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")

    def autocast(self) -> AbstractContextManager[None]:
        """The context of a step's forward pass: bf16 autocast when ``precision`` is
        "bfloat16", else nothing (losses and the update stay in float32)."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16,
                              enabled=self.precision == "bfloat16")

    def optimise(self, optimizer: torch.optim.Optimizer, loss: torch.Tensor,
                 max_grad_norm: float | None = None) -> None:
        """One optimisation step of ``optimizer`` on ``loss`` (see the module docstring)."""
        optimizer.zero_grad()
        loss.backward()
        if max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(
                [p for group in optimizer.param_groups for p in group["params"]], max_grad_norm)
        optimizer.step()

    def store(self, name: str, rows: torch.Tensor, values: torch.Tensor) -> None:
        """Write ``values`` (detached) into the rows ``rows`` of the row buffer ``name``."""
        self.buffers[name][rows] = values.detach()
