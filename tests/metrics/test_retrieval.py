"""Metric values against a hand-worked case and against the naive per-query definitions."""

import numpy as np
import pytest

from cmhash.codes import Codes
from cmhash.errors import InputError
from cmhash.metrics import count_queries_with_relevant, retrieval_metrics
from tests.reference import naive_metrics

ALL_METRICS = ("map", "map@1", "map@3", "map@50", "map_calc_k", "map_calc_k@1", "map_calc_k@7",
               "map_calc_k@1000", "p@1", "p@4", "p@10000", "r@2", "r@60")


def _hand_case():
    """One query (all ones), four database items at distances 2, 0, 2, 1.

    Relevant: items 0, 2, 3.  Stable ranking: 1 (d0, irrelevant), 3 (d1), 0 (d2), 2 (d2):
    relevant items at ranks 2, 3, 4.
    """
    query = np.ones((1, 8))
    db = np.ones((4, 8))
    db[0, :2] = -1
    db[2, 3:5] = -1
    db[3, 7] = -1
    return (Codes.from_real(query), Codes.from_real(db), np.array([[1, 0]]),
            np.array([[1, 0], [0, 1], [1, 1], [1, 0]]))


def test_hand_worked_values():
    result = retrieval_metrics(*_hand_case(), metrics=(
        "map", "map@2", "map@1", "map_calc_k@1", "map_calc_k@2", "p@2", "r@2", "p@10"),
        curve_depths=(1, 2, 3))
    expected = {
        "map": (1 / 2 + 2 / 3 + 3 / 4) / 3,
        "map@2": (1 / 2) / 1,
        "map@1": 0.0,  # the top-1 holds no relevant item
        "map_calc_k@1": 1 / 2,
        "map_calc_k@2": (1 / 2 + 2 / 3) / 2,
        "p@2": 1 / 2,
        "r@2": 1 / 3,
        "p@10": 3 / 4,  # the list has only 4 items
    }
    for name, value in expected.items():
        assert result.metrics[name] == pytest.approx(value, abs=1e-12), name
    pr = result.curves["pr_radius"]
    assert pr["precision"][:3] == pytest.approx([0.0, 1 / 2, 3 / 4])
    assert pr["recall"][:3] == pytest.approx([0.0, 1 / 3, 1.0])
    assert result.curves["p_at_k"]["precision"] == pytest.approx([0.0, 1 / 2, 2 / 3])


def test_ties_are_broken_by_database_position():
    query, db, q_labels, db_labels = _hand_case()
    swapped = np.array([0, 1, 3, 2])  # items 0 and 2 tie at distance 2; 3 now sits after 2
    reordered = retrieval_metrics(query, db[swapped], q_labels, db_labels[swapped], ("map",))
    assert reordered.metrics["map"] == pytest.approx((1 / 2 + 2 / 3 + 3 / 4) / 3)
    db_labels = db_labels.copy()
    db_labels[2] = [0, 1]  # now the tie at distance 2 is (relevant 0, irrelevant 2)
    first = retrieval_metrics(query, db, q_labels, db_labels, ("map",)).metrics["map"]
    order = np.array([2, 1, 0, 3])  # irrelevant tie member first
    second = retrieval_metrics(query, db[order], q_labels, db_labels[order], ("map",))
    assert first == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert second.metrics["map"] == pytest.approx((1 / 2 + 2 / 4) / 2)


@pytest.mark.parametrize(("n_bits", "n_query", "n_db", "n_labels", "density"), [
    (8, 40, 300, 4, 0.2),     # 9 distance values for 300 items: heavy ties
    (16, 30, 500, 24, 0.1),
    (24, 25, 200, 70, 0.05),  # labels over two 64-bit words
    (128, 10, 150, 3, 0.5),
])
def test_equal_to_naive_definitions(rng, n_bits, n_query, n_db, n_labels, density):
    q = rng.choice([-1, 1], size=(n_query, n_bits))
    d = rng.choice([-1, 1], size=(n_db, n_bits))
    q_labels = (rng.random((n_query, n_labels)) < density).astype(np.uint8)
    d_labels = (rng.random((n_db, n_labels)) < density).astype(np.uint8)
    q_labels[0] = 0  # one query with no relevant item at all
    result = retrieval_metrics(Codes.from_real(q), Codes.from_real(d), q_labels, d_labels,
                               ALL_METRICS, curve_depths=(1, 50, 100))
    for name in ALL_METRICS:
        expected = naive_metrics.metric(name, q, d, q_labels, d_labels)
        assert abs(result.metrics[name] - expected) <= 1e-9, name
    precision, recall = naive_metrics.pr_radius(q, d, q_labels, d_labels)
    np.testing.assert_allclose(result.curves["pr_radius"]["precision"], precision, atol=1e-12)
    np.testing.assert_allclose(result.curves["pr_radius"]["recall"], recall, atol=1e-12)
    assert result.n_query_with_relevant == int(((q_labels @ d_labels.T) > 0).any(1).sum())


def test_calc_k_divides_by_all_queries_while_map_skips_empty_ones():
    query, db, _, db_labels = _hand_case()
    two_queries = Codes(np.repeat(query.packed, 2, axis=0), 8)
    labels = np.array([[1, 0], [0, 0]])  # the second query has no relevant item
    result = retrieval_metrics(two_queries, db, labels, db_labels, ("map", "map_calc_k"))
    assert result.metrics["map"] == pytest.approx((1 / 2 + 2 / 3 + 3 / 4) / 3)
    assert result.metrics["map_calc_k"] == pytest.approx((1 / 2 + 2 / 3 + 3 / 4) / 3 / 2)


@pytest.mark.parametrize("name", ["map", "map@2", "map_calc_k", "map_calc_k@2", "p@2", "r@2"])
def test_no_metric_is_defined_when_no_query_has_a_relevant_item(name):
    query, db, _, db_labels = _hand_case()
    q_labels = np.array([[0, 0]])  # all-zero labels: nothing is relevant to anything
    with pytest.raises(InputError, match="no query shares a label with any database item"):
        retrieval_metrics(query, db, q_labels, db_labels, (name,), curve_depths=(1, 2))
    with pytest.raises(ValueError, match="no query has a relevant item"):
        naive_metrics.metric(name, query.to_signs(), db.to_signs(), q_labels, db_labels)


def test_queries_with_relevant_items_are_counted_without_a_query_database_matrix(rng):
    q_labels = (rng.random((50, 6)) < 0.2).astype(np.uint8)
    d_labels = (rng.random((80, 6)) < 0.1).astype(np.uint8)
    d_labels[:, 2] = 0  # a label no database item holds
    expected = int(((q_labels @ d_labels.T) > 0).any(axis=1).sum())
    assert count_queries_with_relevant(q_labels, d_labels) == expected
    assert count_queries_with_relevant(q_labels, np.zeros_like(d_labels)) == 0


@pytest.mark.parametrize(("name", "message"), [("mAP", "unknown metric"),
                                               ("p", "unknown metric"),
                                               ("map@0", "unknown metric")])
def test_unknown_metric_names_list_the_known_forms(name, message):
    with pytest.raises(InputError, match=f"{message}.*map@K"):
        retrieval_metrics(*_hand_case(), metrics=(name,))


def test_empty_query_set_is_an_error():
    query, db, _, db_labels = _hand_case()
    with pytest.raises(InputError, match="query set is empty"):
        retrieval_metrics(query[np.arange(0)], db, np.zeros((0, 2)), db_labels)


def test_chunked_queries_equal_the_full_computation(rng):
    q = Codes.from_real(rng.choice([-1, 1], size=(60, 32)))
    d = Codes.from_real(rng.choice([-1, 1], size=(400, 32)))
    ql = rng.integers(0, 2, (60, 5))
    dl = rng.integers(0, 2, (400, 5))
    full = retrieval_metrics(q, d, ql, dl, ("map_calc_k", "map_calc_k@20"))
    halves = [retrieval_metrics(q[s], d, ql[s], dl, ("map_calc_k", "map_calc_k@20"))
              for s in (slice(0, 30), slice(30, 60))]
    for name in full.metrics:
        assert full.metrics[name] == pytest.approx(
            sum(h.metrics[name] for h in halves) / 2, abs=1e-12)
