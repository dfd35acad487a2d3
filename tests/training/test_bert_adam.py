"""BertAdam against steps computed by hand with plain Python floats."""

import math

import pytest
import torch

from cmhash.training import BertAdam, warmup_cosine


def test_warmup_cosine_uses_absolute_progress():
    assert warmup_cosine(0.0, 0.05) == 0.0
    assert warmup_cosine(0.025, 0.05) == pytest.approx(0.5)
    assert warmup_cosine(0.05, 0.05) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.05)))
    assert warmup_cosine(0.5, 0.05) == pytest.approx(0.5)
    assert warmup_cosine(1.0, 0.05) == pytest.approx(0.0)


def _by_hand(p, grads, lr, t_total, warmup, wd, clip, b1=0.9, b2=0.98, eps=1e-6):
    m = v = 0.0
    for step, g in enumerate(grads):
        norm = abs(g)
        if clip / (norm + 1e-6) < 1:
            g = g * clip / (norm + 1e-6)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        update = m / (math.sqrt(v) + eps) + wd * p
        progress = step / t_total
        factor = progress / warmup if progress < warmup else 0.5 * (1 + math.cos(math.pi *
                                                                                 progress))
        p = p - lr * factor * update
    return p


@pytest.mark.parametrize("grads", [[3.0, 3.0, -0.5, 0.2], [0.4, -0.1, 0.3, 0.9, -2.0, 0.05]])
def test_steps_match_the_formula(grads):
    p = torch.tensor([1.5], dtype=torch.float64, requires_grad=True)
    optimizer = BertAdam([p], lr=0.1, t_total=5, warmup=0.3, weight_decay=0.01,
                         max_grad_norm=1.0)
    values = []
    for g in grads:
        p.grad = torch.tensor([g], dtype=torch.float64)
        optimizer.step()
        values.append(p.item())
    for n in range(1, len(grads) + 1):
        assert values[n - 1] == pytest.approx(_by_hand(1.5, grads[:n], 0.1, 5, 0.3, 0.01, 1.0),
                                              rel=1e-12)
    assert values[0] == 1.5  # progress 0: the first step moves nothing


def test_clipping_is_per_tensor_and_groups_keep_their_lr():
    a = torch.zeros(2, requires_grad=True)
    b = torch.zeros(2, requires_grad=True)
    optimizer = BertAdam([{"params": [a], "lr": 1.0}, {"params": [b], "lr": 0.01}], lr=0.5,
                         t_total=2, warmup=0.5, weight_decay=0.0, max_grad_norm=1.0)
    for _ in range(2):
        a.grad = torch.tensor([30.0, 40.0])  # norm 50: clipped to norm 1 on its own
        b.grad = torch.tensor([0.3, 0.4])  # norm 0.5: untouched
        optimizer.step()
    # step 1 has factor 0; step 2: progress 0.5 → factor ½(1 + cos(π/2)) = 0.5, and with no bias
    # correction m/√v = 0.19 g / √(0.0396 g²) = 0.19/√0.0396 per entry, whatever g's size
    ratio = 0.19 / math.sqrt(0.0396)
    torch.testing.assert_close(a, torch.full((2,), -1.0 * 0.5 * ratio), atol=1e-4, rtol=0)
    torch.testing.assert_close(b, torch.full((2,), -0.01 * 0.5 * ratio), atol=1e-6, rtol=0)
