"""Terms that tie MITH's and MATH's two hashes of one item together: the global hash h_g (of
the global feature) and the local hash h_l (of the tokens), both (B × K) in [−1, 1].

- ``global_local_distillation(h_g, h_l, feedback)``
  = (1/B) [‖sg(h_g) − h_l‖² + feedback · ‖h_g − sg(h_l)‖²]
  (sg = stop-gradient): h_l is pulled towards h_g, and h_g towards h_l only with weight
  ``feedback`` (MITH 0.1; MATH's mse term is feedback 0).
- ``blended_quantization(h_g, h_l, codes)`` = ‖½ h_g + ½ h_l − B‖² / (B K) towards given ±1
  codes B (a constant).
"""

from __future__ import annotations

import torch


def global_local_distillation(h_global: torch.Tensor, h_local: torch.Tensor,
                              feedback: float) -> torch.Tensor:
    """(1/B) [‖sg(h_g) − h_l‖² + feedback ‖h_g − sg(h_l)‖²]."""
    loss = ((h_global.detach() - h_local) ** 2).sum()
    if feedback:
        loss = loss + feedback * ((h_global - h_local.detach()) ** 2).sum()
    return loss / len(h_global)


def blended_quantization(h_global: torch.Tensor, h_local: torch.Tensor,
                         codes: torch.Tensor) -> torch.Tensor:
    """‖½ h_g + ½ h_l − B‖² / (B K)."""
    return ((0.5 * h_global + 0.5 * h_local - codes.detach()) ** 2).mean()
