"""TrainState: the one optimisation step, row-buffer writes and the forward pass's autocast."""

import pytest
import torch

from cmhash.training import TrainState


def _model_and_loss():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    x = torch.randn(5, 3)
    return model, lambda: (model(x) ** 2).sum()


def test_optimise_is_zero_grad_backward_step():
    model, loss = _model_and_loss()
    by_hand, by_hand_loss = _model_and_loss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for p in model.parameters():  # a stale gradient the step must clear first
        p.grad = torch.ones_like(p)
    TrainState(None, torch.device("cpu")).optimise(optimizer, loss())
    by_hand_loss().backward()
    with torch.no_grad():
        for p in by_hand.parameters():
            p -= 0.1 * p.grad
    for p, q in zip(model.parameters(), by_hand.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-7)


def test_optimise_clips_the_global_gradient_norm():
    model, loss = _model_and_loss()
    by_hand, by_hand_loss = _model_and_loss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    TrainState(None, torch.device("cpu")).optimise(optimizer, loss(), max_grad_norm=0.5)
    by_hand_loss().backward()
    grads = [p.grad for p in by_hand.parameters()]
    norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    assert norm > 0.5  # the clip is active
    with torch.no_grad():
        for p, g in zip(by_hand.parameters(), grads, strict=True):
            p -= g * 0.5 / norm
    for p, q in zip(model.parameters(), by_hand.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


def test_store_writes_detached_rows_of_a_buffer():
    state = TrainState(None, torch.device("cpu"), buffers={"bank": torch.zeros(4, 2)})
    values = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    state.store("bank", torch.tensor([3, 1]), values * 2)
    assert state.buffers["bank"].tolist() == [[0, 0], [6, 8], [0, 0], [2, 4]]
    assert not state.buffers["bank"].requires_grad


def test_autocast_is_bf16_only_at_bfloat16_precision():
    x = torch.randn(2, 3)
    layer = torch.nn.Linear(3, 3)
    with TrainState(None, torch.device("cpu"), "bfloat16").autocast():
        assert layer(x).dtype == torch.bfloat16
    with TrainState(None, torch.device("cpu")).autocast():
        assert layer(x).dtype == torch.float32
    with pytest.raises(ValueError, match="precision"):
        TrainState(None, torch.device("cpu"), "float16")
