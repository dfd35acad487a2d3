"""The payload store: what each id of an index stands for — an image path, a text, labels — in
one SQLite file (Python's ``sqlite3``), so that a search can return items instead of numbers.

Table ``items(id INTEGER PRIMARY KEY, image TEXT, text TEXT, labels TEXT)``, labels as a JSON
list; ``PRAGMA user_version`` holds the schema version.  Each :meth:`PayloadStore.put_many` is
one transaction, so an interrupted write leaves the store as it was.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cmhash.errors import InputError, MissingFileError

SCHEMA_VERSION = 1
_LOOKUP_CHUNK = 500  # ids per SELECT (SQLite limits the parameters of one statement)


@dataclass(frozen=True)
class Item:
    """One stored item: its id, image path, text and label names (each may be absent)."""

    id: int
    image: str | None = None
    text: str | None = None
    labels: tuple[str, ...] = ()


class PayloadStore:
    """id → :class:`Item`, in the SQLite file ``path`` (created unless ``create=False``)."""

    def __init__(self, path: str | Path, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise MissingFileError(f"payload store not found: {self.path}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path)
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as e:
            raise InputError(f"{self.path}: not a payload store ({e})") from e
        if not tables:
            with self._db:
                self._db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, image TEXT, "
                                 "text TEXT, labels TEXT NOT NULL)")
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif tables != {"items"} or version != SCHEMA_VERSION:
            self._db.close()
            raise InputError(f"{self.path}: not a payload store of schema version "
                             f"{SCHEMA_VERSION} (tables {sorted(tables)}, version {version})")

    def put_many(self, items: Iterable[Item]) -> int:
        """Insert or replace items (one transaction); returns how many were written."""
        rows = [(int(item.id), item.image, item.text, json.dumps(list(item.labels)))
                for item in items]
        if any(row[0] < 0 for row in rows):
            raise InputError(f"{self.path}: item ids must be non-negative")
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?)", rows)
        return len(rows)

    def get_many(self, ids: Sequence[int] | np.ndarray) -> list[Item | None]:
        """The items of ``ids``, in the order given; ``None`` for id -1 (no neighbour).

        An id that the store does not hold is an :class:`InputError`.
        """
        wanted = [int(i) for i in np.asarray(ids, np.int64).ravel()]
        distinct = sorted({i for i in wanted if i >= 0})
        found: dict[int, Item] = {}
        for start in range(0, len(distinct), _LOOKUP_CHUNK):
            chunk = distinct[start:start + _LOOKUP_CHUNK]
            marks = ", ".join("?" * len(chunk))
            for id_, image, text, labels in self._db.execute(
                    f"SELECT id, image, text, labels FROM items WHERE id IN ({marks})", chunk):
                found[id_] = Item(id_, image, text, tuple(json.loads(labels)))
        missing = [i for i in distinct if i not in found]
        if missing:
            raise InputError(f"{self.path}: no item with id {missing[0]} "
                             f"({len(missing)} ids missing)")
        return [found[i] if i >= 0 else None for i in wanted]

    def delete_many(self, ids: Sequence[int] | np.ndarray) -> int:
        """Remove the items of ``ids`` (absent ones are ignored); returns how many went."""
        rows = [(int(i),) for i in np.asarray(ids, np.int64).ravel()]
        with self._db:
            before = len(self)
            self._db.executemany("DELETE FROM items WHERE id = ?", rows)
            return before - len(self)

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM items").fetchone()[0]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> PayloadStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
