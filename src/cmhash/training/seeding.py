"""Seeded randomness for training that leaves the caller's random generators alone.

Network initialisation (``nn.Linear.reset_parameters``), dropout and ``torch.randn`` draw from
torch's *global* generators and take no generator argument, so a training run cannot pass them
a local one.  Instead :func:`seeded_rng` runs the run inside :func:`torch.random.fork_rng`: the
global CPU generator (and that of the CUDA device in use) is seeded for the run and the caller's
states are put back when it ends, however it ends.  Batch order comes from a separate local
``torch.Generator`` (see :mod:`cmhash.training.loop`).  Python's ``random`` and NumPy's global
generator are never touched.  :func:`rng_states` / :func:`set_rng_states` save and restore the
global states inside a run, for checkpoints, so a resumed run continues the same streams.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch


def _cuda_index(device: torch.device) -> int | None:
    """The CUDA device index that ``device`` names, or None for a device other than CUDA."""
    if device.type != "cuda":
        return None
    return device.index if device.index is not None else torch.cuda.current_device()


@contextmanager
def seeded_rng(seed: int, device: torch.device | str = "cpu") -> Iterator[None]:
    """Run the block on torch's global CPU generator (and, on CUDA, the generator of
    ``device``) seeded with ``seed``; restore the caller's generator states afterwards."""
    cuda = _cuda_index(torch.device(device))
    with torch.random.fork_rng(devices=[] if cuda is None else [cuda], device_type="cuda"):
        torch.random.default_generator.manual_seed(seed)
        if cuda is not None:
            with torch.cuda.device(cuda):
                torch.cuda.manual_seed(seed)
        yield


def rng_states(device: torch.device | str = "cpu") -> dict[str, Any]:
    """The global generator states a run draws from: ``torch`` (CPU) and, on CUDA, ``cuda``."""
    states = {"torch": torch.get_rng_state()}
    cuda = _cuda_index(torch.device(device))
    if cuda is not None:
        states["cuda"] = torch.cuda.get_rng_state(cuda)
    return states


def set_rng_states(states: dict[str, Any], device: torch.device | str = "cpu") -> None:
    """Restore states saved by :func:`rng_states` (a CUDA state only onto a CUDA device)."""
    torch.set_rng_state(states["torch"])
    cuda = _cuda_index(torch.device(device))
    if cuda is not None and "cuda" in states:
        torch.cuda.set_rng_state(states["cuda"], cuda)
