"""AGAH's label prototypes: a binary code per label (the code map M) and a feature per label (the
feature map F), the loss that ties the codes to M, and the updates of M and F run once per epoch
over the whole training set.

L (N × C): multi-hot labels; H (B × K): continuous codes; M (C × K): ±1 label codes;
F (C × d): unit-norm label features; f^I, f^T (N × d): the features of all training pairs and
B^I = sign(U), B^T = sign(V) (N × K) the signs of their codes, both stored during the epoch.

Code-map loss (summed, as the code):

    L_M(H) = Σ_{i,c} (h_i · m_c − K (2ℓ_ic − 1))²

Code-map update (AGAH's ``update_code_map``), one cyclic pass over the bits with S = 2I_C − 1
(+1 on the diagonal, −1 elsewhere) and the old map M⁰:

    Q = 2K (Lᵀ (B^I + B^T) + S M⁰)
    for k = 1 … K in turn:
        m_k ← sign(q_k − 2 M_¬k (B^I_¬kᵀ b^I_k + B^T_¬kᵀ b^T_k + M_¬kᵀ m_k))

M_¬k is M without column k, with the columns before k already updated and m_k on the right
still the old column (the code updates M in place, so its third product reads the partly updated
map).  Every quantity is an integer, so a tie sign(0) = 0 is possible and kept, as ``torch.sign``;
the update runs in float64, where these integers are exact.

Feature-map update (AGAH's ``update_feature_map``, mode ``'average'``):

    F_c = g_c / ‖g_c‖₂,   g_c = ½ (Σ_i ℓ_ic f^I_i / n_c + Σ_i ℓ_ic f^T_i / n_c),   n_c = Σ_i ℓ_ic

The positive factors ½ and 1 / n_c cancel in the normalisation, so F_c is the direction of
Σ_i ℓ_ic (f^I_i + f^T_i).  A label without training pairs gets F_c = 0 (the authors' code divides
by n_c = 0 and fills the map, and so every later feature, with NaN).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def code_map_loss(h: torch.Tensor, code_map: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """L_M(H): ``h`` (B, K) codes, ``code_map`` (C, K) ±1, ``labels`` (B, C) multi-hot."""
    bits = h.shape[1]
    target = bits * (2 * labels.to(h.dtype) - 1)
    return ((h @ code_map.T - target) ** 2).sum()


def update_code_map(image_codes: torch.Tensor, text_codes: torch.Tensor,
                    code_map: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The new code map M (C, K) from the stored codes U, V (N, K) of all training pairs, the old
    map ``code_map`` (C, K) and the labels (N, C); the inputs are left unchanged."""
    image_signs = torch.sign(image_codes).double()
    text_signs = torch.sign(text_codes).double()
    new = code_map.double().clone()
    bits = new.shape[1]
    n_labels = new.shape[0]
    label_sim = 2 * torch.eye(n_labels, dtype=torch.float64, device=new.device) - 1
    q = 2 * bits * (labels.double().T @ (image_signs + text_signs) + label_sim @ new)
    gram = image_signs.T @ image_signs + text_signs.T @ text_signs  # (K, K)
    for k in range(bits):
        others = torch.arange(bits, device=new.device) != k
        rest = new[:, others]
        new[:, k] = torch.sign(q[:, k] - 2 * rest @ (gram[others, k] + rest.T @ new[:, k]))
    return new.to(code_map.dtype)


def update_feature_map(image_features: torch.Tensor, text_features: torch.Tensor,
                       labels: torch.Tensor) -> torch.Tensor:
    """The new feature map F (C, d) from the stored features f^I, f^T (N, d) and labels (N, C)."""
    summed = labels.to(image_features.dtype).T @ (image_features + text_features)
    return F.normalize(summed, dim=1)
