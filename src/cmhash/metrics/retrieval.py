"""Named retrieval metrics over Hamming rankings — one definition each.

Ranking: database items sorted by Hamming distance to the query, ties broken by database
position.  Relevant: the item shares at least one label with the query.  ρ is the 1-based rank
of a relevant item, m the number of relevant items ranked at or above it, R the relevant items
in the database for that query.

Queries without a relevant item (R = 0) are excluded from every mean except the two
``map_calc_k`` metrics', which divide by every query (as ``calc_map_k`` does); their number is
reported (``n_query`` − ``n_query_with_relevant``).  When no query has a relevant item no metric
is defined, and computing one is an error rather than a 0 or a NaN.

========================  =================================================================
name                      definition (mean over queries)
========================  =================================================================
``map``                   AP = (1/R) Σ m/ρ over all relevant items
``map@K``                 AP over the top-K list: Σ_{ρ≤K} m/ρ / #{ρ≤K}; 0 if the top K holds
                          no relevant item (MATLAB / HMAH ``mAP@K``)
``map_calc_k@K``          (1/min(K,R)) Σ_{m≤min(K,R)} m/ρ — the first min(K,R) relevant items
                          wherever they rank; summed over queries with R>0, divided by all
                          queries (the ``calc_map_k`` of DCMH/DADH/MITH code)
``map_calc_k``            ``calc_map_k`` with no K: AP summed, divided by all queries
``p@K``                   #{ρ≤K} / min(K, n_db)
``r@K``                   #{ρ≤K} / R
========================  =================================================================

Curves: ``p_at_k`` — ``p@K`` and ``r@K`` at a list of depths; ``pr_radius`` — for each Hamming
radius r = 0..bits, the precision (relevant / retrieved, over queries that retrieve at least one
item) and recall (relevant retrieved / R) of every item within distance r.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from cmhash.codes import Codes
from cmhash.errors import InputError

if TYPE_CHECKING:
    from cmhash.metrics._ranking import RankStatistics

DEFAULT_METRICS = ("map", "map@500", "p@100", "p@500", "r@500")
DEFAULT_CURVE_DEPTHS = (1, *range(50, 1001, 50))
_METRIC_FORMS = ("map", "map@K", "map_calc_k", "map_calc_k@K", "p@K", "r@K")
_METRIC_PATTERN = re.compile(r"^(map|map_calc_k|p|r)(?:@([1-9][0-9]*))?$")
#: the policy for queries without a relevant item, as the reports state it
EMPTY_QUERY_POLICY = ("queries without a relevant item are excluded from every mean except "
                      "map_calc_k's, which divides by all queries")


@dataclass(frozen=True)
class MetricName:
    """A parsed metric name: its kind and, where it has one, its cut-off K."""

    kind: str
    k: int | None

    @classmethod
    def parse(cls, name: str) -> MetricName:
        match = _METRIC_PATTERN.match(name)
        if not match or (match[1] in ("p", "r") and match[2] is None):
            raise InputError(f"unknown metric {name!r}; known forms: {', '.join(_METRIC_FORMS)}")
        return cls(match[1], int(match[2]) if match[2] else None)


def check_metric_names(names: Iterable[str]) -> None:
    """Raise an :class:`InputError` for the first name that is not a known metric."""
    for name in names:
        MetricName.parse(name)


def count_queries_with_relevant(query_labels: np.ndarray, database_labels: np.ndarray) -> int:
    """How many queries share a label with at least one database item, in O(n) memory: query q
    has a relevant item iff one of its labels is held by some database item."""
    held = np.asarray(database_labels).any(axis=0)
    return int((np.asarray(query_labels)[:, held] != 0).any(axis=1).sum())


@dataclass
class RetrievalResult:
    """Metric values and curves of one retrieval direction."""

    metrics: dict[str, float]
    n_query: int
    n_query_with_relevant: int
    n_database: int
    curves: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metrics": self.metrics,
            "n_query": self.n_query,
            "n_query_with_relevant": self.n_query_with_relevant,
            "n_database": self.n_database,
            "curves": self.curves,
        }


def _metric_value(stats: RankStatistics, metric: MetricName) -> float:
    counted = stats.n_relevant > 0
    n_relevant = stats.n_relevant[counted].astype(np.float64)
    if metric.kind == "map" and metric.k is None:
        return float(np.mean(stats.ap_sum[counted] / n_relevant))
    if metric.kind == "map_calc_k":
        if metric.k is None:
            per_query = stats.ap_sum[counted] / n_relevant
        else:
            column = int(np.searchsorted(stats.first_k, metric.k))
            per_query = stats.ap_first_sum[counted, column] / np.minimum(metric.k, n_relevant)
        return float(per_query.sum() / len(stats.n_relevant))
    column = int(np.searchsorted(stats.depths, metric.k))
    hits = stats.hits[counted, column].astype(np.float64)
    if metric.kind == "map":
        ap = np.divide(stats.ap_top_sum[counted, column], hits, out=np.zeros_like(hits),
                       where=hits > 0)
        return float(np.mean(ap))
    if metric.kind == "p":
        return float(np.mean(hits / min(metric.k, stats.n_db)))
    return float(np.mean(hits / n_relevant))  # "r"


def _curves(stats: RankStatistics, curve_depths: tuple[int, ...]) -> dict[str, dict[str, list]]:
    counted = stats.n_relevant > 0
    n_relevant = stats.n_relevant[counted].astype(np.float64)
    columns = np.searchsorted(stats.depths, curve_depths)
    hits = stats.hits[counted][:, columns].astype(np.float64)
    shown = np.minimum(np.asarray(curve_depths, np.float64), stats.n_db)
    retrieved = np.cumsum(stats.at_radius[counted], axis=1).astype(np.float64)
    relevant_retrieved = np.cumsum(stats.relevant_at_radius[counted], axis=1).astype(np.float64)
    any_retrieved = retrieved > 0
    precision = np.divide(relevant_retrieved, retrieved, out=np.zeros_like(retrieved),
                          where=any_retrieved)
    n_any = any_retrieved.sum(axis=0)
    radius_precision = np.divide(precision.sum(axis=0), n_any,
                                 out=np.zeros(stats.bits + 1), where=n_any > 0)
    return {
        "p_at_k": {
            "k": [int(k) for k in curve_depths],
            "precision": (hits / shown).mean(axis=0).tolist(),
            "recall": (hits / n_relevant[:, None]).mean(axis=0).tolist(),
        },
        "pr_radius": {
            "radius": list(range(stats.bits + 1)),
            "precision": radius_precision.tolist(),
            "recall": (relevant_retrieved / n_relevant[:, None]).mean(axis=0).tolist(),
        },
    }


def retrieval_metrics(
    query: Codes,
    database: Codes,
    query_labels: np.ndarray,
    database_labels: np.ndarray,
    metrics: tuple[str, ...] = DEFAULT_METRICS,
    curve_depths: tuple[int, ...] | None = None,
) -> RetrievalResult:
    """Compute named metrics (and, if ``curve_depths`` is given, curves) for one direction.

    Parameters
    ----------
    query, database : Codes
        Query and database codes of the same length.
    query_labels : ndarray of shape (n_query, n_labels)
    database_labels : ndarray of shape (n_database, n_labels)
        Multi-hot labels; relevant means at least one shared label.
    metrics : names from the table in this module's docstring.
    curve_depths : depths of the ``p_at_k`` curve; with it, both curves are computed.

    Raises
    ------
    InputError
        for an unknown metric name, or when no query has a relevant item (no metric is
        defined; e.g. all-zero labels).

    Examples
    --------
    >>> import numpy as np
    >>> from cmhash.codes import Codes
    >>> q = Codes.from_real(np.array([[1, 1, 1, 1, 1, 1, 1, 1]]))
    >>> db = Codes.from_real(np.array([[1] * 8, [-1] * 8]))
    >>> labels = np.array([[1, 0]]), np.array([[1, 0], [0, 1]])
    >>> retrieval_metrics(q, db, *labels, metrics=("map", "p@1")).metrics
    {'map': 1.0, 'p@1': 1.0}
    """
    from cmhash.metrics._ranking import rank_statistics  # numba: imported on first use

    parsed = {name: MetricName.parse(name) for name in metrics}
    depths = {m.k for m in parsed.values() if m.kind in ("map", "p", "r") and m.k is not None}
    first_k = {m.k for m in parsed.values() if m.kind == "map_calc_k" and m.k is not None}
    if curve_depths is not None:
        depths |= set(curve_depths)
    stats = rank_statistics(query, database, query_labels, database_labels,
                            tuple(depths), tuple(first_k))
    if not (stats.n_relevant > 0).any():
        raise InputError(f"no query shares a label with any database item ({len(query)} "
                         "queries), so no metric is defined; are the labels all zero?")
    return RetrievalResult(
        metrics={name: _metric_value(stats, m) for name, m in parsed.items()},
        n_query=len(query),
        n_query_with_relevant=int((stats.n_relevant > 0).sum()),
        n_database=len(database),
        curves=_curves(stats, tuple(curve_depths)) if curve_depths is not None else {},
    )


def mean_average_precision(
    query: Codes, database: Codes, query_labels: np.ndarray, database_labels: np.ndarray
) -> float:
    """``map``: mean AP over the whole ranking, over queries with at least one relevant item."""
    return retrieval_metrics(query, database, query_labels, database_labels, ("map",)).metrics[
        "map"]
