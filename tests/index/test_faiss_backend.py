"""FAISS's binary indexes behind the interface: exact distances from faiss-flat, consistent
answers from the approximate ones, one clear error without faiss."""

import sys

import numpy as np
import pytest

from cmhash.codes import Codes
from cmhash.errors import InputError
from cmhash.index import HammingIndex
from tests.reference.brute_force_search import distance_matrix, knn, within

pytest.importorskip("faiss")

APPROXIMATE = {"faiss-hnsw": {"M": 16, "ef_search": 32}, "faiss-ivf": {"nprobe": 4},
               "faiss-multihash": {"nflip": 1}}


def clustered(rng, n: int, bits: int) -> tuple[Codes, Codes]:
    """Codes around 20 prototypes (each bit flipped with probability 0.1), and 15 queries."""
    prototypes = rng.integers(0, 2, (20, bits))
    rows = np.concatenate([rng.integers(0, 20, n), rng.integers(0, 20, 15)])
    bits_ = prototypes[rows] ^ (rng.random((len(rows), bits)) < 0.1)
    codes = Codes.from_real(bits_.astype(np.float64) - 0.5)
    return codes[:n], codes[n:]


@pytest.mark.parametrize("bits", [8, 16, 24, 40, 64, 72, 128, 256])
def test_faiss_flat_has_exact_distances_and_ties_only_at_the_boundary(bits):
    rng = np.random.default_rng(bits)
    db, queries = clustered(rng, 1500, bits)
    index = HammingIndex(bits, "faiss-flat")
    ids = index.add(db)
    for k in (1, 10, 1503):
        distances, found = index.search(queries, k)
        expected_d, expected_ids = knn(db.packed, ids, queries.packed, k)
        np.testing.assert_array_equal(distances, expected_d)
        for q in range(len(queries)):
            # ids nearer than the k-th distance are the same; at it, any of the tied ones
            boundary = expected_d[q, -1]
            inside = expected_d[q] < boundary
            assert set(found[q][inside]) == set(expected_ids[q][inside])
            tied = ids[distance_matrix(db.packed, queries.packed[q:q + 1])[0] == boundary]
            assert set(found[q][~inside]) <= set(tied) | {-1}
    lims, distances, found = index.range_search(queries, bits // 4)
    flat = HammingIndex(bits)
    flat.add(db)
    for a, b in zip((lims, distances, found), flat.range_search(queries, bits // 4),
                    strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("backend", list(APPROXIMATE))
def test_approximate_backends_return_true_distances_in_order(backend):
    rng = np.random.default_rng(5)
    db, queries = clustered(rng, 3000, 64)
    index = HammingIndex(64, backend, **APPROXIMATE[backend])
    ids = index.add(db)
    k = 20
    distances, found = index.search(queries, k)
    exact_d, _ = knn(db.packed, ids, queries.packed, k)
    true = distance_matrix(db.packed, queries.packed)
    recall = []
    for q in range(len(queries)):
        present = found[q] >= 0
        assert len(set(found[q][present])) == present.sum()  # no duplicates
        np.testing.assert_array_equal(distances[q][present], true[q][found[q][present]])
        assert (np.diff(distances[q]) >= 0).all()  # sorted, missing ones last
        assert (distances[q] >= exact_d[q]).all()  # never better than exact
        recall.append(np.isin(found[q][present], ids[true[q] <= exact_d[q, -1]]).mean())
    assert np.mean(recall) > 0.5  # not vacuous: these settings find most neighbours here


def test_ivf_probing_every_list_is_exact_in_distance():
    rng = np.random.default_rng(6)
    db, queries = clustered(rng, 2000, 64)
    index = HammingIndex(64, "faiss-ivf", nlist=8, nprobe=8)
    ids = index.add(db)
    distances, _ = index.search(queries, 30)
    np.testing.assert_array_equal(distances, knn(db.packed, ids, queries.packed, 30)[0])
    expected = within(db.packed, ids, queries.packed, 10)
    lims, d, found = index.range_search(queries, 10)
    assert [sorted(zip(d[lims[q]:lims[q + 1]].tolist(), found[lims[q]:lims[q + 1]].tolist(),
                       strict=True)) for q in range(len(queries))] == [sorted(e) for e in expected]


@pytest.mark.parametrize("backend", ["faiss-flat", "faiss-hnsw", "faiss-ivf"])
def test_remove_then_search_and_adding_after_a_search(backend):
    rng = np.random.default_rng(8)
    db, queries = clustered(rng, 1200, 64)
    index = HammingIndex(64, backend)
    index.add(db[:1000])
    index.search(queries, 5)  # builds (trains) the FAISS index
    index.add(db[1000:])
    removed = np.arange(0, 1200, 3)
    index.remove(removed)
    _, found = index.search(queries, 1200)
    assert not np.isin(found, removed).any()
    assert set(found[found >= 0].ravel()) <= set(np.delete(np.arange(1200), removed))
    if backend == "faiss-flat":  # exhaustive: every remaining code is returned
        assert (np.sort(found, axis=1)[:, -800:] >= 0).all()


def test_hnsw_has_no_range_search():
    index = HammingIndex(64, "faiss-hnsw")
    index.add(np.zeros((10, 8), np.uint8))
    with pytest.raises(InputError, match="'faiss-hnsw' has no range search"):
        index.range_search(np.zeros((1, 8), np.uint8), 3)


def test_a_missing_faiss_is_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss now raises ImportError
    with pytest.raises(InputError, match=r"pip install 'cmhash\[faiss\]'"):
        HammingIndex(64, "faiss-flat")
    HammingIndex(64, "flat")  # the other backends do not need it
