"""A bundled model's inputs: how raw texts and images become what its method encodes.

The header holds one entry per modality (``inputs.image``, ``inputs.text``), with a ``source``:

``encoder``
    An encoder computed the training features: its name and ``options`` (without run-time
    options such as the device), its ``fingerprint`` and ``fingerprint_hash``, the ``form`` the
    method takes (``global``: the feature matrix; ``tokens``: global features, tokens and mask)
    and, for ``bow``, the ``vocabulary``.  Raw items are encoded as the feature cache encodes
    them (:func:`cmhash.inputs.item_inputs`: same preprocessing and batches, float16), by the
    encoder rebuilt on this machine once its fingerprint is checked against the header.
``method``
    The method reads raw items itself (MITH or MATH fine-tuning CLIP): image paths or pixel
    arrays, and texts.
``features``
    Feature rows stored in the dataset (e.g. Wiki's SIFT and LDA features), named by
    ``dataset`` and ``feature``: no encoder computes them from raw items, so raw items are
    refused; feature rows go to ``model.hashing_method.encode_image`` / ``encode_text``.

A stored text feature ``bow`` counts as the ``bow`` encoder over the dataset's vocabulary when
that encoder reproduces it on every pair (MIRFlickr's tag BoW does).

An entry is written from where the run took the modality's inputs (a
:class:`cmhash.inputs.FeatureSource`) and read back into one: the inputs of a dataset or of raw
items are then built by :mod:`cmhash.inputs`, as in training.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np

from cmhash.data import PairedDataset
from cmhash.encoders import ENCODERS, BagOfWords, Encoder, create_encoder
from cmhash.errors import InputError
from cmhash.inputs import FeatureSource, dataset_inputs, item_inputs, source_encoder

#: encoder options that change where or how fast an encoder runs, not its output
RUN_TIME_OPTIONS = ("device", "compile")
#: what a modality's raw items are
ITEMS = {"image": "images (file paths or uint8 pixel arrays)", "text": "texts"}

#: the entry of a modality whose feature rows were given to ``fit`` directly
FEATURES_ONLY = {"source": "features"}


def describe_input(dataset: PairedDataset, source: FeatureSource) -> dict[str, Any]:
    """The header entry of a modality whose training inputs came from ``source`` (see
    :func:`cmhash.inputs.feature_source`) over ``dataset``."""
    if source.form == "raw":
        return {"source": "method"}
    if source.stored is not None:
        if source.modality == "text" and source.stored == "bow" and \
                _bow_encoder_reproduces(dataset):
            return _encoder_entry(FeatureSource("text", source.form, encoder="bow"), dataset)
        return {"source": "features", "dataset": dataset.name, "feature": source.stored}
    return _encoder_entry(source, dataset)


def _bow_encoder_reproduces(dataset: PairedDataset) -> bool:
    """Whether the ``bow`` encoder over the dataset's vocabulary gives its stored ``bow``."""
    if dataset.vocabulary is None or dataset.texts is None:
        return False
    try:
        encoded = BagOfWords(dataset.vocabulary).encode(dataset.texts).global_features
    except InputError:  # e.g. an empty text, which the encoder refuses
        return False
    return bool(np.array_equal(encoded, dataset.text_features["bow"]))


def _encoder_entry(source: FeatureSource, dataset: PairedDataset) -> dict[str, Any]:
    encoder = source_encoder(source, dataset)
    entry = {"source": "encoder", "encoder": source.encoder, "form": source.form,
             "options": {k: v for k, v in source.options.items()
                         if k not in RUN_TIME_OPTIONS},
             "fingerprint": encoder.fingerprint(), "fingerprint_hash": encoder.fingerprint_hash()}
    if isinstance(encoder, BagOfWords):
        entry["vocabulary"] = encoder.vocabulary
    return entry


class RawInputs:
    """Turns raw items of one modality into the inputs of a bundled method (see the module
    docstring), through :mod:`cmhash.inputs`; the encoder is rebuilt, on ``device``, at first
    use."""

    def __init__(self, entry: dict[str, Any], modality: str, device: str, source: Path) -> None:
        self.entry = entry
        self.modality = modality
        self.device = device
        self.source = source
        self._encoder: Encoder | None = None

    def method_inputs(self, items: list[Any]) -> Any:
        """What the method's ``encode_image`` / ``encode_text`` takes for ``items``."""
        kind = self.entry["source"]
        if kind == "method":
            return item_inputs(items, "raw")
        if kind != "encoder":
            trained_on = (f"feature {self.entry['feature']!r} stored in dataset "
                          f"{self.entry['dataset']!r}" if "dataset" in self.entry else
                          "feature rows given to fit")
            raise InputError(f"{self.source}: this model's {self.modality} inputs are "
                             f"{trained_on}, which no encoder computes from raw "
                             f"{ITEMS[self.modality]}; encode feature rows with "
                             f"model.hashing_method.encode_{self.modality}(rows)")
        return item_inputs(items, self.entry["form"], self.encoder())

    def dataset_inputs(self, dataset: PairedDataset,
                       cache_dir: str | Path | None = None) -> tuple[Any, np.ndarray]:
        """What the method takes for every pair of ``dataset``, and the rows that could be read:
        the encoder's features through the feature cache (computed there, resumably, if
        missing), the raw items for a method that reads them, or the stored feature the model
        was trained on, if ``dataset`` has it."""
        kind = self.entry["source"]
        items = dataset.image_paths if self.modality == "image" else dataset.texts
        stored = dataset.image_features if self.modality == "image" else dataset.text_features
        feature = self.entry.get("feature")
        if kind == "encoder":
            source = FeatureSource(self.modality, self.entry["form"], encoder=self.entry["encoder"])
            return dataset_inputs(dataset, source, cache_dir, self.encoder())
        if kind == "method" and items is not None:
            return dataset_inputs(dataset, FeatureSource(self.modality, "raw"))
        if kind == "features" and feature in stored:
            return dataset_inputs(dataset, FeatureSource(self.modality, "global", stored=feature))
        raise InputError(f"{self.source}: dataset {dataset.name!r} has no {self.modality} "
                         f"inputs this model reads ({feature or kind})")

    def encoder(self) -> Encoder:
        """The encoder of the header entry, built here and checked against its fingerprint."""
        if self._encoder is None:
            name = self.entry["encoder"]
            options = dict(self.entry["options"])
            if "vocabulary" in self.entry:
                options["vocabulary"] = self.entry["vocabulary"]
            if name in ENCODERS and "device" in inspect.signature(ENCODERS[name]).parameters:
                options["device"] = self.device
            encoder = create_encoder(name, options=options)
            found = json.loads(json.dumps(encoder.fingerprint()))  # as the header holds it
            expected = self.entry["fingerprint"]
            if found != expected:
                differs = [k for k in sorted(set(found) | set(expected))
                           if found.get(k) != expected.get(k)]
                raise InputError(f"{self.source}: the {name} encoder here differs from the one "
                                 f"the model was trained with (in {', '.join(differs)})")
            self._encoder = encoder
        return self._encoder
