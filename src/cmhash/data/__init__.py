"""Datasets of image–text pairs: the core types, readers for the field's formats, protocols."""

from cmhash.data.dataset import PairedDataset, Split
from cmhash.data.info import dataset_info
from cmhash.data.protocols import (
    carve_validation,
    check_protocol,
    list_protocols,
    make_split,
    random_split,
)
from cmhash.data.registry import default_data_root, list_datasets, load_dataset

__all__ = [
    "PairedDataset",
    "Split",
    "carve_validation",
    "check_protocol",
    "dataset_info",
    "default_data_root",
    "list_datasets",
    "list_protocols",
    "load_dataset",
    "make_split",
    "random_split",
]
