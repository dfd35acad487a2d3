"""Blocks of MITH and MATH: ResMLP, sinusoidal positions, a CLIP-style pre-LN transformer,
bitwise hashing, and localized token aggregation."""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn


class ResMLP(nn.Module):
    """``depth`` pre-LN residual blocks x ← x + Linear(4w → w)(GELU(Linear(w → 4w)(LN(x))))."""

    def __init__(self, width: int = 512, depth: int = 2) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 4 * width), nn.GELU(),
                          nn.Linear(4 * width, width)) for _ in range(depth))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = x + block(x)
        return x


def sinusoidal_positions(length: int, width: int) -> torch.Tensor:
    """The sin/cos table (length, width) divided by √width (MITH's positional encoding)."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    frequency = torch.exp(torch.arange(0, width, 2, dtype=torch.float32)
                          * (-math.log(10000.0) / width))
    table = torch.zeros(length, width)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table / math.sqrt(width)


class QuickGELU(nn.Module):
    """x · σ(1.702 x), CLIP's activation."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class PreLNBlock(nn.Module):
    """CLIP's residual attention block: x + MHA(LN(x)), then x + MLP(LN(x)) with QuickGELU."""

    def __init__(self, width: int = 512, heads: int = 8) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attention = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), QuickGELU(),
                                 nn.Linear(4 * width, width))

    def forward(self, x: torch.Tensor, padding: torch.Tensor | None = None) -> torch.Tensor:
        y = self.ln_1(x)
        x = x + self.attention(y, y, y, key_padding_mask=padding, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


HashingMode = Literal["token_per_bit", "mean_over_positions"]


class BitwiseHashing(nn.Module):
    """K separate Linear(w → 1), one per bit, computed as one einsum.

    ``mode`` (chosen by the method, never by the input's shape):
      * ``"token_per_bit"`` (MITH): bit k reads token k of (N, K, w), h_k = w_kᵀ x_k + b_k;
      * ``"mean_over_positions"`` (MATH): every bit reads every position of (N, L, w),
        h_k = (1/L) Σ_l w_kᵀ x_l + b_k.
    """

    def __init__(self, bits: int, width: int = 512,
                 mode: HashingMode = "token_per_bit") -> None:
        super().__init__()
        if mode not in ("token_per_bit", "mean_over_positions"):
            raise ValueError(f"unknown hashing mode {mode!r}")
        self.mode = mode
        self.weight = nn.Parameter(torch.empty(bits, width))
        self.bias = nn.Parameter(torch.empty(bits))
        bound = 1 / math.sqrt(width)  # nn.Linear's default initialisation, per bit
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (N, K, w) or (N, L, w) as ``mode`` says → (N, K)."""
        if self.mode == "mean_over_positions":
            return torch.einsum("nlw,kw->nk", tokens, self.weight) / tokens.shape[1] + self.bias
        if tokens.shape[1] != self.weight.shape[0]:
            raise ValueError(f"token_per_bit hashing needs one token per bit: got "
                             f"{tokens.shape[1]} tokens for {self.weight.shape[0]} bits")
        return torch.einsum("nkw,kw->nk", tokens, self.weight) + self.bias


def localized_token_aggregation(scores: torch.Tensor, tokens: torch.Tensor,
                                mask: torch.Tensor | None, top_k: int = 8) -> torch.Tensor:
    """MITH's LTA: K concept tokens from L tokens, without parameters.

    scores (N, L, K) concept scores of each token (no gradient flows through them), tokens
    (N, L, w), mask (N, L) True for real tokens.  Masked tokens and non-positive scores are
    dropped; each token keeps its ``top_k`` largest concept scores; for every (sample, concept)
    a softmax over the tokens gives weights α, and concept token k = Σ_l α_lk x_l (a concept no
    token chose is a zero vector).  Returns (N, K, w).
    """
    scores = scores.detach()
    dropped = scores <= 0
    if mask is not None:
        dropped = dropped | ~mask[:, :, None]
    kth = torch.topk(scores, min(top_k, scores.shape[2]), dim=2).values[:, :, -1:]
    dropped = dropped | (scores < kth)
    weights = torch.softmax(scores.masked_fill(dropped, float("-inf")), dim=1)
    weights = torch.nan_to_num(weights, nan=0.0)
    return torch.einsum("nlk,nlw->nkw", weights, tokens)
