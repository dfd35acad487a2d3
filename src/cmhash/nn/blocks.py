"""Network blocks shared by the methods."""

from __future__ import annotations

import itertools

import numpy as np
import torch
from torch import nn

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


def mlp_stack(widths: list[int], activation: str, dropout: float = 0.0) -> nn.Sequential:
    """Linear → BatchNorm1d → activation (→ Dropout) for each consecutive pair of ``widths``."""
    layers: list[nn.Module] = []
    for width_in, width_out in itertools.pairwise(widths):
        layers += [nn.Linear(width_in, width_out), nn.BatchNorm1d(width_out),
                   ACTIVATIONS[activation]()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def word_embedding(n_words: int, width: int, vectors: np.ndarray | None) -> nn.Linear:
    """Linear(n_words → width) over a bag of words; with ``vectors`` (n_words × width) its weight
    is Wᵀ, so a binary BoW maps to the sum of its words' vectors plus a bias (HMAH).  The bias
    keeps PyTorch's default initialisation."""
    layer = nn.Linear(n_words, width)
    if vectors is not None:
        with torch.no_grad():
            layer.weight.copy_(torch.as_tensor(np.asarray(vectors).T, dtype=torch.float32))
    return layer


class GraphConvolution(nn.Module):
    """GC(X, Â) = Â · (dropout(X) · W): no bias, no activation, Xavier-normal W (HMAH)."""

    def __init__(self, width_in: int, width_out: int, dropout: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(width_in, width_out))
        nn.init.xavier_normal_(self.weight)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        return adjacency @ (self.dropout(x) @ self.weight)
