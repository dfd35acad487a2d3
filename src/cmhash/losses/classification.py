"""Multi-label classification of the pairs from their features (AGAH's classifier heads).

    L_cls(P, L) = −Σ_{i,c} [ℓ_ic log p_ic + (1 − ℓ_ic) log(1 − p_ic)]

P (B × C): predicted label probabilities (a sigmoid output); L: multi-hot labels.  Summed over
pairs and labels, each log clamped at −100, as PyTorch's ``BCELoss(reduction='sum')``, which is
AGAH's.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def label_bce_loss(probabilities: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """L_cls as in the module docstring; ``probabilities`` and ``labels`` of shape (B, C)."""
    return F.binary_cross_entropy(probabilities, labels.to(probabilities.dtype), reduction="sum")
