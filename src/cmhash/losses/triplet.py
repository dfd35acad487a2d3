"""Cosine triplet loss over all in-batch triplets (AGAH's ``TripletAllLoss`` with the cosine
distance; DADH adds NDCG weights).

Anchors a_x come from one modality, positives and negatives b_p, b_n from the other:

    t_xpn = c · w_xp · S_xp · (1 − S_xn) · [d(a_x, b_p) − d(a_x, b_n) + m]_+
    T(a→b) = Σ_{x,p,n} t_xpn                        (reduction "sum", the authors' training)
    T(a→b) = Σ_{x,p,n} t_xpn / (N_active + 1e-16)    (reduction "mean_active")

with d(u, v) = max(0, 1 − cos(u, v)), S the hard label similarity, margin m, constant c and
N_active the number of terms t_xpn > 1e-16.  The positive set includes p = x (the anchor's own
pair).  NDCG-weighted (DADH's code at α = 10): w_xp = g_xp, the gain of :func:`ndcg_gain`
(the authors write it as g_xp − g_xn, and g_xn = 0 for every negative); unweighted: w = 1.
Both AGAH's and DADH's training scripts build the loss with ``reduction='sum'``; "mean_active"
is their class's unused default.
"""

from __future__ import annotations

from typing import Literal

import torch

from cmhash.losses.similarity import cosine_matrix, hard_similarity, ndcg_gain

ACTIVE_THRESHOLD = 1e-16
TripletReduction = Literal["sum", "mean_active"]
TRIPLET_REDUCTIONS = ("sum", "mean_active")


def cosine_triplet_loss(anchors: torch.Tensor, others: torch.Tensor, labels: torch.Tensor,
                        margin: float = 0.4, constant: float = 1.0,
                        ndcg_weighted: bool = False,
                        reduction: TripletReduction = "sum") -> torch.Tensor:
    """T(a→b) as in the module docstring.

    Parameters
    ----------
    anchors : (B, K) codes or features of modality a
    others : (B, K) codes or features of modality b, row-aligned with ``anchors``
    labels : (B, C) multi-hot labels of the pairs
    constant : c, multiplies every term
    ndcg_weighted : weight each (x, p) by the NDCG gain g_xp
    reduction : "sum" (the authors' training) or "mean_active"
    """
    if reduction not in TRIPLET_REDUCTIONS:
        raise ValueError(f"triplet reduction must be one of {TRIPLET_REDUCTIONS}, "
                         f"not {reduction!r}")
    distance = torch.clamp(1.0 - cosine_matrix(anchors, others), min=0.0)  # (x, y)
    similar = hard_similarity(labels, labels)
    mask = similar[:, :, None] * (1.0 - similar[:, None, :])  # (x, p, n)
    hinge = torch.clamp(distance[:, :, None] - distance[:, None, :] + margin, min=0.0)
    terms = constant * mask * hinge
    if ndcg_weighted:
        terms = ndcg_gain(labels)[:, :, None] * terms
    if reduction == "sum":
        return terms.sum()
    active = (terms > ACTIVE_THRESHOLD).sum()
    return terms.sum() / (active + ACTIVE_THRESHOLD)
