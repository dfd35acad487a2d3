"""Evaluate a :class:`~cmhash.codes.CodeSet` in named directions and build a JSON report."""

from __future__ import annotations

from typing import Any

from cmhash.codes import CodeSet
from cmhash.errors import InputError
from cmhash.metrics.retrieval import (
    DEFAULT_CURVE_DEPTHS,
    DEFAULT_METRICS,
    EMPTY_QUERY_POLICY,
    retrieval_metrics,
)

REPORT_SCHEMA_VERSION = 1

#: direction name → (query code key, database code key)
DIRECTIONS = {
    "i2t": ("q_img", "r_txt"),
    "t2i": ("q_txt", "r_img"),
    "i2i": ("q_img", "r_img"),
    "t2t": ("q_txt", "r_txt"),
}


def evaluate_code_set(
    code_set: CodeSet,
    metrics: tuple[str, ...] = DEFAULT_METRICS,
    directions: tuple[str, ...] = ("i2t", "t2i"),
    curve_depths: tuple[int, ...] | None = DEFAULT_CURVE_DEPTHS,
) -> dict[str, Any]:
    """Metrics (and curves) for each direction, as a JSON-ready report (strict JSON: every value
    is a finite number; see :func:`~cmhash.metrics.retrieval_metrics` for the policy on queries
    without a relevant item)."""
    results = {}
    for direction in directions:
        if direction not in DIRECTIONS:
            raise InputError(f"unknown direction {direction!r}; known: {', '.join(DIRECTIONS)}")
        query_key, database_key = DIRECTIONS[direction]
        query, database = code_set.codes(query_key), code_set.codes(database_key)
        if query is None or database is None:
            missing = query_key if query is None else database_key
            raise InputError(f"direction {direction} needs codes {missing!r}, which are missing")
        results[direction] = retrieval_metrics(
            query, database, code_set.query_labels, code_set.database_labels,
            metrics, curve_depths).to_dict()
    bits = next(c.bits for c in (code_set.codes(k) for k in DIRECTIONS["i2t"] + DIRECTIONS[
        "t2i"]) if c is not None)
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "bits": bits,
        "relevance": "at least one shared label",
        "ranking": "Hamming distance, ties broken by database position",
        "queries_without_relevant": EMPTY_QUERY_POLICY,
        "directions": results,
    }
