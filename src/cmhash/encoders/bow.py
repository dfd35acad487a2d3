"""Bag-of-words text encoder: binary occurrence of vocabulary words (for MIRFlickr, the 1,386
tags of ``TagList.txt``).  A text is split on white space and commas; words outside the
vocabulary are ignored.  A text with no vocabulary word is encoded as a zero row, which is a
legitimate BoW (MIRFlickr holds such pairs) and is counted in the encode summary.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Any

import numpy as np

from cmhash.encoders.base import Encoder, Features
from cmhash.encoders.text import check_text
from cmhash.errors import InputError

_SPLIT = re.compile(r"[\s,]+")


def words(text: str) -> list[str]:
    """Lower-cased words of a text (split on white space and commas)."""
    return [w for w in _SPLIT.split(text.lower()) if w]


def build_vocabulary(texts: list[str], size: int) -> list[str]:
    """The ``size`` most frequent words (ties by first appearance), for a dataset without one."""
    counts = Counter(w for text in texts for w in dict.fromkeys(words(text)))
    return [w for w, _ in counts.most_common(size)]


class BagOfWords(Encoder):
    """Binary occurrence over ``vocabulary`` (columns in vocabulary order)."""

    name = "bow"
    modality = "text"

    def __init__(self, vocabulary: list[str]) -> None:
        if not vocabulary:
            raise InputError("bow: the vocabulary is empty")
        self.vocabulary = list(vocabulary)
        self._column = {w: j for j, w in enumerate(self.vocabulary)}

    @property
    def global_dim(self) -> int:
        return len(self.vocabulary)

    def fingerprint(self) -> dict[str, Any]:
        digest = hashlib.sha256("\n".join(self.vocabulary).encode()).hexdigest()
        return {"encoder": self.name, "vocabulary_sha256": digest,
                "preprocessing": "lower-case, split on white space and commas, binary"}

    def load(self, item: str) -> list[int]:
        return [self._column[w] for w in words(check_text(item)) if w in self._column]

    def encode_loaded(self, batch: list[list[int]]) -> Features:
        bow = np.zeros((len(batch), len(self.vocabulary)), np.float32)
        for i, columns in enumerate(batch):
            bow[i, columns] = 1.0
        return Features(global_features=bow)
