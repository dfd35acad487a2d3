"""The optimiser MITH and MATH use ("BertAdam"), which differs from AdamW in three ways.

For every parameter tensor p with gradient g, at step s (0-based) of t_total:

    g ← g · c / (‖g‖₂ + 1e-6) if that shrinks g     clipping per tensor (c = ``max_grad_norm``,
                                                    as clip_grad_norm_ on each tensor alone)
    m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²   no bias correction
    u = m / (√v + ε) + w · p                        weight decay w on every tensor, in the update
    p ← p − lr · f(s / t_total) · u

with the ``warmup_cosine`` schedule on absolute progress x = s / t_total:
f(x) = x / warmup while x < warmup, else ½ (1 + cos(π x)) (x itself, not the post-warmup
fraction).  The first step has x = 0, so it moves nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch


def warmup_cosine(progress: float, warmup: float) -> float:
    """f(x) of the module docstring."""
    if progress < warmup:
        return progress / warmup
    return 0.5 * (1.0 + math.cos(math.pi * progress))


class BertAdam(torch.optim.Optimizer):
    """See the module docstring.  Parameter groups may set their own ``lr``."""

    def __init__(self, params: Iterable[Any], lr: float, t_total: int, warmup: float = 0.05,
                 betas: tuple[float, float] = (0.9, 0.98), eps: float = 1e-6,
                 weight_decay: float = 0.01, max_grad_norm: float = 1.0) -> None:
        if t_total <= 0:
            raise ValueError(f"t_total must be positive, got {t_total}")
        defaults = {"lr": lr, "t_total": t_total, "warmup": warmup, "betas": betas, "eps": eps,
                    "weight_decay": weight_decay, "max_grad_norm": max_grad_norm}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if group["max_grad_norm"] > 0:
                    coefficient = group["max_grad_norm"] / (grad.norm(2) + 1e-6)
                    if coefficient < 1:
                        grad = grad * coefficient
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["exp_avg"].mul_(beta1).add_(grad, alpha=1 - beta1)
                state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                update = state["exp_avg"] / (state["exp_avg_sq"].sqrt() + group["eps"])
                if group["weight_decay"] > 0:
                    update = update + group["weight_decay"] * p
                factor = warmup_cosine(state["step"] / group["t_total"], group["warmup"])
                p.add_(update, alpha=-group["lr"] * factor)
                state["step"] += 1
        return loss
