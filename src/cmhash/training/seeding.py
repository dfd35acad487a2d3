"""One seed for everything random in a training run.

``seed_everything(seed)`` seeds Python's ``random``, NumPy's global generator and torch's global
generator (dropout, initialisation), and returns a separate torch generator for shuffling
batches; ``worker_init`` derives a seed for each DataLoader worker from torch's.  The split seed
is separate (see :mod:`cmhash.data.protocols`) and recorded beside this one.
"""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return the generator that orders the batches."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    shuffle = torch.Generator()
    shuffle.manual_seed(seed + 1)
    return shuffle


def worker_init(worker_id: int) -> None:
    """DataLoader ``worker_init_fn``: seed NumPy and Python in a worker from torch's seed."""
    seed = torch.initial_seed() % 2**32
    random.seed(seed)
    np.random.seed(seed)
