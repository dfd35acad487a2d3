"""What a method takes as inputs, and the one place that builds them.

A method declares its needs in one typed value, :class:`InputSpec` (its class attribute
``input_spec``).  Its inputs come in one of three forms:

``global``
    A float64 feature matrix (n, d) per modality: a feature stored in the dataset (e.g. Wiki's
    SIFT, MIRFlickr's tag BoW over its vocabulary) or an encoder's global features.
``tokens``
    :class:`~cmhash.encoders.Features` (global features, tokens, mask) of an encoder with
    token features.
``raw``
    The items themselves, as a 1-d object array (image paths, texts): the method reads them
    (MITH and MATH fine-tuning CLIP).  A method takes this form when the parameter its spec
    names in ``raw_with`` is set.

Building them goes one way.  :func:`check_feature_names` checks a run's feature names before
any data is read; :func:`feature_source` decides, once per modality, where the inputs come from
(a stored feature, an encoder named by a spec string ``NAME[:key=value,…]``, parsed here and
nowhere else in a run, or the raw items); :func:`dataset_inputs` builds them for every pair of a
dataset, through the feature cache; :func:`item_inputs` builds them for raw items in memory (a
trained model's queries), as the cache would.  :func:`resolve_inputs` gives a run everything its
method declared: both modalities, the rows that could be read, word vectors, label texts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cmhash.data import PairedDataset
from cmhash.encoders import (
    ENCODERS,
    Encoder,
    Features,
    create_encoder,
    encoder_class,
    feature_cache,
    glove50_vectors,
    list_encoders,
    parse_encoder_spec,
)
from cmhash.encoders.stored import encode_items
from cmhash.errors import InputError

MODALITIES = ("image", "text")


@dataclass(frozen=True)
class InputSpec:
    """What a method needs besides its parameters.

    Attributes
    ----------
    form : "global" or "tokens": the form of its image and text inputs (see the module
        docstring).
    raw_with : a constructor parameter that, when set, makes the method read raw items instead
        ("raw" form), or None.
    labels : ``fit`` needs the training labels (a supervised method).
    validation : the method selects its epoch on a validation split carved from the training
        pairs.
    word_vectors : ``fit`` uses vectors of the words of a BoW text feature (its columns).
    label_texts : ``fit`` uses each training pair's label text (its label names joined by
        spaces), in the form of its text inputs.
    """

    form: str = "global"
    raw_with: str | None = None
    labels: bool = False
    validation: bool = False
    word_vectors: bool = False
    label_texts: bool = False

    def form_for(self, params: Mapping[str, Any]) -> str:
        """The form a method with constructor parameters ``params`` takes."""
        return "raw" if self.raw_with and params.get(self.raw_with) else self.form


@dataclass(frozen=True)
class FeatureSource:
    """Where one modality's inputs come from: a feature stored in the dataset (``stored``), an
    encoder (``encoder`` and its ``options``), or, for the raw form, the items themselves."""

    modality: str
    form: str
    stored: str | None = None
    encoder: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class RunInputs:
    """Everything a run gives its method, for every pair of the dataset.

    Attributes
    ----------
    image, text : the inputs of each modality in the method's form (n rows each).
    valid : ndarray of shape (n,), bool — False for pairs with an item that could not be read.
    sources : modality → where its inputs came from.
    word_vectors : (d_text, d_word) vectors of the BoW columns, or None.
    word_vector_source : what the word vectors are, for the run's record ("none" if None).
    label_text : each pair's label text in the text inputs' form, or None.
    """

    image: Any
    text: Any
    valid: np.ndarray
    sources: dict[str, FeatureSource]
    word_vectors: np.ndarray | None = None
    word_vector_source: str = "none"
    label_text: Any = None


def _name_an_encoder(what: str, modality: str) -> InputError:
    return InputError(f"{what} needs token features: name an encoder with --{modality}-feature: "
                      f"{', '.join(list_encoders(modality))}")


def check_feature_names(method_name: str, form: str, features: Mapping[str, str | None]) -> None:
    """Check what can be checked of a run's feature names (modality → name) without the data:
    a method on tokens names an encoder of the right modality for each; a method on global
    features may also name a feature stored in the dataset (checked once it is read)."""
    for modality, feature in features.items():
        if form == "tokens" and feature is None:
            raise _name_an_encoder(f"method {method_name!r}", modality)
        if feature is not None and form != "raw" and (
                form == "tokens" or parse_encoder_spec(feature)[0] in ENCODERS):
            encoder_class(feature, modality)


def _stored_features(dataset: PairedDataset, modality: str) -> dict[str, np.ndarray]:
    return dataset.image_features if modality == "image" else dataset.text_features


def feature_source(dataset: PairedDataset, form: str, modality: str,
                   feature: str | None) -> FeatureSource:
    """Where the ``form`` inputs of ``modality`` come from when a run names ``feature``: a
    feature stored in ``dataset`` (None: its only one), else an encoder spec."""
    if form == "raw":
        return FeatureSource(modality, form)
    stored = _stored_features(dataset, modality)
    if form == "global" and (feature in stored or (feature is None and stored)):
        return FeatureSource(modality, form,
                             stored=feature if feature is not None else next(iter(stored)))
    name, options = parse_encoder_spec(feature) if feature is not None else (None, {})
    if form == "global" and name not in ENCODERS:
        what = "no" if feature is None else f"no {modality} feature {feature!r} among its"
        raise InputError(f"dataset {dataset.name!r} has {what} stored {modality} features "
                         f"({', '.join(stored) or 'none'}); name one with --{modality}-feature, "
                         f"or an encoder: {', '.join(list_encoders(modality))}")
    if name is None:
        raise _name_an_encoder(f"{form} input", modality)
    encoder_class(name, modality)
    return FeatureSource(modality, form, encoder=name, options=options)


def source_encoder(source: FeatureSource, dataset: PairedDataset | None = None) -> Encoder:
    """The encoder of an encoder source (``bow`` without a vocabulary takes its vocabulary from
    ``dataset``), checked to have token features if the form needs them."""
    encoder = create_encoder(str(source.encoder), dataset, source.modality, dict(source.options))
    if source.form == "tokens" and encoder.token_shape is None:
        raise InputError(f"encoder {encoder.name!r} has no token features")
    return encoder


def dataset_inputs(dataset: PairedDataset, source: FeatureSource,
                   cache_dir: str | Path | None = None,
                   encoder: Encoder | None = None) -> tuple[Any, np.ndarray]:
    """The inputs of every pair of ``dataset`` from ``source``, in its form, and the rows that
    could be read: a stored feature as it is, an encoder's features through the feature cache
    (computed there if missing; ``encoder`` if given, e.g. a trained model's, else built from
    the source), the raw items as an object array."""
    if source.form == "raw":
        items = dataset.image_paths if source.modality == "image" else dataset.texts
        if items is None:
            raise InputError(f"dataset {dataset.name!r} has no {source.modality} items to read")
        return object_array(items), np.ones(len(items), bool)
    if source.stored is not None:
        pick = dataset.image_feature if source.modality == "image" else dataset.text_feature
        matrix = pick(source.stored)  # checked finite there
        return matrix, np.ones(len(matrix), bool)
    features = feature_cache(cache_dir).encode(dataset, encoder or source_encoder(source,
                                                                                  dataset))
    return _in_form(features, source.form, features.valid), features.valid


def item_inputs(items: list[Any], form: str, encoder: Encoder | None = None) -> Any:
    """The inputs of raw ``items`` in ``form``: the items themselves for the raw form, else
    ``encoder``'s features computed as the feature cache computes them (same batches, float16),
    so that an item gets the inputs its row in the cache holds."""
    if form == "raw":
        return object_array(items)
    if encoder is None:
        raise InputError(f"{form} inputs of raw items need an encoder")
    return _in_form(encode_items(encoder, items), form)


def _in_form(features: Features, form: str, valid: np.ndarray | None = None) -> Any:
    """An encoder's features as a method takes them: for tokens the arrays as they are (e.g.
    memory maps, without the cache's record), else the float64 global feature matrix with the
    rows that are not ``valid`` set to zero."""
    if form == "tokens":
        return Features(features.global_features, features.tokens, features.mask)
    matrix = np.asarray(features.global_features, np.float64)
    if valid is not None:
        matrix[~valid] = 0.0
    return matrix


def object_array(items: list[Any]) -> np.ndarray:
    """``items`` as a 1-d object array (what a method that reads raw items takes)."""
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


def dataset_features(dataset: PairedDataset, modality: str, feature: str | None,
                     form: str = "global",
                     cache_dir: str | Path | None = None) -> tuple[Any, np.ndarray]:
    """The ``form`` inputs of ``modality`` for every pair of ``dataset`` from ``feature`` (a
    stored feature, None for the only one, or an encoder spec), and the valid rows."""
    return dataset_inputs(dataset, feature_source(dataset, form, modality, feature), cache_dir)


def label_text_inputs(dataset: PairedDataset, text: FeatureSource,
                      cache_dir: str | Path | None = None) -> Any:
    """Each pair's label text (its label names joined by spaces) in the form of the text inputs
    ``text``: encoded by the same text encoder as the captions, or as raw texts."""
    label_texts = PairedDataset(name=f"{dataset.name}-label-text", ids=dataset.ids,
                                texts=dataset.label_texts())
    return dataset_inputs(label_texts, text, cache_dir)[0]


def word_vectors(dataset: PairedDataset, text: FeatureSource) -> tuple[np.ndarray | None, str]:
    """Vectors of the BoW columns and what they are, if the text inputs ``text`` are the
    dataset's BoW (stored, or the ``bow`` encoder): the dataset's own vectors, else GloVe 6B
    50-d; (None, "none") otherwise."""
    if (text.stored or text.encoder) != "bow" or dataset.vocabulary is None:
        return None, "none"
    if dataset.vocabulary_vectors is not None:
        return dataset.vocabulary_vectors, "shipped with the dataset"
    vectors = glove50_vectors(dataset.vocabulary)
    return vectors.matrix, f"GloVe 6B 50-d, coverage {vectors.coverage:.3f}"


def resolve_inputs(spec: InputSpec, form: str, dataset: PairedDataset,
                   features: Mapping[str, str | None],
                   cache_dir: str | Path | None = None) -> RunInputs:
    """Everything a method of ``spec`` taking ``form`` inputs needs, for every pair of
    ``dataset``, from the run's feature names (modality → name)."""
    sources = {m: feature_source(dataset, form, m, features[m]) for m in MODALITIES}
    (image, image_valid), (text, text_valid) = (
        dataset_inputs(dataset, sources[m], cache_dir) for m in MODALITIES)
    inputs = RunInputs(image, text, image_valid & text_valid, sources)
    if spec.word_vectors:
        inputs.word_vectors, inputs.word_vector_source = word_vectors(dataset, sources["text"])
    if spec.label_texts:
        inputs.label_text = label_text_inputs(dataset, sources["text"], cache_dir)
    return inputs


__all__ = [
    "MODALITIES",
    "FeatureSource",
    "InputSpec",
    "RunInputs",
    "check_feature_names",
    "dataset_features",
    "dataset_inputs",
    "feature_source",
    "item_inputs",
    "label_text_inputs",
    "object_array",
    "resolve_inputs",
    "source_encoder",
    "word_vectors",
]
