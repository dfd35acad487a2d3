"""Small synthetic paired data — a few classes, features drawn around class centres — for
trying a method in seconds (the tests and ``benchmarks.studies.fit_fingerprint`` use it)."""

from __future__ import annotations

import numpy as np

from cmhash.encoders.base import Features


def labelled_pairs(n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` synthetic pairs of 4 classes (every 7th with a second label): 10-d image features
    around class centres, 12-d binary text features that favour the class's words."""
    rng = np.random.default_rng(0)
    classes = rng.integers(0, 4, n)
    labels = np.eye(4, dtype=np.uint8)[classes]
    labels[::7, (classes[::7] + 1) % 4] = 1
    image = rng.normal(size=(4, 10))[classes] + 0.5 * rng.normal(size=(n, 10))
    text = (rng.random((n, 12)) < 0.1 + 0.5 * (np.arange(12) % 4 == classes[:, None])
            ).astype(np.float64)
    return image, text, labels


def token_pairs(n: int = 90) -> tuple[Features, Features, np.ndarray]:
    """``n`` synthetic pairs of 3 classes as token features: 6 image tokens of width 16 and 5
    text tokens of width 8 around class centres (every other text's last 2 tokens masked)."""
    rng = np.random.default_rng(0)
    classes = rng.integers(0, 3, n)
    labels = np.eye(3, dtype=np.uint8)[classes]
    centres = rng.normal(size=(3, 6, 16))
    image_tokens = (centres[classes] + rng.normal(size=(n, 6, 16))).astype(np.float16)
    text_tokens = (centres[classes][:, :5, :8] + rng.normal(size=(n, 5, 8))).astype(np.float16)
    text_mask = np.ones((n, 5), bool)
    text_mask[::2, 3:] = False
    image = Features(image_tokens.mean(axis=1), image_tokens)
    text = Features(text_tokens.mean(axis=1), text_tokens, text_mask)
    return image, text, labels
