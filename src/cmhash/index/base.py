"""``HammingIndex``: one interface over named search backends, and the factory that makes them.

>>> index = HammingIndex(bits=64, backend="flat")          # or "mih", "faiss-hnsw", ...
>>> index.add(codes)                                        # ids 0, 1, 2, ... by default
>>> distances, ids = index.search(query_codes, k=10)       # (q, 10) int32, (q, 10) int64
>>> index.save("images.index"); index = HammingIndex.load("images.index")

Codes are :class:`~cmhash.codes.Codes` or their packed bytes, ``uint8 (n, bits // 8)``, least
significant bit first (FAISS's and MATLAB ``compactbit``'s order).  Ids are non-negative int64,
unique within an index.

Order of results: by Hamming distance, ties by insertion order (the order in which codes were
added; removing codes keeps the order of the rest).  This holds exactly for the exact backends
``flat`` and ``mih``; it is the metrics' tie rule (ties by database position) when the ids are
the database positions.  FAISS backends return distance order with ties as FAISS picks them.
Where fewer than k codes exist, the rest of a row is distance ``INT32_MAX`` and id ``-1``.

The index keeps the codes and ids; a backend (:mod:`cmhash.index.backend`) only searches them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numba
import numpy as np

from cmhash.codes import Codes
from cmhash.codes._words import WORD_DTYPE, as_words, words_per_code
from cmhash.errors import InputError
from cmhash.index.advice import advise_backend
from cmhash.index.backend import Backend
from cmhash.index.faiss_backend import FAISS_BACKENDS
from cmhash.index.flat import FlatBackend
from cmhash.index.io import IndexFile, read_index_file, write_index_file
from cmhash.index.mih import MIHBackend
from cmhash.index.parallel import numba_threads
from cmhash.index.selection import MISSING_DISTANCE, MISSING_ID
from cmhash.utils.validation import check_bits

BACKENDS: dict[str, type[Backend]] = {
    b.name: b for b in (FlatBackend, MIHBackend, *FAISS_BACKENDS)}


def list_backends() -> list[str]:
    return list(BACKENDS)


def create_backend(name: str, bits: int, **params: Any) -> Backend:
    """A backend by registry name; ``params`` are its constructor arguments."""
    if name not in BACKENDS:
        raise InputError(f"unknown index backend {name!r}; available: {', '.join(BACKENDS)}")
    try:
        return BACKENDS[name](bits, **params)
    except TypeError as e:  # an unknown parameter name
        raise InputError(f"index backend {name!r}: {e}") from e


class HammingIndex:
    """Codes with ids, searchable by Hamming distance through the backend named ``backend``.

    Parameters
    ----------
    bits : int
        Code length, a positive multiple of 8.
    backend : str
        One of :func:`list_backends`; ``params`` are its options (e.g. ``m`` for ``mih``,
        ``ef_search`` for ``faiss-hnsw``).
    """

    def __init__(self, bits: int, backend: str = "flat", **params: Any) -> None:
        self.bits = check_bits(bits)
        self._backend = create_backend(backend, self.bits, **params)
        self._words = np.zeros((0, words_per_code(self.bits)), WORD_DTYPE)  # capacity rows
        self._ids = np.zeros(0, np.int64)
        self._count = 0
        self._next_id = 0
        self._synced = 0  # leading rows the backend has seen, unchanged, at its last sync
        self._source: Path | None = None  # the file this index was loaded from

    # ----------------------------------------------------------------- contents

    @property
    def backend(self) -> str:
        return self._backend.name

    @property
    def words(self) -> np.ndarray:
        """The codes as (n, ceil(bits / 64)) uint64 words, in insertion order (read-only)."""
        view = self._words[:self._count]
        view.flags.writeable = False
        return view

    @property
    def ids(self) -> np.ndarray:
        """The ids, in insertion order (read-only)."""
        view = self._ids[:self._count]
        view.flags.writeable = False
        return view

    def __len__(self) -> int:
        return self._count

    def codes(self) -> Codes:
        """The stored codes, in insertion order."""
        return Codes(np.ascontiguousarray(self.words.view(np.uint8)[:, :self.bits // 8]),
                     self.bits)

    def _where(self) -> str:
        return f"the index loaded from {self._source}" if self._source else "the index"

    def _check_codes(self, codes: Codes | np.ndarray, what: str) -> np.ndarray:
        """Codes as word rows, after checking their length against the index's."""
        if isinstance(codes, Codes):
            if codes.bits != self.bits:
                raise InputError(f"{what} have {codes.bits} bits; {self._where()} holds "
                                 f"{self.bits}-bit codes")
        else:
            array = np.asarray(codes)
            if array.ndim == 2 and array.dtype == np.uint8 and array.shape[1] != self.bits // 8:
                raise InputError(f"{what} have {8 * array.shape[1]} bits ({array.shape[1]} "
                                 f"bytes per code); {self._where()} holds {self.bits}-bit codes")
            codes = Codes(array, self.bits)
        return as_words(codes.packed)

    def add(self, codes: Codes | np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
        """Append codes; ``ids`` default to the next unused integers.  Returns the ids."""
        words = self._check_codes(codes, "codes to add")
        n = len(words)
        if ids is None:
            ids = np.arange(self._next_id, self._next_id + n, dtype=np.int64)
        else:
            ids = self._check_new_ids(ids, n)
        if self._count + n > len(self._words) or not self._words.flags.writeable:
            capacity = max(self._count + n, 2 * len(self._words), 1024)
            grown_words = np.zeros((capacity, self._words.shape[1]), WORD_DTYPE)
            grown_words[:self._count] = self._words[:self._count]
            grown_ids = np.zeros(capacity, np.int64)
            grown_ids[:self._count] = self._ids[:self._count]
            self._words, self._ids = grown_words, grown_ids
        self._words[self._count:self._count + n] = words
        self._ids[self._count:self._count + n] = ids
        self._count += n
        if n:
            self._next_id = max(self._next_id, int(ids.max()) + 1)
        return ids

    def _check_new_ids(self, ids: Any, n: int) -> np.ndarray:
        array = np.asarray(ids)
        if array.shape != (n,) or (n and not np.issubdtype(array.dtype, np.integer)):
            raise InputError(f"ids must be {n} integers, one per code, got an array of shape "
                             f"{array.shape} and dtype {array.dtype}")
        array = array.astype(np.int64)
        if n and array.min() < 0:
            raise InputError(f"ids must be non-negative, got {int(array.min())}")
        unique, counts = np.unique(array, return_counts=True)
        if (counts > 1).any():
            raise InputError(f"id {int(unique[counts > 1][0])} is given more than once")
        taken = np.isin(array, self.ids)
        if taken.any():
            raise InputError(f"id {int(array[taken][0])} is already in {self._where()}")
        return array

    def remove(self, ids: np.ndarray) -> int:
        """Remove the codes of ``ids`` (each must be in the index); returns how many."""
        wanted = np.unique(np.asarray(ids, np.int64).ravel())
        gone = np.isin(self.ids, wanted)
        if gone.sum() < len(wanted):
            absent = wanted[~np.isin(wanted, self.ids)]
            raise InputError(f"id {int(absent[0])} is not in {self._where()} "
                             f"({len(absent)} of the ids to remove are not)")
        if not len(wanted):
            return 0
        first = int(np.argmax(gone))
        keep = ~gone
        self._words = np.ascontiguousarray(self.words[keep])
        self._ids = np.ascontiguousarray(self.ids[keep])
        self._count = len(self._ids)
        self._synced = min(self._synced, first)
        return len(wanted)

    # ----------------------------------------------------------------- search

    def _prepare(self, queries: Codes | np.ndarray, threads: int | None) -> tuple[np.ndarray,
                                                                                 int]:
        words = self._check_codes(queries, "query codes")
        if threads is None:
            threads = numba.get_num_threads()
        if not (isinstance(threads, int) and 1 <= threads <= numba.config.NUMBA_NUM_THREADS):
            raise InputError(f"threads must be from 1 to {numba.config.NUMBA_NUM_THREADS}, "
                             f"got {threads!r}")
        self._sync()
        return words, threads

    def build(self) -> None:
        """Bring the backend's structures (hash tables, graph) up to date with the codes now;
        otherwise this happens at the first search after codes were added or removed."""
        self._sync()

    def _sync(self) -> None:
        if self._synced != self._count and self._count:
            self._backend.sync(self.words, self._synced)
            self._synced = self._count

    def _to_ids(self, positions: np.ndarray) -> np.ndarray:
        return np.where(positions >= 0, self.ids[np.maximum(positions, 0)], MISSING_ID)

    def search(self, queries: Codes | np.ndarray, k: int,
               threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest codes of each query.

        Returns
        -------
        distances : ndarray of shape (n_queries, k), dtype=int32
        ids : ndarray of shape (n_queries, k), dtype=int64
            By distance, ties by insertion order; ``INT32_MAX`` / ``-1`` past the last code.
        """
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise InputError(f"k must be a positive integer, got {k!r}")
        words, threads = self._prepare(queries, threads)
        if not self._count or not len(words):
            return (np.full((len(words), k), MISSING_DISTANCE, np.int32),
                    np.full((len(words), k), MISSING_ID, np.int64))
        with numba_threads(threads):
            distances, positions = self._backend.search(self.words, words, int(k), threads)
        return distances, self._to_ids(positions)

    def range_search(self, queries: Codes | np.ndarray, radius: int,
                     threads: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every code within Hamming distance ``radius`` (inclusive) of each query.

        Returns
        -------
        lims : ndarray of shape (n_queries + 1,), dtype=int64
            Query q's results are entries ``lims[q]:lims[q + 1]`` of the two arrays below.
        distances : ndarray, dtype=int32
        ids : ndarray, dtype=int64
            By distance, ties by insertion order.
        """
        if isinstance(radius, bool) or not isinstance(radius, int | np.integer) or radius < 0:
            raise InputError(f"radius must be a non-negative integer, got {radius!r}")
        words, threads = self._prepare(queries, threads)
        if not self._count or not len(words):
            return (np.zeros(len(words) + 1, np.int64), np.zeros(0, np.int32),
                    np.zeros(0, np.int64))
        with numba_threads(threads):
            lims, distances, positions = self._backend.range_search(
                self.words, words, min(int(radius), self.bits), threads)
        return lims, distances, self._to_ids(positions)

    # ----------------------------------------------------------------- files

    def save(self, path: str | Path) -> Path:
        """Write the index to ``path`` atomically (format: :mod:`cmhash.index.io`)."""
        if self._backend.saves_state:
            self._sync()
        return write_index_file(path, IndexFile(
            self.bits, self.backend, self._backend.params(), self._next_id, self.ids,
            self.words, self._backend.state() if self._synced == self._count else b""))

    @classmethod
    def load(cls, path: str | Path, mmap: bool = True, verify: bool = True,
             bits: int | None = None) -> HammingIndex:
        """Read an index written by :meth:`save`.

        ``mmap``: map the codes and ids read-only instead of reading them (a later ``add`` or
        ``remove`` copies them to memory).  ``verify``: check the data's checksums (reads the
        whole file once).  ``bits``: the code length the caller expects.
        """
        content = read_index_file(path, mmap=mmap, verify=verify)
        if bits is not None and content.bits != bits:
            raise InputError(f"{path}: the index holds {content.bits}-bit codes, "
                             f"{bits}-bit codes expected")
        try:
            index = cls(content.bits, content.backend, **content.params)
        except InputError as e:
            raise InputError(f"{path}: {e}") from e
        index._words, index._ids = content.words, content.ids
        index._count = len(content.ids)
        index._next_id = content.next_id
        index._source = Path(path)
        if index._count:
            index._backend.restore(index.words, content.state)
            index._synced = index._count
        return index

    # ----------------------------------------------------------------- facts

    def info(self, k: int = 10) -> dict[str, Any]:
        """What the index is, what it holds in memory, and which backend suits its size for
        searches of the k nearest (``advice``)."""
        self._sync()
        mapped = isinstance(self._words, np.memmap)
        return {
            "backend": self.backend,
            "exact": self._backend.exact,
            "bits": self.bits,
            "count": self._count,
            "params": self._backend.params(),
            **self._backend.describe(),
            "tie_order": "insertion order" if self._backend.exact else "as FAISS returns them",
            "memory_bytes": {"codes": self.words.nbytes, "ids": self.ids.nbytes,
                             "backend": self._backend.memory_bytes()},
            "memory_mapped": mapped,  # codes and ids are read from the file as needed
            "file": str(self._source) if self._source else None,
            "advice": advise_backend(self._count, self.bits, k),
        }
