"""What a search backend of :class:`~cmhash.index.HammingIndex` implements.

The index owns the codes (as 64-bit words, see :mod:`cmhash.codes._words`), their ids and
their insertion order; a backend only searches them.  It answers in *positions* (rows of the
word matrix, in insertion order), which the index turns into ids.  Exact backends order each
result by distance, ties by position; approximate ones by distance, ties as their library
returns them.

A backend that keeps structures over the codes (hash tables, a graph) brings them up to date in
:meth:`Backend.sync`, which the index calls before a search whenever codes were added or
removed since the last one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np


class Backend(ABC):
    """One search method over a matrix of code words."""

    #: registry name
    name: ClassVar[str] = ""
    #: whether results equal the brute-force ones, tie order included
    exact: ClassVar[bool] = False
    #: whether :meth:`state` saves a structure (too costly to rebuild at load)
    saves_state: ClassVar[bool] = False

    def __init__(self, bits: int) -> None:
        self.bits = bits

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """Constructor arguments (JSON values) that rebuild an equal backend; saved with it."""

    def sync(self, words: np.ndarray, n_unchanged: int) -> None:  # noqa: B027 - optional
        """Bring internal structures up to date with ``words`` (n, words) uint64.

        Its first ``n_unchanged`` rows are the rows seen at the last call, unchanged; rows after
        them are new (or, after a removal, moved).  Backends without structures do nothing.
        """

    @abstractmethod
    def search(self, words: np.ndarray, queries: np.ndarray, k: int,
               threads: int) -> tuple[np.ndarray, np.ndarray]:
        """(distances int32 (q, k), positions int64 (q, k)); missing entries are
        ``(INT32_MAX, -1)``."""

    @abstractmethod
    def range_search(self, words: np.ndarray, queries: np.ndarray, radius: int,
                     threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lims int64 (q + 1), distances int32, positions int64): query q's results are
        entries ``lims[q]:lims[q + 1]``, by distance."""

    def memory_bytes(self) -> int:
        """Bytes held besides the codes and ids."""
        return 0

    def state(self) -> bytes:
        """Bytes to save beside the codes, if :attr:`saves_state`; called after a sync."""
        return b""

    def restore(self, words: np.ndarray, state: bytes) -> None:
        """Take back what :meth:`state` returned, for the codes ``words``."""
        self.sync(words, 0)

    def describe(self) -> dict[str, Any]:
        """Facts for :meth:`HammingIndex.info` beyond the parameters (e.g. a chosen m)."""
        return {}
