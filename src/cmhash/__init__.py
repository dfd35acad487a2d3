"""cmhash — deep cross-modal hashing: compact binary codes for image↔text retrieval.

Public entry points: datasets (:func:`load_dataset`, :func:`make_split`), methods
(:func:`create_method`), codes (:class:`Codes`, :class:`CodeSet`), metrics
(:func:`retrieval_metrics`, :func:`evaluate_code_set`), trained models (:func:`load_model`)
and search (:class:`HammingIndex`).

``import cmhash`` imports none of them (only the exceptions): each name is imported from its
subpackage when first read (:mod:`cmhash.utils.lazy`), and torch, numba and matplotlib only
when a deep method, an encoder, a metric kernel or a plot is used.
"""

from typing import TYPE_CHECKING

from cmhash.errors import InputError, MissingExtraError, MissingFileError, NotFittedError
from cmhash.utils.lazy import lazy_exports
from cmhash.version import __version__

_EXPORTS = {
    **dict.fromkeys(["CodeSet", "Codes", "load_code_set", "save_code_set"], "cmhash.codes"),
    **dict.fromkeys(["PairedDataset", "Split", "list_datasets", "load_dataset", "make_split"],
                    "cmhash.data"),
    **dict.fromkeys(["create_method", "list_methods", "load_method"], "cmhash.methods"),
    **dict.fromkeys(["evaluate_code_set", "mean_average_precision", "retrieval_metrics"],
                    "cmhash.metrics"),
    "load_model": "cmhash.bundle",
    "HammingIndex": "cmhash.index",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from cmhash.bundle import load_model
    from cmhash.codes import Codes, CodeSet, load_code_set, save_code_set
    from cmhash.data import PairedDataset, Split, list_datasets, load_dataset, make_split
    from cmhash.index import HammingIndex
    from cmhash.methods import create_method, list_methods, load_method
    from cmhash.metrics import evaluate_code_set, mean_average_precision, retrieval_metrics

__all__ = [
    "CodeSet",
    "Codes",
    "HammingIndex",
    "InputError",
    "MissingExtraError",
    "MissingFileError",
    "NotFittedError",
    "PairedDataset",
    "Split",
    "__version__",
    "create_method",
    "evaluate_code_set",
    "list_datasets",
    "list_methods",
    "load_code_set",
    "load_dataset",
    "load_method",
    "load_model",
    "make_split",
    "mean_average_precision",
    "retrieval_metrics",
    "save_code_set",
]
