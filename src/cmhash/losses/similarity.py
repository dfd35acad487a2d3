"""Label-derived supervision shared by the losses: similarity, affinity and gain matrices.

Every method derives its targets from multi-hot labels; the constructions live here once.
"""

from __future__ import annotations

import torch


def _floating(labels: torch.Tensor) -> torch.Tensor:
    """Labels as a floating tensor (float32 unless already floating)."""
    return labels if labels.is_floating_point() else labels.float()


def hard_similarity(labels_a: torch.Tensor, labels_b: torch.Tensor) -> torch.Tensor:
    """S_ij = 1[ℓ_a,i · ℓ_b,j > 0]: the pair shares at least one label, (n_a, n_b)."""
    a = _floating(labels_a)
    return (a @ _floating(labels_b).T > 0).to(a.dtype)

def tanh_affinity(labels: torch.Tensor) -> torch.Tensor:
    """A = tanh(½ L Lᵀ) = 2σ(L Lᵀ) − 1 (HMAH): 0 for no shared label, → 1 with more shared
    labels (k shared → tanh(k/2)); the diagonal is tanh(n_i/2)."""
    labels = _floating(labels)
    return torch.tanh(0.5 * labels @ labels.T)

def row_normalize(adjacency: torch.Tensor) -> torch.Tensor:
    """D⁻¹A with D = diag(row sums), a zero row sum replaced by 1 (the row stays zero)."""
    sums = adjacency.sum(dim=1, keepdim=True)
    return adjacency / torch.where(sums == 0, torch.ones_like(sums), sums)

def cross_adjacency(affinity: torch.Tensor) -> torch.Tensor:
    """C = [[I, A], [A, I]] (2B × 2B; image nodes first, text nodes second), not normalised."""
    eye = torch.eye(len(affinity), dtype=affinity.dtype, device=affinity.device)
    return torch.cat([torch.cat([eye, affinity], 1), torch.cat([affinity, eye], 1)], 0)

def ndcg_gain(labels: torch.Tensor) -> torch.Tensor:
    """g_xy = (2^{ℓ_x·ℓ_y} − 1) / Z_x with Z_x = Σ_{r=1}^{B} (2^{s_x(r)} − 1) / log2(r + 1),
    s_x(r) the r-th largest ℓ_x·ℓ_j in the batch (an ideal DCG; DADH's triplet weight)."""
    labels = _floating(labels)
    shared = labels @ labels.T
    gains = torch.pow(2.0, shared) - 1.0
    ranked = torch.sort(gains, dim=1, descending=True).values
    discounts = torch.log2(torch.arange(2, len(labels) + 2, dtype=gains.dtype,
                                        device=gains.device))
    ideal = (ranked / discounts).sum(dim=1, keepdim=True)
    return gains / torch.where(ideal == 0, torch.ones_like(ideal), ideal)

def cosine_matrix(a: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    """cos(A, B) = Â B̂ᵀ with rows L2-normalised (B = A if omitted)."""
    a_hat = torch.nn.functional.normalize(a, dim=1)
    b_hat = a_hat if b is None else torch.nn.functional.normalize(b, dim=1)
    return a_hat @ b_hat.T

def signed_hamming(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Hamming distance between ±1 codes, d_H = (K − aᵀb) / 2."""
    return 0.5 * (a.shape[1] - a @ b.T)

