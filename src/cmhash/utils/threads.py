"""How many threads the numeric libraries use: by default, the cores this process may run on.

torch, the BLAS under NumPy and SciPy (OpenBLAS or MKL) and numba each size their thread pools
from the machine's cores or from their own environment variables, not from the cores this
process is allowed (``taskset``, a container's or a batch scheduler's CPU set).  With more
threads than usable cores, or with cores that another job keeps busy, the threads wait on each
other and a BLAS-heavy fit runs many times slower than on one thread.  :func:`set_threads`
gives all three the same count: ``len(os.sched_getaffinity(0))`` unless told otherwise
(``cmhash --threads N``).
"""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The number of cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        os.cpu_count() or 1


def set_threads(count: int | None = None) -> int:
    """Limit torch, the BLAS libraries loaded so far and numba to ``count`` threads (default:
    :func:`usable_cores`); return the count."""
    import numba
    import torch
    from threadpoolctl import threadpool_limits

    count = count or usable_cores()
    torch.set_num_threads(count)
    threadpool_limits(count)  # as a call, not a context: the limit stays for the process
    numba.set_num_threads(min(count, numba.config.NUMBA_NUM_THREADS))
    return count
