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
