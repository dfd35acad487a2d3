"""Pairwise likelihood loss against a memory bank (DCMH line; MITH/MATH "bayesian" loss).

    ℓ(U, h, S) = −mean_{j,b} [ S_jb θ_jb − log(1 + e^{θ_jb}) ],   θ = a · clamp(U hᵀ, −64, 64)

with a = ½ in every published method (so θ ∈ [−K/2, K/2] for codes in [−1, 1]^K, and |θ| ≤ 32
whatever K); the clamp acts on U hᵀ before the scale, as MITH's and MATH's ``bayesian_loss``
(``train_asym.py``) computes it.  Other values of a only serve ablations.

U: (N × K) stored codes of all training pairs (a memory bank, the batch rows overwritten with the
current outputs before the loss), h: (B × K) codes of the batch, S: (N × B) label similarity.
log(1 + e^θ) is computed as softplus(θ), which is exact and stable.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

THETA_LIMIT = 64.0


def pairwise_likelihood_loss(bank: torch.Tensor, codes: torch.Tensor,
                             similarity: torch.Tensor, scale: float = 0.5) -> torch.Tensor:
    """ℓ(U, h, S) of the module docstring (mean over all N × B entries), a = ``scale``."""
    theta = scale * torch.clamp(bank @ codes.T, -THETA_LIMIT, THETA_LIMIT)
    return -(similarity * theta - F.softplus(theta)).mean()
