"""A summary of a dataset: what ``cmhash data info`` prints."""

from __future__ import annotations

from typing import Any

import numpy as np

from cmhash.data.dataset import PairedDataset
from cmhash.data.protocols import make_split


def dataset_info(dataset: PairedDataset, protocol: str | None = None,
                 seed: int | None = None) -> dict[str, Any]:
    """Pairs, labels and their frequencies, text vocabulary, images present, split sizes."""
    info: dict[str, Any] = {"name": dataset.name, "pairs": len(dataset)}
    if dataset.labels is not None:
        counts = dataset.labels.sum(axis=0)
        names = dataset.label_names or [f"label{j}" for j in range(len(counts))]
        info["labels"] = len(names)
        info["label_frequencies"] = {n: int(c) for n, c in zip(names, counts, strict=True)}
        info["labels_per_pair"] = round(float(dataset.labels.sum(axis=1).mean()), 3)
        info["pairs_without_labels"] = int((dataset.labels.sum(axis=1) == 0).sum())
    else:
        info["labels"] = 0
    if dataset.vocabulary is not None:
        info["text_vocabulary"] = len(dataset.vocabulary)
    if dataset.texts is not None:
        info["distinct_text_words"] = len({w for t in dataset.texts for w in t.split()})
    info["image_features"] = {k: list(v.shape) for k, v in dataset.image_features.items()}
    info["text_features"] = {k: list(v.shape) for k, v in dataset.text_features.items()}
    if dataset.image_paths is not None:
        info["images_present"] = dataset.images_present()
    if dataset.image_pixels is not None:
        info["image_pixels"] = list(np.shape(dataset.image_pixels))
    if protocol is not None:
        info["split"] = make_split(dataset, protocol, seed).to_dict()
    return info
