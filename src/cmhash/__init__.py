"""cmhash — deep cross-modal hashing: compact binary codes for image↔text retrieval.

Public entry points: datasets (:func:`load_dataset`, :func:`make_split`), methods
(:func:`create_method`), codes (:class:`Codes`, :class:`CodeSet`), metrics
(:func:`retrieval_metrics`, :func:`evaluate_code_set`) and trained models
(:func:`load_model`, imported when first used).
"""

from typing import Any

from cmhash.codes import Codes, CodeSet, load_code_set, save_code_set
from cmhash.data import PairedDataset, Split, list_datasets, load_dataset, make_split
from cmhash.errors import InputError, MissingFileError, NotFittedError
from cmhash.methods import create_method, list_methods, load_method
from cmhash.metrics import evaluate_code_set, mean_average_precision, retrieval_metrics
from cmhash.version import __version__

__all__ = [
    "CodeSet",
    "Codes",
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
    "load_model",
    "make_split",
    "mean_average_precision",
    "retrieval_metrics",
    "save_code_set",
]


def __getattr__(name: str) -> Any:
    if name == "load_model":  # the bundle loader imports safetensors; only when asked for
        from cmhash.bundle import load_model

        return load_model
    raise AttributeError(f"module 'cmhash' has no attribute {name!r}")
