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

from cmhash.data import PairedDataset
from cmhash.encoders.base import Encoder, Features
from cmhash.encoders.bow import BagOfWords, build_vocabulary
from cmhash.encoders.word_vectors import WordVectors, glove50_vectors
from cmhash.errors import InputError
from cmhash.utils.lazy import LazyRegistry, import_module, lazy_exports

if TYPE_CHECKING:
    from cmhash.encoders.cache import CachedFeatures, FeatureCache
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
    **dict.fromkeys(["CachedFeatures", "FeatureCache"], "cmhash.encoders.cache"),
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


def feature_cache(cache_dir: str | Path | None = None) -> FeatureCache:
    """The feature cache in ``cache_dir`` (default: :func:`default_cache_dir`)."""
    cache = import_module("cmhash.encoders.cache", "the feature cache")
    return cache.FeatureCache(cache_dir or default_cache_dir())


__all__ = [
    "ENCODERS",
    "BagOfWords",
    "CachedFeatures",
    "ClipImage",
    "ClipText",
    "ClipTokenModel",
    "EfficientNetLite0",
    "Encoder",
    "FeatureCache",
    "Features",
    "MiniLM",
    "WordVectors",
    "create_encoder",
    "default_cache_dir",
    "encoder_class",
    "feature_cache",
    "glove50_vectors",
    "list_encoders",
    "load_clip",
    "openai_to_hf",
    "parse_encoder_spec",
]
