"""A collection folder: everything needed to search one collection of image–text pairs by either
modality, in one place::

    folder/
      manifest.json    {"format": "cmhash-collection", "version": 1, "bits": 64,
                        "backend": "flat", "count": n, "files": {...}}
      image.index      HammingIndex of the items' image codes
      text.index       HammingIndex of the items' text codes
      payload.sqlite   PayloadStore: id → image path, text, labels

Both indexes hold the same ids, one per item.  To search images by text, encode the text and
search the ``image`` index with its code; :meth:`Collection.search` returns the items.
:meth:`Collection.save` writes each index atomically and the manifest last; the store is
written as items are added (one SQLite transaction per call).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cmhash.codes import Codes
from cmhash.errors import InputError
from cmhash.index.base import HammingIndex
from cmhash.index.store import Item, PayloadStore
from cmhash.utils.atomic import write_json
from cmhash.utils.validation import check_file

FORMAT = "cmhash-collection"
VERSION = 1
MODALITIES = ("image", "text")
FILES = {"image": "image.index", "text": "text.index", "payload": "payload.sqlite"}


@dataclass(frozen=True)
class Hit:
    """One search result: the item and its Hamming distance to the query."""

    distance: int
    item: Item


class Collection:
    """An image index, a text index and a payload store kept together in ``folder``."""

    def __init__(self, folder: Path, indexes: dict[str, HammingIndex],
                 store: PayloadStore) -> None:
        self.folder = folder
        self.indexes = indexes
        self.store = store

    @classmethod
    def create(cls, folder: str | Path, bits: int, backend: str = "flat",
               **params: Any) -> Collection:
        """A new, empty collection in ``folder`` (which must not hold one already)."""
        folder = Path(folder)
        if (folder / "manifest.json").exists():
            raise InputError(f"{folder} already holds a collection")
        indexes = {m: HammingIndex(bits, backend, **params) for m in MODALITIES}
        return cls(folder, indexes, PayloadStore(folder / FILES["payload"]))

    @classmethod
    def open(cls, folder: str | Path, mmap: bool = True) -> Collection:
        """The collection saved in ``folder``."""
        folder = Path(folder)
        manifest_path = check_file(folder / "manifest.json", "collection manifest")
        try:
            manifest = json.loads(manifest_path.read_text())
            if manifest["format"] != FORMAT or manifest["version"] != VERSION:
                raise ValueError(f"format {manifest['format']!r} version {manifest['version']}")
            bits = int(manifest["bits"])
            files = {name: folder / manifest["files"][name] for name in FILES}
        except (ValueError, KeyError, TypeError) as e:
            raise InputError(f"{manifest_path}: not a {FORMAT} manifest of version {VERSION} "
                             f"({e})") from e
        indexes = {m: HammingIndex.load(files[m], mmap=mmap, bits=bits) for m in MODALITIES}
        if not np.array_equal(indexes["image"].ids, indexes["text"].ids):
            raise InputError(f"{folder}: the image and text indexes hold different ids")
        return cls(folder, indexes, PayloadStore(files["payload"], create=False))

    def __len__(self) -> int:
        return len(self.indexes["image"])

    def add(self, image_codes: Codes | np.ndarray, text_codes: Codes | np.ndarray,
            items: Sequence[Item]) -> None:
        """Add items with their image and text codes (row i of each belongs to ``items[i]``)."""
        ids = np.array([item.id for item in items], np.int64)
        self.indexes["image"].add(image_codes, ids)
        try:
            self.indexes["text"].add(text_codes, ids)
        except InputError:
            self.indexes["image"].remove(ids)
            raise
        self.store.put_many(items)

    def search(self, query_codes: Codes | np.ndarray, k: int, target: str,
               threads: int | None = None) -> list[list[Hit]]:
        """The k items nearest to each query code in the ``target`` ("image" or "text")
        index, nearest first (fewer where the collection holds fewer)."""
        if target not in MODALITIES:
            raise InputError(f"target must be one of {', '.join(MODALITIES)}, got {target!r}")
        distances, ids = self.indexes[target].search(query_codes, k, threads)
        items = self.store.get_many(ids.ravel())
        return [[Hit(int(d), item) for d, item in zip(row_d, items[q * k:(q + 1) * k],
                                                      strict=True) if item is not None]
                for q, row_d in enumerate(distances)]

    def save(self) -> Path:
        """Write both indexes, then the manifest; returns the folder."""
        for modality in MODALITIES:
            self.indexes[modality].save(self.folder / FILES[modality])
        image = self.indexes["image"]
        write_json(self.folder / "manifest.json", {
            "format": FORMAT, "version": VERSION, "bits": image.bits, "backend": image.backend,
            "count": len(image), "files": FILES})
        return self.folder

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Collection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
