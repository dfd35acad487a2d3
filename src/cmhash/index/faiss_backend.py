"""FAISS's binary indexes behind the same interface (the optional dependency ``faiss-cpu``:
``pip install 'cmhash[faiss]'``; imported only when one of these backends is created).

=================  ===========================================================================
backend            FAISS index and parameters
=================  ===========================================================================
``faiss-flat``     ``IndexBinaryFlat``: brute force; exact distances, ties in FAISS's order
``faiss-hnsw``     ``IndexBinaryHNSW(bits, M)``, ``efConstruction``, ``efSearch``: graph search
``faiss-ivf``      ``IndexBinaryIVF`` over ``nlist`` k-means lists (trained on the codes present
                   at the first search), ``nprobe`` lists searched
``faiss-multihash`` ``IndexBinaryMultiHash(bits, nhash, b)``: ``nhash`` tables on ``b``-bit
                   substrings, buckets within ``nflip`` flipped bits probed
=================  ===========================================================================

Codes go to FAISS as the same LSB-first packed bytes (FAISS's own bit order).  FAISS answers
with positions, as every backend does.  Results are put in (distance, position) order, so the
exact ``faiss-flat`` differs from ``flat`` only in which of the items tied at the k-th distance
it returns.  FAISS's range search keeps distances below its radius, so ``radius + 1`` is passed.
Removing codes rebuilds the FAISS index (``IndexBinaryHNSW`` cannot remove).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cmhash.codes._words import words_to_bytes
from cmhash.errors import InputError
from cmhash.index.backend import Backend
from cmhash.index.selection import MISSING_DISTANCE, MISSING_ID


def import_faiss() -> Any:
    """The ``faiss`` module, or one clear error saying how to install it."""
    try:
        import faiss
    except ImportError as e:
        raise InputError("the faiss backends need the optional dependency faiss-cpu: "
                         "pip install 'cmhash[faiss]' (or pip install faiss-cpu)") from e
    return faiss


def _check_positive(backend: str, **values: Any) -> None:
    for name, value in values.items():
        if value is not None and not (isinstance(value, int) and value > 0):
            raise InputError(f"{backend}: {name} must be a positive integer, got {value!r}")


class FaissBackend(Backend):
    """Common part: build, add, search through a FAISS ``IndexBinary``."""

    def __init__(self, bits: int) -> None:
        super().__init__(bits)
        self._faiss = import_faiss()
        self._index: Any = None

    def _new_index(self, words: np.ndarray) -> Any:
        """An empty (trained if it needs training) FAISS index for these codes."""
        raise NotImplementedError

    def _before_search(self) -> None:
        """Set search-time parameters on the FAISS index."""

    def sync(self, words: np.ndarray, n_unchanged: int) -> None:
        if self._index is None or n_unchanged < self._index.ntotal:
            self._index = self._new_index(words)
            n_unchanged = 0
        if len(words) > n_unchanged:
            self._index.add(words_to_bytes(words[n_unchanged:], self.bits))

    def search(self, words: np.ndarray, queries: np.ndarray, k: int,
               threads: int) -> tuple[np.ndarray, np.ndarray]:
        self._faiss.omp_set_num_threads(threads)
        self._before_search()
        distances, positions = self._index.search(words_to_bytes(queries, self.bits), k)
        missing = positions < 0
        distances[missing] = MISSING_DISTANCE
        positions[missing] = MISSING_ID
        # (distance, position) order; missing entries sort last
        order = np.lexsort((np.where(missing, np.iinfo(np.int64).max, positions), distances),
                           axis=1)
        return (np.take_along_axis(distances, order, 1).astype(np.int32),
                np.take_along_axis(positions, order, 1).astype(np.int64))

    def range_search(self, words: np.ndarray, queries: np.ndarray, radius: int,
                     threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self._faiss.omp_set_num_threads(threads)
        self._before_search()
        try:
            lims, distances, positions = self._index.range_search(
                words_to_bytes(queries, self.bits), radius + 1)
        except RuntimeError as e:
            raise InputError(f"backend {self.name!r} has no range search "
                             f"(FAISS: {str(e).splitlines()[0]})") from e
        lims = lims.astype(np.int64)
        query_of = np.repeat(np.arange(len(queries)), np.diff(lims))
        order = np.lexsort((positions, distances, query_of))
        return (lims, distances[order].astype(np.int32),
                positions[order].astype(np.int64))

    def memory_bytes(self) -> int:
        if self._index is None:
            return 0
        return int(self._faiss.serialize_index_binary(self._index).nbytes)

    def state(self) -> bytes:
        if not self.saves_state or self._index is None:
            return b""
        return self._faiss.serialize_index_binary(self._index).tobytes()

    def restore(self, words: np.ndarray, state: bytes) -> None:
        if state:
            index = self._faiss.deserialize_index_binary(np.frombuffer(state, np.uint8))
            if index.ntotal == len(words) and index.d == self.bits:
                self._index = index
                return
        self.sync(words, 0)


class FaissFlatBackend(FaissBackend):
    """``IndexBinaryFlat``: exact distances by brute force."""

    name = "faiss-flat"

    def params(self) -> dict[str, Any]:
        return {}

    def _new_index(self, words: np.ndarray) -> Any:
        return self._faiss.IndexBinaryFlat(self.bits)


class FaissHNSWBackend(FaissBackend):
    """``IndexBinaryHNSW``: approximate graph search."""

    name = "faiss-hnsw"
    saves_state = True

    def __init__(self, bits: int, M: int = 32, ef_construction: int = 40,
                 ef_search: int = 64) -> None:
        _check_positive(self.name, M=M, ef_construction=ef_construction, ef_search=ef_search)
        super().__init__(bits)
        self.M = M
        self.ef_construction = ef_construction
        self.ef_search = ef_search

    def params(self) -> dict[str, Any]:
        return {"M": self.M, "ef_construction": self.ef_construction,
                "ef_search": self.ef_search}

    def _new_index(self, words: np.ndarray) -> Any:
        index = self._faiss.IndexBinaryHNSW(self.bits, self.M)
        index.hnsw.efConstruction = self.ef_construction
        return index

    def _before_search(self) -> None:
        self._index.hnsw.efSearch = self.ef_search


class FaissIVFBackend(FaissBackend):
    """``IndexBinaryIVF``: k-means lists, ``nprobe`` of them searched per query."""

    name = "faiss-ivf"
    saves_state = True

    def __init__(self, bits: int, nlist: int | None = None, nprobe: int = 16) -> None:
        _check_positive(self.name, nlist=nlist, nprobe=nprobe)
        super().__init__(bits)
        self.nlist = nlist
        self.nprobe = nprobe

    def params(self) -> dict[str, Any]:
        return {"nlist": self.nlist, "nprobe": self.nprobe}

    def _new_index(self, words: np.ndarray) -> Any:
        n = len(words)
        # FAISS's guidance: about 4·sqrt(n) lists, and at least 39 training codes per list
        nlist = self.nlist or max(1, min(round(4 * math.sqrt(n)), n // 39))
        quantizer = self._faiss.IndexBinaryFlat(self.bits)
        index = self._faiss.IndexBinaryIVF(quantizer, self.bits, nlist)
        index.own_fields = True
        quantizer.this.disown()
        if n:
            index.train(words_to_bytes(words, self.bits))
        return index

    def _before_search(self) -> None:
        self._index.nprobe = self.nprobe

    def describe(self) -> dict[str, Any]:
        return {"nlist": int(self._index.nlist)} if self._index is not None else {}


class FaissMultiHashBackend(FaissBackend):
    """``IndexBinaryMultiHash``: hash tables on substrings, probed within ``nflip`` bits."""

    name = "faiss-multihash"

    def __init__(self, bits: int, nhash: int | None = None, b: int | None = None,
                 nflip: int = 2) -> None:
        _check_positive(self.name, nhash=nhash, b=b)
        if not (isinstance(nflip, int) and nflip >= 0):
            raise InputError(f"{self.name}: nflip must be a non-negative integer, got {nflip!r}")
        self.nhash = nhash if nhash is not None else max(1, bits // 16)
        self.b = b if b is not None else min(bits // self.nhash, 64)
        if self.nhash * self.b > bits:
            raise InputError(f"{self.name}: nhash × b must be at most bits ({bits}), got "
                             f"{self.nhash} × {self.b}")
        super().__init__(bits)
        self.nflip = nflip

    def params(self) -> dict[str, Any]:
        return {"nhash": self.nhash, "b": self.b, "nflip": self.nflip}

    def _new_index(self, words: np.ndarray) -> Any:
        return self._faiss.IndexBinaryMultiHash(self.bits, self.nhash, self.b)

    def _before_search(self) -> None:
        self._index.nflip = self.nflip


FAISS_BACKENDS: tuple[type[FaissBackend], ...] = (
    FaissFlatBackend, FaissHNSWBackend, FaissIVFBackend, FaissMultiHashBackend)
