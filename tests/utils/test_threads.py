"""--threads: torch, BLAS and numba get the count whether they are loaded before or after it is
set, and setting it imports none of them."""

import json

from tests.utils.test_lazy import _python

PROBE = """
import json, sys
import numba  # loaded before the count is set: limited through its own call
from cmhash.utils.threads import set_threads
set_threads(1)
loaded = [m for m in ("torch", "numba") if m in sys.modules]
import torch  # loaded after: reads the count from the environment
from threadpoolctl import threadpool_info
print(json.dumps({"loaded": loaded, "torch": torch.get_num_threads(),
                  "numba": numba.get_num_threads(),
                  "blas": sorted({p["num_threads"] for p in threadpool_info()})}))
"""


def test_libraries_loaded_before_or_after_get_the_count():
    found = json.loads(_python(PROBE).stdout)
    assert found == {"loaded": ["numba"], "torch": 1, "numba": 1, "blas": [1]}


RELAUNCH = """
import numba
from cmhash.utils.threads import set_threads

@numba.njit(parallel=True)
def total(x):
    s = 0.0
    for i in numba.prange(len(x)):
        s += x[i]
    return s

import numpy as np
set_threads(1)
total(np.ones(10))  # numba's threads start
set_threads(2)  # the count changes after they started (another command in the same process)

@numba.njit(parallel=True)
def twice(x):  # a new compilation re-reads numba's configuration
    s = 0.0
    for i in numba.prange(len(x)):
        s += 2 * x[i]
    return s

print(twice(np.ones(10)), numba.get_num_threads())
"""


def test_a_new_count_after_numba_started_its_threads_leaves_later_compilations_working():
    assert _python(RELAUNCH).stdout.split() == ["20.0", "2"]
