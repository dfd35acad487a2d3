"""Running a compiled kernel over work items on several cores, or on this thread.

A kernel is a numba function ``kernel(first, last, *args)`` that does items ``first..last-1``
and writes its results into arrays among ``args``.  :func:`run_in_chunks` splits the items into
one contiguous chunk per thread and runs the chunks in a numba ``prange`` — or calls the kernel
once, in this thread, when there is one thread or too little work: starting a parallel region
wakes the other threads, which costs more than a small search (and, on a busy machine, far
more).
"""

from __future__ import annotations

from typing import Any

import numba


@numba.njit(parallel=True, cache=True)
def _chunks_in_parallel(kernel, n_items, n_chunks, args):
    for chunk in numba.prange(n_chunks):
        kernel(chunk * n_items // n_chunks, (chunk + 1) * n_items // n_chunks, *args)


def run_in_chunks(kernel: Any, n_items: int, threads: int, args: tuple,
                  serial: bool = False) -> None:
    """Run ``kernel`` over items ``0..n_items-1``: in ``threads`` parallel chunks, or at once
    in this thread if ``serial``, ``threads == 1`` or there are fewer than two items."""
    if serial or threads == 1 or n_items < 2:
        kernel(0, n_items, *args)
    else:
        _chunks_in_parallel(kernel, n_items, min(threads, n_items), args)
