"""How many threads the compiled kernels use.

The kernels split their work items (groups of queries, database segments, queries) among
numba's threads with ``prange``.  :func:`numba_threads` sets that count for a block of code;
a backend asks for one thread when a search is small: starting a parallel region wakes the
other threads, which costs more than a small search (and, on a busy machine, far more).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numba


@contextmanager
def numba_threads(n: int) -> Iterator[None]:
    """Run numba kernels on ``n`` threads inside the block, then restore the count."""
    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(previous)
