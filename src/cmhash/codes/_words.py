"""The Hamming-distance core that the metrics and the index share: codes as 64-bit words.

Packed codes (``bits // 8`` bytes, LSB first) are zero-padded to a multiple of 8 bytes and read
as little-endian ``uint64`` words, so bit ``j`` of a code is bit ``j % 64`` of word ``j // 64``.
The padding bits are 0 in every code, so they never change an XOR, an AND or a popcount.  The
Hamming distance of two codes is then ``Σ_w popcount(a[w] XOR b[w])`` over their words.

The compiled helpers below are meant to be called from other numba kernels:

- :func:`popcount` — set bits of one word (LLVM ``ctpop``: one instruction on current CPUs);
- :func:`distance_at` — distance between a query and one code of a run of codes;
- :func:`load_block` and :func:`block_distances` — a run of database codes is copied once into
  a small word-major buffer (``BLOCK_CODES`` codes, which stays in cache), then the distances
  from each query of a batch to all its codes are written to a buffer by branch-free loops the
  compiler vectorises; callers walk that buffer with whatever bookkeeping they need.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

WORD_BITS = 64
WORD_DTYPE = np.dtype("<u8")
BLOCK_CODES = 2048  # codes per database block: 16 KB per word of code, kept in L1/L2 cache


def words_per_code(bits: int) -> int:
    """Number of 64-bit words that hold a code of ``bits`` bits."""
    return -(-bits // WORD_BITS)


def as_words(packed_bytes: np.ndarray) -> np.ndarray:
    """(n, b) uint8 → (n, ceil(b / 8)) little-endian uint64, zero-padded, C-contiguous."""
    packed_bytes = np.asarray(packed_bytes, np.uint8)
    n, n_bytes = packed_bytes.shape
    padded = np.zeros((n, -(-n_bytes // 8) * 8), np.uint8)
    padded[:, :n_bytes] = packed_bytes
    return padded.view(WORD_DTYPE)


def words_to_bytes(words: np.ndarray, bits: int) -> np.ndarray:
    """Inverse of :func:`as_words`: (n, w) uint64 → (n, bits // 8) packed uint8 bytes."""
    words = np.ascontiguousarray(words, WORD_DTYPE)
    return np.ascontiguousarray(words.view(np.uint8)[:, : bits // 8])


@intrinsic
def popcount(typingctx, x):
    """Number of set bits of a uint64."""
    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])
    return types.uint64(types.uint64), codegen


@numba.njit(cache=True)
def distance_at(query: np.ndarray, rows: np.ndarray, row: int) -> int:
    """Hamming distance between a query's words and code ``row`` of ``rows``, the words of
    consecutive codes laid end to end (a flattened C-contiguous (n, words) matrix)."""
    n_words = query.shape[0]
    first = np.uint64(row * n_words)  # unsigned: no wrap-around check on each access
    d = 0
    for w in range(n_words):
        d += np.int64(popcount(query[w] ^ rows[first + np.uint64(w)]))
    return d


@numba.njit(cache=True)
def load_block(rows: np.ndarray, start: int, stop: int, columns: np.ndarray) -> None:
    """Copy ``rows[start:stop]`` word-major: ``columns[w, i] = rows[start + i, w]``.

    ``rows`` is a C-contiguous (n, words) word matrix and ``columns`` a (words, ≥ stop - start)
    buffer.  A block is loaded once and then scanned by many queries, so the copy costs little,
    and word-major columns let :func:`block_distances` read every word contiguously.
    """
    n_words = rows.shape[1]
    flat = rows.reshape(-1)[start * n_words:stop * n_words]
    for w in range(n_words):
        column = columns[w]
        for i in range(stop - start):
            column[i] = flat[i * n_words + w]


@numba.njit(cache=True)
def block_distances(query: np.ndarray, columns: np.ndarray, n: int, out: np.ndarray) -> int:
    """``out[i] = distance(query, code i of the block)`` for ``i < n``; returns the smallest.

    ``query`` is one word row, ``columns`` a block loaded by :func:`load_block`, ``out`` an
    int32 buffer of at least ``n`` entries.  The loops have no branch and run from 0 over
    contiguous rows (a loop from a variable start makes numba check each index for
    wrap-around, which keeps the compiler from vectorising it; AVX-512 has a vector popcount).
    Returns ``WORD_BITS * words + 1`` for an empty block.
    """
    q0 = query[0]
    column = columns[0]
    for i in range(n):
        out[i] = np.int32(popcount(q0 ^ column[i]))
    for w in range(1, query.shape[0]):
        qw = query[w]
        column = columns[w]
        for i in range(n):
            out[i] += np.int32(popcount(qw ^ column[i]))
    smallest = np.int32(WORD_BITS * query.shape[0] + 1)
    for i in range(n):
        smallest = min(smallest, out[i])
    return smallest
