"""Multi-index hashing answers exactly as the flat scan, on hundreds of generated cases: code
lengths, sizes, how many distinct codes (ties), substring counts m, probe budgets and k."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cmhash.codes import Codes
from cmhash.index import HammingIndex


@st.composite
def cases(draw):
    bits = 8 * draw(st.integers(1, 20))
    n = draw(st.integers(0, 300))
    distinct = draw(st.integers(1, max(1, n)))
    m = draw(st.none() | st.integers(-(-bits // 64), bits))
    max_probes = draw(st.sampled_from([None, 0, 50, 20_000]))
    k = draw(st.integers(1, n + 3))
    radius = draw(st.integers(0, bits))
    seed = draw(st.integers(0, 2**32 - 1))
    return bits, n, distinct, m, max_probes, k, radius, seed


@settings(max_examples=250, deadline=None)
@given(cases())
def test_mih_equals_flat(case):
    bits, n, distinct, m, max_probes, k, radius, seed = case
    rng = np.random.default_rng(seed)
    pool = rng.integers(0, 256, (distinct, bits // 8), dtype=np.uint8)
    db = Codes(pool[rng.integers(0, distinct, n)], bits)
    # queries: some database codes with a few flipped bits, some random codes
    near = pool[rng.integers(0, distinct, 3)] ^ (rng.random((3, bits // 8)) < 0.1).astype(
        np.uint8) << rng.integers(0, 8, (3, bits // 8)).astype(np.uint8)
    queries = Codes(np.concatenate([near, rng.integers(0, 256, (2, bits // 8), np.uint8)]),
                    bits)
    flat = HammingIndex(bits, "flat")
    mih = HammingIndex(bits, "mih", m=m, max_probes=max_probes)
    for index in (flat, mih):
        index.add(db)
    # one thread: the answer does not depend on it, and the test does not wait for a busy core
    expected = flat.search(queries, k, threads=1)
    got = mih.search(queries, k, threads=1)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    for a, b in zip(mih.range_search(queries, radius, threads=1),
                    flat.range_search(queries, radius, threads=1), strict=True):
        np.testing.assert_array_equal(a, b)
