"""Step decay of an optimiser's learning rates (DADH, AGAH): lr ← max(factor · lr, floor)."""

from __future__ import annotations

import torch


def decay_learning_rates(optimizer: torch.optim.Optimizer, factor: float, floor: float) -> None:
    """Every parameter group's lr ← max(factor · lr, floor), in place."""
    for group in optimizer.param_groups:
        group["lr"] = max(group["lr"] * factor, floor)
