"""Contrastive alignment terms with a fixed temperature τ (MITH / MATH).

InfoNCE (the CLIP loss):  for L2-normalised rows a_i, b_i of N pairs, logits z = a bᵀ / τ,
    NCE(a, b) = ½ [ CE(z, diag) + CE(zᵀ, diag) ]      (CE averaged over the N rows)

Token-wise InfoNCE: for each pair n, K concept tokens p^i_n,k and p^t_n,k (L2-normalised),
logits z_n = p^i_n (p^t_n)ᵀ / τ ∈ R^{K×K}, the target of row k is k:
    NCE_tok = ½ [ mean_{n,k} CE(z_n[k], k) + mean_{n,k} CE(z_nᵀ[k], k) ]
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

TEMPERATURE = 0.07


def info_nce(a: torch.Tensor, b: torch.Tensor, temperature: float = TEMPERATURE) -> torch.Tensor:
    """NCE(a, b) for (N, D) rows (normalised here)."""
    logits = F.normalize(a, dim=1) @ F.normalize(b, dim=1).T / temperature
    target = torch.arange(len(a), device=a.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def token_info_nce(a: torch.Tensor, b: torch.Tensor,
                   temperature: float = TEMPERATURE) -> torch.Tensor:
    """NCE_tok(a, b) for (N, K, D) concept tokens (normalised here)."""
    logits = F.normalize(a, dim=2) @ F.normalize(b, dim=2).transpose(1, 2) / temperature
    n, k, _ = logits.shape
    target = torch.arange(k, device=a.device).repeat(n)
    return 0.5 * (F.cross_entropy(logits.reshape(n * k, k), target)
                  + F.cross_entropy(logits.transpose(1, 2).reshape(n * k, k), target))
