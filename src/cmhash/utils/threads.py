"""How many threads the numeric libraries use: by default, the cores this process may run on.

torch, the BLAS under NumPy and SciPy (OpenBLAS or MKL) and numba each size their thread pools
from the machine's cores or from their own environment variables, not from the cores this
process is allowed (``taskset``, a container's or a batch scheduler's CPU set).  With more
threads than usable cores, or with cores that another job keeps busy, the threads wait on each
other and a BLAS-heavy fit runs many times slower than on one thread.  :func:`set_threads`
gives all of them the same count: ``len(os.sched_getaffinity(0))`` unless told otherwise
(``cmhash --threads N``).

torch and numba are imported on first use (:mod:`cmhash.utils.lazy`), often after the count is
set, and SciPy loads its own BLAS with ``scipy.linalg``.  So a library already loaded is limited
through its own call (threadpoolctl for the BLAS and OpenMP pools), and one loaded later reads
the count from the environment variables it reads when it loads (``OMP_NUM_THREADS`` for torch's
pool, ``NUMBA_NUM_THREADS``, the BLAS's own); :func:`set_threads` imports none of them.
"""

from __future__ import annotations

import os
import sys

from threadpoolctl import threadpool_limits

#: the variables the libraries read when they load: OpenMP (torch, OpenBLAS builds on it),
#: OpenBLAS, MKL, numba
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")


def usable_cores() -> int:
    """The number of cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        os.cpu_count() or 1


def set_threads(count: int | None = None) -> int:
    """Limit torch, the BLAS libraries and numba, loaded now or later, to ``count`` threads
    (default: :func:`usable_cores`); return the count."""
    count = count or usable_cores()
    torch, numba = sys.modules.get("torch"), sys.modules.get("numba")
    # numba re-reads NUMBA_NUM_THREADS at every compilation and refuses a value other than its
    # thread pool's: once numba is loaded, only its own call changes the count
    variables = [v for v in THREAD_VARIABLES if numba is None or v != "NUMBA_NUM_THREADS"]
    os.environ.update(dict.fromkeys(variables, str(count)))
    threadpool_limits(count)  # as a call, not a context: the limit stays for the process
    if torch is not None:
        torch.set_num_threads(count)
    if numba is not None:
        numba.set_num_threads(min(count, numba.config.NUMBA_NUM_THREADS))
    return count
