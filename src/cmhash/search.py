"""From a trained model to search: a collection folder built from a model bundle and a dataset,
and ranked items for a text or an image query.

A collection folder (:class:`cmhash.index.Collection`) holds the items' image codes and text codes
in two Hamming indexes and each item's image path, text and label names in the payload store;
``build_collection`` adds ``model/``, a copy of the bundle that made the codes, so that the folder
alone answers queries.  Item ids are the pairs' positions in the dataset.

Building encodes the dataset's images and texts through the bundle's encoders and the feature
cache (a killed build resumes there, bit-identically) and writes everything into
``FOLDER.partial``, renamed to ``FOLDER`` once complete: a folder is either a whole collection or
absent.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from cmhash.bundle import TrainedModel, load_model
from cmhash.codes import Codes
from cmhash.data import PairedDataset
from cmhash.errors import InputError
from cmhash.index import Collection, Hit, Item

MODEL_FOLDER = "model"
#: which index a query of each modality searches by default: the other modality's
CROSS_MODAL = {"text": "image", "image": "text"}


def _items(dataset: PairedDataset, rows: np.ndarray) -> list[Item]:
    """The payload of the pairs at ``rows``: id = position, image path, text, label names."""
    names = dataset.label_names or []
    items = []
    for row in rows.tolist():
        labels = () if dataset.labels is None else tuple(
            names[j] if j < len(names) else str(j) for j in np.flatnonzero(dataset.labels[row]))
        items.append(Item(id=row,
                          image=None if dataset.image_paths is None else dataset.image_paths[row],
                          text=None if dataset.texts is None else dataset.texts[row],
                          labels=labels))
    return items


def build_collection(model: TrainedModel, dataset: PairedDataset, folder: str | Path,
                     backend: str = "flat", cache_dir: str | Path | None = None,
                     **backend_params: Any) -> Path:
    """Encode every pair of ``dataset`` with ``model`` into a new collection in ``folder``
    (refused if it exists); pairs whose image could not be read are left out.  Returns the
    folder."""
    folder = Path(folder)
    if folder.exists():
        raise InputError(f"{folder} already exists; remove it or choose another folder")
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # what a killed build left; features are cached
    codes, valid = {}, np.ones(len(dataset.ids), bool)
    for modality in ("image", "text"):
        codes[modality], readable = model.encode_dataset(dataset, modality, cache_dir)
        valid &= readable
    rows = np.flatnonzero(valid)
    if not len(rows):
        raise InputError(f"dataset {dataset.name!r}: no pair could be encoded")
    with Collection.create(partial, model.bits, backend, **backend_params) as collection:
        collection.add(codes["image"].packed[rows], codes["text"].packed[rows],
                       _items(dataset, rows))
        collection.save()
    shutil.copytree(model.path, partial / MODEL_FOLDER)
    partial.rename(folder)
    return folder


def search_collection(folder: str | Path, *, text: str | None = None,
                      image: str | Path | None = None, k: int = 10, target: str | None = None,
                      device: str | None = None) -> list[Hit]:
    """The ``k`` items of the collection in ``folder`` nearest to one query — a ``text`` or an
    ``image`` file — in the ``target`` index (default: the other modality's), nearest first; ties
    in the order the items were added."""
    if (text is None) == (image is None):
        raise InputError("give one query: a text or an image")
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    modality = "text" if text is not None else "image"
    target = target or CROSS_MODAL[modality]
    with Collection.open(folder) as collection:
        model = load_model(Path(folder) / MODEL_FOLDER, device)  # its bits: checked by search
        query: Codes = (model.encode_texts([text]) if text is not None
                        else model.encode_images([str(image)]))
        return collection.search(query, k, target)[0]
