"""Mean-squared-error terms (PyTorch mean reduction: the mean over all elements).

- ``similarity_mse(X, T)`` = mean((X̂X̂ᵀ − T)²): the batch cosine-similarity matrix of codes
  regressed onto a target matrix (HMAH's reconstruction term, and its student distillation with
  a cross-modal variant ``similarity_mse(X, T, Y)`` = mean((X̂Ŷᵀ − T)²)).
- ``quantization_mse(H)`` = mean((H − sign(H))²): pulls continuous codes to ±1 (HMAH, b term);
  the sign is a constant (no gradient flows through it).
- ``code_mse(H, B)`` = mean((H − B)²) towards given binary codes (HMAH students).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cmhash.losses.similarity import cosine_matrix


def similarity_mse(x: torch.Tensor, target: torch.Tensor,
                   y: torch.Tensor | None = None) -> torch.Tensor:
    """mean((cos(X, Y) − target)²), Y = X if omitted."""
    return F.mse_loss(cosine_matrix(x, y), target)


def quantization_mse(h: torch.Tensor) -> torch.Tensor:
    """mean((H − sign(H))²)."""
    return F.mse_loss(h, torch.sign(h).detach())


def code_mse(h: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """mean((H − B)²)."""
    return F.mse_loss(h, codes)
