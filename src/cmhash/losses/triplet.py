"""Weighted cosine triplet loss over all in-batch triplets (DADH, after AGAH).

Anchors a_x come from one modality, positives and negatives b_p, b_n from the other:

    T(a→b) = Σ_{x,p,n} w_xp · S_xp · (1 − S_xn) · [d(a_x, b_p) − d(a_x, b_n) + m]_+  /  N_active

with d(u, v) = max(0, 1 − cos(u, v)), S the hard label similarity, margin m, and N_active the
number of triplets whose weighted, clamped term is positive (> 1e-16), plus 1e-16 — a mean over
active triplets.  The positive set includes p = x (the anchor's own pair).  Weighted (DADH's
code at α = 10): w_xp = c · g_xp with g the NDCG gain of :func:`ndcg_gain`; unweighted: w = 1.
"""

from __future__ import annotations

import torch

from cmhash.losses.similarity import cosine_matrix, hard_similarity, ndcg_gain

ACTIVE_THRESHOLD = 1e-16


def cosine_triplet_loss(anchors: torch.Tensor, others: torch.Tensor, labels: torch.Tensor,
                        margin: float = 0.4, weight_constant: float | None = None
                        ) -> torch.Tensor:
    """T(a→b) as in the module docstring; ``weight_constant`` = c turns the NDCG weights on.

    Parameters
    ----------
    anchors : (B, K) codes or features of modality a
    others : (B, K) codes or features of modality b, row-aligned with ``anchors``
    labels : (B, C) multi-hot labels of the pairs
    """
    distance = torch.clamp(1.0 - cosine_matrix(anchors, others), min=0.0)  # (x, y)
    similar = hard_similarity(labels, labels)
    mask = similar[:, :, None] * (1.0 - similar[:, None, :])  # (x, p, n)
    hinge = torch.clamp(distance[:, :, None] - distance[:, None, :] + margin, min=0.0)
    terms = mask * hinge
    if weight_constant is not None:
        terms = weight_constant * ndcg_gain(labels)[:, :, None] * terms
    active = (terms > ACTIVE_THRESHOLD).sum()
    return terms.sum() / (active + ACTIVE_THRESHOLD)
