"""cmhash — deep cross-modal hashing: compact binary codes for image↔text retrieval.

Public entry points: datasets (:func:`load_dataset`, :func:`make_split`), methods
(:func:`create_method`), codes (:class:`Codes`, :class:`CodeSet`), metrics
(:func:`retrieval_metrics`, :func:`evaluate_code_set`) and search (:class:`HammingIndex`).
"""

from cmhash.codes import Codes, CodeSet, load_code_set, save_code_set
from cmhash.data import PairedDataset, Split, list_datasets, load_dataset, make_split
from cmhash.errors import InputError, MissingFileError, NotFittedError
from cmhash.index import HammingIndex
from cmhash.methods import create_method, list_methods, load_method
from cmhash.metrics import evaluate_code_set, mean_average_precision, retrieval_metrics
from cmhash.version import __version__

__all__ = [
    "CodeSet",
    "Codes",
    "HammingIndex",
    "InputError",
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
    "make_split",
    "mean_average_precision",
    "retrieval_metrics",
    "save_code_set",
]
