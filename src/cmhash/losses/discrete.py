"""DADH's discrete code update, run once per epoch over the whole training set.

    P = (LᵀL + λ I_C)⁻¹ Lᵀ B,     B ← sign(L P + ½ μ (H_i + H_t))

L: training labels (N × C); H_i, H_t: the continuous codes of all training pairs stored during
the epoch; B: the shared binary codes (N × K).  A zero maps to +1 (cmhash's zero policy; DADH's
``torch.sign`` would leave 0, which with real-valued inputs practically never happens).
"""

from __future__ import annotations

import torch


def discrete_code_update(labels: torch.Tensor, codes: torch.Tensor, image_codes: torch.Tensor,
                         text_codes: torch.Tensor, lam: float = 1.0,
                         mu: float = 1e-5) -> torch.Tensor:
    """The new binary codes B (±1, same shape as ``codes``)."""
    labels = labels.to(codes.dtype)
    gram = labels.T @ labels + lam * torch.eye(labels.shape[1], dtype=codes.dtype,
                                               device=codes.device)
    projection = torch.linalg.solve(gram, labels.T @ codes)
    target = labels @ projection + 0.5 * mu * (image_codes + text_codes)
    return torch.where(target >= 0, 1.0, -1.0).to(codes.dtype)
