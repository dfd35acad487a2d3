"""Retrieval metrics over Hamming rankings, reports and plots.

See :mod:`cmhash.metrics.retrieval` for the definition of every named metric.
"""

from cmhash.metrics.plots import plot_pr_curve, plot_precision_at_k, require_matplotlib
from cmhash.metrics.report import DIRECTIONS, evaluate_code_set
from cmhash.metrics.retrieval import (
    DEFAULT_CURVE_DEPTHS,
    DEFAULT_METRICS,
    EMPTY_QUERY_POLICY,
    RetrievalResult,
    check_metric_names,
    count_queries_with_relevant,
    mean_average_precision,
    retrieval_metrics,
)

__all__ = [
    "DEFAULT_CURVE_DEPTHS",
    "DEFAULT_METRICS",
    "DIRECTIONS",
    "EMPTY_QUERY_POLICY",
    "RetrievalResult",
    "check_metric_names",
    "count_queries_with_relevant",
    "evaluate_code_set",
    "mean_average_precision",
    "plot_pr_curve",
    "plot_precision_at_k",
    "require_matplotlib",
    "retrieval_metrics",
]
