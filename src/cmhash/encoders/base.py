"""The interface every encoder follows, and the arrays it produces.

An encoder turns items (image paths or texts) into :class:`Features`: a global feature per item
and, optionally, token features with a validity mask.  Work is split in two so that a DataLoader
can stream:
``load(item)`` runs per item in worker processes (decode an image, or pass a text through) and
``encode_loaded(batch)`` runs the network on a collated batch.  ``fingerprint()`` names
everything that determines the output (encoder, weights hash, preprocessing) and keys the cache.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np


class Encoder(ABC):
    """An image or text encoder (see the module docstring)."""

    name: ClassVar[str]
    modality: ClassVar[str]  # "image" or "text"

    @property
    @abstractmethod
    def global_dim(self) -> int:
        """Width d of the global feature."""

    @property
    def token_shape(self) -> tuple[int, int] | None:
        """(L, d_token) of the token features, or None if the encoder has none."""
        return None

    @abstractmethod
    def fingerprint(self) -> dict[str, Any]:
        """Everything that determines the output: name, weights hash, preprocessing."""

    def fingerprint_hash(self) -> str:
        text = json.dumps(self.fingerprint(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def processing_order(self, items: list[Any]) -> np.ndarray | None:
        """The order in which to batch ``items`` (e.g. by length, to limit padding), or None
        for their own order.  It must depend on the items only, so that a resumed run forms
        the same batches."""
        return None

    def load(self, item: Any) -> Any:
        """Per-item work done in DataLoader workers (decode, tokenise); identity by default."""
        return item

    def collate(self, loaded: list[Any]) -> Any:
        """Combine loaded items into a batch; a list by default."""
        return loaded

    @abstractmethod
    def encode_loaded(self, batch: Any) -> Features:
        """Run the model on a collated batch."""

    def encode(self, items: list[Any]) -> Features:
        """Encode a list of items in one batch (no streaming)."""
        return self.encode_loaded(self.collate([self.load(item) for item in items]))


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Features:
    """Features of n items of one modality: what an encoder returns, what the feature cache
    holds and what a method on tokens takes.

    Attributes
    ----------
    global_features : ndarray of shape (n, d)
    tokens : ndarray of shape (n, L, d_token), or None (an encoder without token features)
    mask : ndarray of shape (n, L), bool (True = a real token), or None (every token real)

    Arrays may be float16 memory maps; ``rows`` copies only the rows asked for.
    """

    global_features: np.ndarray
    tokens: np.ndarray | None = None
    mask: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.global_features)

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the tokens (n, L, d), or of the global features (n, d) without."""
        return tuple((self.global_features if self.tokens is None else self.tokens).shape)

    def __getitem__(self, indices: np.ndarray) -> Features:
        return self.rows(indices)

    def rows(self, indices: np.ndarray) -> Features:
        """A copy of the rows ``indices`` (in memory, in the stored dtype)."""
        indices = np.asarray(indices)

        def pick(array: np.ndarray | None) -> np.ndarray | None:
            return None if array is None else np.asarray(array[indices])

        return Features(np.asarray(self.global_features[indices]), pick(self.tokens),
                        pick(self.mask))
