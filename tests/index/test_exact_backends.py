"""The exact backends against the brute-force reference: distances and tie order exactly."""

import numpy as np
import pytest

from cmhash.codes import Codes
from cmhash.errors import InputError
from cmhash.index import HammingIndex
from cmhash.index import flat as flat_module
from cmhash.index.mih import default_m
from tests.reference.brute_force_search import knn, within

BITS = (8, 16, 24, 40, 64, 72, 128, 256)
# mih probing only (no scan fallback), mih as configured by default, mih always falling back
EXACT = {"flat": {}, "mih": {"max_probes": 2**62}, "mih-default": {}, "mih-scan": {"max_probes": 0}}


def make_index(bits: int, variant: str) -> HammingIndex:
    return HammingIndex(bits, variant.split("-")[0], **EXACT[variant])


def random_codes(rng, n: int, bits: int, distinct: int | None = None) -> Codes:
    """n codes; with ``distinct``, drawn from that many distinct codes (many exact ties)."""
    pool = rng.integers(0, 256, (distinct or n, bits // 8), dtype=np.uint8)
    rows = rng.integers(0, len(pool), n) if distinct else np.arange(n)
    return Codes(pool[rows], bits)


def queries_for(rng, db: Codes, n: int) -> Codes:
    """Half copies of database codes with a few bits flipped, half random codes."""
    near = db.to_bits()[rng.integers(0, len(db), n // 2)]
    flips = rng.random(near.shape) < 0.05
    near = np.where(flips, 1 - near, near)
    far = rng.integers(0, 2, (n - n // 2, db.bits), dtype=np.uint8)
    return Codes.from_real(np.concatenate([near, far]).astype(np.float64) - 0.5)


@pytest.mark.parametrize("variant", list(EXACT))
@pytest.mark.parametrize("bits", BITS)
@pytest.mark.parametrize("distinct", [None, 5], ids=["random", "ties"])
def test_search_equals_brute_force(variant, bits, distinct):
    rng = np.random.default_rng(bits)
    db = random_codes(rng, 2600, bits, distinct)  # two database blocks
    queries = queries_for(rng, db, 12)
    index = make_index(bits, variant)
    ids = index.add(db)
    for k in (1, 10, 100, len(db) + 3):
        distances, found = index.search(queries, k)
        expected_d, expected_ids = knn(db.packed, ids, queries.packed, k)
        np.testing.assert_array_equal(distances, expected_d, err_msg=f"k={k}")
        np.testing.assert_array_equal(found, expected_ids, err_msg=f"k={k}")
        assert distances.dtype == np.int32 and found.dtype == np.int64


@pytest.mark.parametrize("variant", list(EXACT))
@pytest.mark.parametrize("bits", (8, 40, 64, 128))
@pytest.mark.parametrize("distinct", [None, 5], ids=["random", "ties"])
def test_range_search_equals_brute_force(variant, bits, distinct):
    rng = np.random.default_rng(bits + 1)
    db = random_codes(rng, 2600, bits, distinct)
    queries = queries_for(rng, db, 8)
    index = make_index(bits, variant)
    ids = index.add(db)
    for radius in (0, bits // 4, bits // 2 - 1, bits):
        lims, distances, found = index.range_search(queries, radius)
        got = [list(zip(distances[lims[q]:lims[q + 1]].tolist(),
                        found[lims[q]:lims[q + 1]].tolist(), strict=True))
               for q in range(len(queries))]
        assert got == within(db.packed, ids, queries.packed, radius), f"radius={radius}"
    assert lims[-1] == len(queries) * len(db)  # radius = bits takes everything


@pytest.mark.parametrize("variant", list(EXACT))
def test_ties_follow_insertion_order_across_adds_and_removals(variant):
    """Ids are not positions: they come from three adds, some are removed, ties stay in
    insertion order of the remaining codes."""
    rng = np.random.default_rng(7)
    db = random_codes(rng, 900, 24, distinct=4)
    index = make_index(24, variant)
    index.add(db[:300], ids=np.arange(300) * 10 + 5)
    index.add(db[300:600])  # default ids continue after the largest id so far
    index.add(db[600:], ids=np.arange(100_000, 100_300)[::-1])
    all_ids = np.concatenate([np.arange(300) * 10 + 5, np.arange(2996, 3296),
                              np.arange(100_000, 100_300)[::-1]])
    np.testing.assert_array_equal(index.ids, all_ids)
    removed = all_ids[rng.choice(900, 250, replace=False)]
    assert index.remove(removed) == 250
    keep = ~np.isin(all_ids, removed)
    queries = queries_for(rng, db, 6)
    expected = knn(db.packed[keep], all_ids[keep], queries.packed, 40)
    got = index.search(queries, 40)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert len(index) == 650


@pytest.mark.parametrize("variant", ["flat", "mih"])
def test_empty_index_and_k_beyond_the_codes(variant):
    index = make_index(64, variant)
    queries = Codes(np.zeros((3, 8), np.uint8), 64)
    distances, found = index.search(queries, 4)
    assert (found == -1).all() and (distances == np.iinfo(np.int32).max).all()
    lims, _, _ = index.range_search(queries, 64)
    assert lims.tolist() == [0, 0, 0, 0]
    index.add(Codes(np.full((2, 8), 255, np.uint8), 64))
    distances, found = index.search(queries, 4)
    assert found.tolist() == [[0, 1, -1, -1]] * 3
    assert distances[:, :2].tolist() == [[64, 64]] * 3
    index.remove([0, 1])
    assert (index.search(queries, 4)[1] == -1).all()


def test_flat_threads_and_database_segments_give_the_same_answer(monkeypatch):
    """One query on two threads splits the database into segments (their lists are merged in
    position order); one thread does not."""
    rng = np.random.default_rng(3)
    db = random_codes(rng, 5000, 64, distinct=30)
    queries = queries_for(rng, db, 1)
    index = HammingIndex(64)
    ids = index.add(db)
    expected = knn(db.packed, ids, queries.packed, 25)
    monkeypatch.setattr(flat_module, "_MIN_SEGMENT", 100)
    assert flat_module.work_split(1, 5000, 25, 2) == (1, 2)
    for threads in (1, 2):
        got = index.search(queries, 25, threads=threads)
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])


def test_codes_as_packed_bytes_and_their_length_checked():
    index = HammingIndex(64)
    index.add(np.zeros((3, 8), np.uint8))
    with pytest.raises(InputError, match=r"128 bits.*holds 64-bit codes"):
        index.search(np.zeros((1, 16), np.uint8), 1)
    with pytest.raises(InputError, match="128 bits; the index holds 64-bit codes"):
        index.add(Codes(np.zeros((1, 16), np.uint8), 128))
    with pytest.raises(InputError, match="k must be a positive integer"):
        index.search(np.zeros((1, 8), np.uint8), 0)
    with pytest.raises(InputError, match="already in the index"):
        index.add(np.zeros((1, 8), np.uint8), ids=[2])
    with pytest.raises(InputError, match="not in the index"):
        index.remove([7])
    with pytest.raises(InputError, match="unknown index backend 'annoy'; available: flat, mih"):
        HammingIndex(64, "annoy")


def test_info_reports_size_memory_and_advice(monkeypatch):
    index = HammingIndex(64, "mih")
    index.add(np.zeros((300, 8), np.uint8))
    index.build()
    info = index.info()
    assert (info["backend"], info["exact"], info["count"], info["bits"]) == ("mih", True, 300, 64)
    assert info["tie_order"] == "insertion order"
    assert info["memory_bytes"]["codes"] == 300 * 8 and info["memory_bytes"]["ids"] == 300 * 8
    assert info["memory_bytes"]["backend"] > 0 and sum(info["substring_bits"]) == 64
    assert info["advice"]["backend"] == "flat"
    monkeypatch.setattr("cmhash.index.advice.MIH_FROM", 200)
    assert index.info()["advice"]["backend"] == "mih"
    assert index.info(k=1000)["advice"]["backend"] == "flat"
    with pytest.raises(InputError, match="threads must be from 1"):
        index.search(np.zeros((1, 8), np.uint8), 1, threads=0)


@pytest.mark.parametrize(("bits", "n", "expected"), [
    (64, 10_000_000, 4),   # the paper's rule gives 3 (21-bit substrings); at most 16 bits → 4
    (64, 1_000_000, 4),
    (128, 1_000_000, 8),   # the paper's 6 → 8 substrings of 16 bits
    (64, 1_000, 6),        # small n: the paper's rule (64 / log2(1000) ≈ 6.4) already shorter
    (8, 1_000_000, 1),     # never more than bits / 4 substrings
])
def test_default_substrings_are_at_most_16_bits(bits, n, expected):
    assert default_m(bits, n) == expected
