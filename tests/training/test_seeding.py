"""Seeded blocks that give the caller's torch generators back, and generator states for
checkpoints."""

import pytest
import torch

from cmhash.training import Phase, load_checkpoint, train
from cmhash.training.seeding import rng_states, seeded_rng, set_rng_states
from tests.helpers import StatelessTask

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA device"))]


def _draw(device: str) -> torch.Tensor:
    return torch.rand(4, device=device).cpu()


@pytest.mark.parametrize("device", DEVICES)
def test_a_seeded_block_draws_the_seeds_stream_and_restores_the_callers(device):
    torch.manual_seed(11)
    expected_after = _draw(device)
    torch.manual_seed(11)
    with seeded_rng(5, device):
        inside = _draw(device)
    torch.testing.assert_close(_draw(device), expected_after, rtol=0, atol=0)
    with seeded_rng(5, device):
        torch.testing.assert_close(_draw(device), inside, rtol=0, atol=0)
    reference = torch.Generator(device).manual_seed(5)
    torch.testing.assert_close(torch.rand(4, device=device, generator=reference).cpu(), inside,
                               rtol=0, atol=0)


def test_a_seeded_block_restores_the_callers_state_when_it_raises():
    torch.manual_seed(11)
    expected_after = _draw("cpu")
    torch.manual_seed(11)
    with pytest.raises(KeyError), seeded_rng(5):
        _draw("cpu")
        raise KeyError
    torch.testing.assert_close(_draw("cpu"), expected_after, rtol=0, atol=0)


@pytest.mark.parametrize("device", DEVICES)
def test_saved_states_continue_the_same_streams(device):
    states = rng_states(device)
    assert set(states) == ({"torch", "cuda"} if device == "cuda" else {"torch"})
    first = (_draw("cpu"), _draw(device))
    set_rng_states(states, device)
    second = (_draw("cpu"), _draw(device))
    for a, b in zip(first, second, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


class Noise(StatelessTask):
    """A task whose steps record a dropout-like draw from the global generator."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.draws: list[float] = []

    def phases(self):
        return [Phase("noise", 2, 4, self.step, validate=False)]

    def step(self, state, rows):
        self.draws.append(float(torch.rand(1, device=self.device).item()))
        return {"rows": float(rows.sum())}



@pytest.mark.parametrize("device", DEVICES)
def test_train_is_seeded_checkpoints_the_device_stream_and_leaves_the_callers(tmp_path, device):
    torch.manual_seed(11)
    expected_after = _draw(device)
    torch.manual_seed(11)
    first, second = Noise(device), Noise(device)
    train(first, range(8), seed=3, header={"method": "noise", "bits": 8}, workdir=tmp_path,
          progress=False, has_validation=False, device=device)
    torch.testing.assert_close(_draw(device), expected_after, rtol=0, atol=0)
    train(second, range(8), seed=3, header={"method": "noise", "bits": 8}, progress=False,
          has_validation=False, device=device)
    assert first.draws == second.draws and len(set(first.draws)) == 4
    saved = load_checkpoint(tmp_path / "checkpoint.pt", "noise", 8)
    assert set(saved["rng"]) == {"torch", "shuffle"} | ({"cuda"} if device == "cuda" else set())
