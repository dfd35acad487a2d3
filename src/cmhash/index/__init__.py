"""Hamming search over packed codes: :class:`HammingIndex` with named backends (``flat``,
``mih``, FAISS's binary indexes), its file format, the payload store (id → image path, text,
labels) and the collection folder that keeps an image index, a text index and the store
together."""

from cmhash.index.base import BACKENDS, HammingIndex, create_backend, list_backends
from cmhash.index.collection import Collection, Hit
from cmhash.index.selection import MISSING_DISTANCE, MISSING_ID
from cmhash.index.store import Item, PayloadStore

__all__ = [
    "BACKENDS",
    "MISSING_DISTANCE",
    "MISSING_ID",
    "Collection",
    "HammingIndex",
    "Hit",
    "Item",
    "PayloadStore",
    "create_backend",
    "list_backends",
]
