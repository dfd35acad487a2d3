"""Quantisation terms summed over the batch (AGAH), for continuous codes H (B × K) in (−1, 1).

    Q_sign(H) = Σ_{i,k} (h_ik − sign h_ik)²                   pulls every entry to ±1
    Q_cos(H)  = Σ_i 1 / (1 + exp(θ_i)),  θ_i = cos(|h_i|, 1)   pulls the magnitudes |h_i|
                                                                towards the all-ones direction

θ_i = Σ_k |h_ik| / (‖h_i‖₂ √K) is 1 exactly when all |h_ik| are equal, so Q_cos rewards codes whose
bits have one common magnitude.  sign is a constant (no gradient flows through it); sign(0) = 0,
as ``torch.sign``.  Both are sums (AGAH's ``torch.sum``), not means: :mod:`cmhash.losses.mse_terms`
has the mean-reduced ``quantization_mse``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def sign_quantization_loss(h: torch.Tensor) -> torch.Tensor:
    """Σ_{i,k} (h_ik − sign h_ik)² over codes ``h`` of shape (B, K)."""
    return ((h - torch.sign(h).detach()) ** 2).sum()


def cosine_quantization_loss(h: torch.Tensor) -> torch.Tensor:
    """Σ_i 1 / (1 + exp(cos(|h_i|, 1))) over codes ``h`` of shape (B, K) (= Σ_i σ(−θ_i))."""
    theta = F.cosine_similarity(h.abs(), torch.ones_like(h), dim=1)
    return torch.sigmoid(-theta).sum()
