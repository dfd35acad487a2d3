"""Image and text encoders behind one interface, and the on-disk feature cache.

Encoders are named by a spec string ``NAME`` or ``NAME:key=value,key=value`` (values parsed
as JSON where they can be), e.g. ``efficientnet_lite0:image_size=128``.

================== ======== ===================================================================
name               modality output
================== ======== ===================================================================
efficientnet_lite0 image    1280-d pooled feature + (size/32)² × 1280 tokens (ImageNet weights)
minilm             text     384-d sentence embedding + up to 32 × 384 word-piece tokens
bow                text     binary bag of words over the dataset's vocabulary (or its 2,000
                            most frequent words)
clip_image         image    CLIP projected class token + projected patch tokens
                            (``clip_image:path=DIR_OR_FILE[,tokenizer_dir=DIR]``)
clip_text          text     CLIP projected end-of-text token + all projected positions, masked
                            (``clip_text:path=…``)
================== ======== ===================================================================

The encoders built on torch (and the feature cache) need the ``train`` extra; their modules are
imported when first used, so ``import cmhash.encoders`` imports no torch.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cmhash.data import PairedDataset
from cmhash.encoders.base import EncodedBatch, Encoder, TokenFeatures
from cmhash.encoders.bow import BagOfWords, build_vocabulary
from cmhash.encoders.word_vectors import WordVectors, glove50_vectors
from cmhash.errors import InputError
from cmhash.utils.lazy import LazyRegistry, import_module, lazy_exports

if TYPE_CHECKING:
    from cmhash.encoders.cache import FeatureCache, Features
    from cmhash.encoders.clip import (
        ClipImage,
        ClipText,
        ClipTokenModel,
        load_clip,
        openai_to_hf,
    )
    from cmhash.encoders.efficientnet import EfficientNetLite0
    from cmhash.encoders.minilm import MiniLM

#: registry name → class (each class's ``name``), imported on lookup
ENCODERS: LazyRegistry = LazyRegistry("encoder", {
    "efficientnet_lite0": "cmhash.encoders.efficientnet:EfficientNetLite0",
    "minilm": "cmhash.encoders.minilm:MiniLM",
    "bow": "cmhash.encoders.bow:BagOfWords",
    "clip_image": "cmhash.encoders.clip:ClipImage",
    "clip_text": "cmhash.encoders.clip:ClipText",
})
__getattr__, __dir__ = lazy_exports(__name__, {
    **dict.fromkeys(["FeatureCache", "Features"], "cmhash.encoders.cache"),
    **dict.fromkeys(["ClipImage", "ClipText", "ClipTokenModel", "load_clip", "openai_to_hf"],
                    "cmhash.encoders.clip"),
    "EfficientNetLite0": "cmhash.encoders.efficientnet",
    "MiniLM": "cmhash.encoders.minilm",
})
BOW_VOCABULARY_SIZE = 2000


def list_encoders(modality: str | None = None) -> list[str]:
    """Encoder names; of one modality ("image" or "text") if given, which imports the encoders'
    modules to read their modality."""
    if modality is None:
        return list(ENCODERS)
    return [name for name, e in ENCODERS.items() if e.modality == modality]


def parse_encoder_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``NAME:key=value,…`` → (NAME, options)."""
    name, _, rest = spec.partition(":")
    options: dict[str, Any] = {}
    for pair in filter(None, rest.split(",")):
        key, sep, value = pair.partition("=")
        if not sep:
            raise InputError(f"encoder spec {spec!r}: expected key=value, got {pair!r}")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return name, options


def encoder_class(spec: str, modality: str | None = None) -> type[Encoder]:
    """The encoder class that ``spec`` names, checked to encode ``modality`` if given (a check
    that needs neither the dataset nor the weights)."""
    name, _ = parse_encoder_spec(spec)
    if name not in ENCODERS:
        raise InputError(f"unknown {modality + ' ' if modality else ''}encoder {name!r}; "
                         f"available: {', '.join(list_encoders(modality))}")
    if modality is not None and ENCODERS[name].modality != modality:
        raise InputError(f"encoder {name!r} encodes {ENCODERS[name].modality}, not {modality}")
    return ENCODERS[name]


def create_encoder(spec: str, dataset: PairedDataset | None = None,
                   modality: str | None = None, options: dict[str, Any] | None = None) -> Encoder:
    """An encoder from its spec, checked to encode ``modality`` if given; ``options`` are added
    to the spec's (values that a spec string cannot hold, e.g. a stored vocabulary); ``bow``
    without a vocabulary takes its vocabulary from ``dataset``."""
    encoder_class(spec, modality)
    name, spec_options = parse_encoder_spec(spec)
    options = {**spec_options, **(options or {})}
    if name == "bow" and "vocabulary" not in options:
        if dataset is None:
            raise InputError("encoder 'bow' needs a dataset to take its vocabulary from")
        options["vocabulary"] = dataset.vocabulary or build_vocabulary(
            dataset.texts or [], BOW_VOCABULARY_SIZE)
    try:
        return ENCODERS[name](**options)
    except TypeError as e:
        raise InputError(f"encoder {name!r}: {e}") from e


def default_cache_dir() -> Path:
    """``$CMHASH_CACHE_DIR``, else ``~/.cache/cmhash/features``."""
    return Path(os.environ.get("CMHASH_CACHE_DIR",
                               Path.home() / ".cache" / "cmhash" / "features"))


def is_stored_feature(dataset: PairedDataset, modality: str, name: str | None) -> bool:
    """Whether the global feature ``name`` of ``modality`` is one stored in the dataset (None:
    its only one, if it stores one) rather than an encoder spec."""
    stored = dataset.image_features if modality == "image" else dataset.text_features
    return name in stored or (name is None and bool(stored))


def feature_cache(cache_dir: str | Path | None = None) -> FeatureCache:
    """The feature cache in ``cache_dir`` (default: :func:`default_cache_dir`)."""
    cache = import_module("cmhash.encoders.cache", "the feature cache")
    return cache.FeatureCache(cache_dir or default_cache_dir())


def feature_matrix(dataset: PairedDataset, modality: str, name: str | None,
                   cache_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A global feature matrix (float64) and its valid rows, for ``modality``.

    ``name`` is a feature stored in the dataset (or None for its only one), or an encoder spec,
    whose features come from the cache (computed there if missing).
    """
    if is_stored_feature(dataset, modality, name):
        matrix = dataset.image_feature(name) if modality == "image" else \
            dataset.text_feature(name)
        return matrix, np.ones(len(matrix), bool)
    if name is None or parse_encoder_spec(name)[0] not in ENCODERS:
        stored = dataset.image_features if modality == "image" else dataset.text_features
        what = "no" if name is None else f"no {modality} feature {name!r} among its"
        raise InputError(f"dataset {dataset.name!r} has {what} stored {modality} features "
                         f"({', '.join(stored) or 'none'}); name one with --{modality}-feature, "
                         f"or an encoder: {', '.join(list_encoders(modality))}")
    return cached_inputs(dataset, create_encoder(name, dataset, modality), "global", cache_dir)


def token_features(dataset: PairedDataset, modality: str, spec: str,
                   cache_dir: str | Path | None = None) -> tuple[TokenFeatures, np.ndarray]:
    """Global features, tokens and mask of ``modality`` from the encoder ``spec`` (through the
    cache, computed there if missing), as memory maps; and the valid rows."""
    encoder = create_encoder(spec, dataset, modality)
    if encoder.token_shape is None:
        raise InputError(f"encoder {encoder.name!r} has no token features")
    return cached_inputs(dataset, encoder, "tokens", cache_dir)


def cached_inputs(dataset: PairedDataset, encoder: Encoder, form: str,
                  cache_dir: str | Path | None = None) -> tuple[Any, np.ndarray]:
    """What a method takes from ``encoder`` for every pair of ``dataset``, through the feature
    cache (computed there if missing), and the valid rows: for ``form="global"`` the float64
    feature matrix (rows of unreadable items zero), for ``"tokens"`` :class:`TokenFeatures`
    (memory maps)."""
    features = feature_cache(cache_dir).encode(dataset, encoder)
    if form == "tokens":
        return TokenFeatures(features.global_features, features.tokens, features.mask), \
            features.valid
    matrix = np.asarray(features.global_features, np.float64)
    matrix[~features.valid] = 0.0
    return matrix, features.valid


def label_text_features(dataset: PairedDataset, spec: str | None,
                        cache_dir: str | Path | None = None) -> TokenFeatures:
    """Token features of every pair's label text (its label names joined by spaces), encoded
    by the text encoder ``spec`` like the captions (MATH's label branch)."""
    if spec is None:
        raise InputError("the label text needs a text encoder: name one with --text-feature")
    label_texts = PairedDataset(name=f"{dataset.name}-label-text", ids=dataset.ids,
                                texts=dataset.label_texts())
    return token_features(label_texts, "text", spec, cache_dir)[0]


__all__ = [
    "ENCODERS",
    "BagOfWords",
    "ClipImage",
    "ClipText",
    "ClipTokenModel",
    "EfficientNetLite0",
    "EncodedBatch",
    "Encoder",
    "FeatureCache",
    "Features",
    "MiniLM",
    "TokenFeatures",
    "WordVectors",
    "cached_inputs",
    "create_encoder",
    "default_cache_dir",
    "encoder_class",
    "feature_cache",
    "feature_matrix",
    "glove50_vectors",
    "is_stored_feature",
    "label_text_features",
    "list_encoders",
    "load_clip",
    "openai_to_hf",
    "parse_encoder_spec",
    "token_features",
]
