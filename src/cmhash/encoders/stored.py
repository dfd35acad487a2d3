"""Features as the cache stores them, and the same features of a few items computed in memory.

An encoder's output is kept as float16 arrays ``global`` (n, d) and, for encoders with tokens,
``tokens`` (n, L, d_token), plus ``mask`` (n, L) for text tokens (which can be padding).  Items
are encoded in the encoder's processing order, ``BATCH_SIZE`` at a time.  :func:`encode_items`
follows the same steps for items given in memory (a trained model's raw inputs), so that their
features equal, to float16, the rows the cache holds for the same items.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cmhash.encoders.base import Encoder, Features

#: items per batch, in the cache and in :func:`encode_items`
BATCH_SIZE = 64


def array_layout(encoder: Encoder, n: int) -> dict[str, tuple[tuple[int, ...], type]]:
    """Name → (shape, dtype) of the arrays that hold ``n`` items' features."""
    layout: dict[str, tuple[tuple[int, ...], type]] = {
        "global": ((n, encoder.global_dim), np.float16)}
    if encoder.token_shape is not None:
        layout["tokens"] = ((n, *encoder.token_shape), np.float16)
        if encoder.modality == "text":
            layout["mask"] = ((n, encoder.token_shape[0]), np.bool_)
    return layout


def store_batch(arrays: dict[str, np.ndarray], rows: Any, encoded: Features) -> None:
    """Write a batch's features into ``arrays`` (laid out by :func:`array_layout`) at ``rows``."""
    arrays["global"][rows] = encoded.global_features
    if "tokens" in arrays:
        arrays["tokens"][rows] = encoded.tokens
    if "mask" in arrays:
        arrays["mask"][rows] = encoded.mask


def encode_items(encoder: Encoder, items: list[Any],
                 batch_size: int = BATCH_SIZE) -> Features:
    """Features of ``items`` (in their order) as the cache would store them: float16 global
    features and tokens, the text mask; batches formed in the encoder's processing order."""
    arrays = {name: np.zeros(shape, dtype)
              for name, (shape, dtype) in array_layout(encoder, len(items)).items()}
    order = encoder.processing_order(items)
    rows = np.arange(len(items)) if order is None else np.asarray(order)
    for start in range(0, len(items), batch_size):
        batch = rows[start:start + batch_size]
        store_batch(arrays, batch, encoder.encode_loaded(
            encoder.collate([encoder.load(items[row]) for row in batch])))
    return Features(arrays["global"], arrays.get("tokens"), arrays.get("mask"))
