"""``flat``: exact brute-force search over packed codes.

Every query is compared with every code, using the Hamming core shared with the metrics
(:mod:`cmhash.codes._words`).  The database is read in blocks of ``BLOCK_CODES`` codes; each
block is loaded once (word-major, so it stays in cache) and then scanned by a whole group of
queries, so that memory traffic is one pass over the database per group instead of per query.
For each query and block the distances are computed by vectorised loops, and the block is
skipped at once if its smallest distance cannot enter the query's top k.  Otherwise a vectorised
loop flags the items below the query's bound, the flags are read 8 at a time (one 64-bit word),
and the flagged items go through the bounded selection of :mod:`cmhash.index.selection` (ties by
database position).  Early in a scan, while the bound is still loose, and for k in the
hundreds, many blocks hold such an item, so this inner search matters as much as the distances.

Both cores: work items are (group of queries, segment of the database) pairs, split among the
threads by numba ``prange``.  A large batch is split into groups only; a batch too
small to keep every thread busy (one query, say) also splits the database into segments, whose
partial top-k lists are merged in segment order, so ties stay in position order.  A search of
little work (under ``_PARALLEL_FROM`` query × code words) runs on the calling thread.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from cmhash.codes._words import BLOCK_CODES, block_distances, load_block
from cmhash.index.backend import Backend
from cmhash.index.parallel import numba_threads
from cmhash.index.selection import buffer_capacity, shrink, write_top_k

_MAX_GROUP = 64  # queries that scan a cached block one after another
_GROUP_SCRATCH_BYTES = 2**20  # per group, for the selection buffers
_MIN_SEGMENT = 65536  # codes: a database segment of its own is worth a thread from this size
_PARALLEL_FROM = 2**22  # query × code words: below this a search runs on one thread


@numba.njit(cache=True, nogil=True)
def _flag_below(distances, n, bound, flags):
    """``flags[i] = distances[i] < bound`` for ``i < n`` (a vectorised loop)."""
    for i in range(n):
        flags[i] = distances[i] < bound


@numba.njit(cache=True, nogil=True)
def _scan_group(queries, first_query, n_group, words, lo, hi, k, n_bits, segment, cand_d,
                cand_pos, cand_n):
    """Top k of ``words[lo:hi]`` for queries ``first_query ..+ n_group``, written to their
    candidate lists for ``segment`` in position order."""
    capacity = buffer_capacity(k, hi - lo)
    buf_d = np.empty((n_group, capacity), np.int32)
    buf_pos = np.empty((n_group, capacity), np.int64)
    fill = np.zeros(n_group, np.int64)
    tau = np.full(n_group, n_bits + 1, np.int64)
    histogram = np.empty(n_bits + 1, np.int64)
    columns = np.empty((words.shape[1], BLOCK_CODES), np.uint64)
    distances = np.empty(BLOCK_CODES, np.int32)
    flags = np.zeros(BLOCK_CODES, np.uint8)
    flag_words = flags.view(np.uint64)
    for start in range(lo, hi, BLOCK_CODES):
        n = min(hi, start + BLOCK_CODES) - start
        load_block(words, start, start + n, columns)
        for member in range(n_group):
            t = tau[member]
            if block_distances(queries[first_query + member], columns, n, distances) >= t:
                continue
            # the block holds an item that enters the top k; find it 8 flags at a time
            _flag_below(distances, n, t, flags)
            query_d = buf_d[member]
            query_pos = buf_pos[member]
            f = fill[member]
            for w in range((n + 7) // 8):
                if flag_words[w] == 0:
                    continue
                for i in range(8 * w, min(n, 8 * w + 8)):
                    d = distances[i]
                    if d < t:  # t may have dropped since the flags were set
                        query_d[f] = d
                        query_pos[f] = start + i
                        f += 1
                        if f == capacity:
                            f, t = shrink(query_d, query_pos, f, k, histogram)
            fill[member] = f
            tau[member] = t
    for member in range(n_group):
        f, _ = shrink(buf_d[member], buf_pos[member], fill[member], k, histogram)
        q = first_query + member
        cand_n[q, segment] = f
        cand_d[q, segment, :f] = buf_d[member, :f]
        cand_pos[q, segment, :f] = buf_pos[member, :f]


@numba.njit(parallel=True, cache=True)
def _scan_items(queries, words, k, n_bits, group_size, n_segments, cand_d, cand_pos, cand_n):
    """Every work item, in parallel; item = (group of queries, database segment)."""
    n_query = queries.shape[0]
    n_db = words.shape[0]
    for item in numba.prange(-(-n_query // group_size) * n_segments):
        segment = item % n_segments
        first_query = (item // n_segments) * group_size
        _scan_group(queries, first_query, min(n_query, first_query + group_size) - first_query,
                    words, segment * n_db // n_segments, (segment + 1) * n_db // n_segments, k,
                    n_bits, segment, cand_d, cand_pos, cand_n)


@numba.njit(cache=True, nogil=True)
def _merge_segments(cand_d, cand_pos, cand_n, k, n_bits, out_d, out_pos):
    """Each query's top k from its segments' lists, concatenated in segment (so position)
    order."""
    n_segments = cand_d.shape[1]
    kept = cand_d.shape[2]
    merged_d = np.empty(n_segments * kept, np.int32)
    merged_pos = np.empty(n_segments * kept, np.int64)
    histogram = np.empty(n_bits + 2, np.int64)
    for q in range(cand_d.shape[0]):
        n = 0
        for segment in range(n_segments):
            f = cand_n[q, segment]
            merged_d[n:n + f] = cand_d[q, segment, :f]
            merged_pos[n:n + f] = cand_pos[q, segment, :f]
            n += f
        write_top_k(merged_d, merged_pos, n, k, histogram, out_d[q], out_pos[q])


@numba.njit(cache=True, nogil=True)
def _within_group(queries, first_query, n_group, words, radius, counts, lims, out_d, out_pos):
    """Items within ``radius`` of each query of the group: counted into ``counts`` if ``lims``
    is empty, else written from ``lims[q]`` on, in position order."""
    n_db = words.shape[0]
    columns = np.empty((words.shape[1], BLOCK_CODES), np.uint64)
    distances = np.empty(BLOCK_CODES, np.int32)
    flags = np.zeros(BLOCK_CODES, np.uint8)
    flag_words = flags.view(np.uint64)
    write = lims.shape[0] > 0
    filled = np.zeros(n_group, np.int64)
    for start in range(0, n_db, BLOCK_CODES):
        n = min(n_db, start + BLOCK_CODES) - start
        load_block(words, start, start + n, columns)
        for member in range(n_group):
            q = first_query + member
            if block_distances(queries[q], columns, n, distances) > radius:
                continue
            _flag_below(distances, n, radius + 1, flags)
            f = filled[member]
            for w in range((n + 7) // 8):
                if flag_words[w] == 0:
                    continue
                for i in range(8 * w, min(n, 8 * w + 8)):
                    if distances[i] <= radius:
                        if write:
                            out_d[lims[q] + f] = distances[i]
                            out_pos[lims[q] + f] = start + i
                        f += 1
            filled[member] = f
    counts[first_query:first_query + n_group] = filled


@numba.njit(parallel=True, cache=True)
def _within_groups(queries, words, radius, group_size, counts, lims, out_d, out_pos):
    """Every group of the range search, in parallel (see :func:`_within_group`)."""
    n_query = queries.shape[0]
    for g in numba.prange(-(-n_query // group_size)):
        first_query = g * group_size
        _within_group(queries, first_query, min(n_query, first_query + group_size) - first_query,
                      words, radius, counts, lims, out_d, out_pos)


@numba.njit(cache=True, nogil=True)
def _order_rows(lims, distances, positions, n_bits):
    """Sort each query's slice by distance, ties kept in position order."""
    histogram = np.empty(n_bits + 2, np.int64)
    for q in range(lims.shape[0] - 1):
        lo = lims[q]
        n = lims[q + 1] - lo
        row_d = distances[lo:lo + n].copy()
        row_pos = positions[lo:lo + n].copy()
        write_top_k(row_d, row_pos, n, n, histogram, distances[lo:lo + n],
                    positions[lo:lo + n])


def work_split(n_query: int, n_db: int, k: int, threads: int) -> tuple[int, int]:
    """(queries per group, database segments) for a batch: groups small enough that their
    selection buffers stay in cache and every thread gets a group; segments only when the
    groups alone cannot keep the threads busy."""
    per_query = 12 * max(1, buffer_capacity(k, n_db))
    group_size = max(1, min(_MAX_GROUP, _GROUP_SCRATCH_BYTES // per_query,
                            -(-n_query // threads)))
    n_groups = -(-n_query // group_size)
    n_segments = 1
    if n_groups < threads:
        n_segments = max(1, min(-(-threads // n_groups), n_db // _MIN_SEGMENT))
    return group_size, n_segments


def _small(n_query: int, words: np.ndarray) -> bool:
    """Too little work to be worth waking other threads."""
    return n_query * words.shape[0] * words.shape[1] < _PARALLEL_FROM


def flat_search(words: np.ndarray, queries: np.ndarray, k: int, bits: int,
                threads: int) -> tuple[np.ndarray, np.ndarray]:
    """(distances int32 (q, k), positions int64 (q, k)) of the k nearest codes by brute force."""
    n_query = len(queries)
    if _small(n_query, words):
        threads = 1
    group_size, n_segments = work_split(n_query, len(words), k, threads)
    kept = max(1, min(k, len(words)))
    cand_d = np.empty((n_query, n_segments, kept), np.int32)
    cand_pos = np.empty((n_query, n_segments, kept), np.int64)
    cand_n = np.zeros((n_query, n_segments), np.int64)
    with numba_threads(threads):
        _scan_items(queries, words, k, bits, group_size, n_segments, cand_d, cand_pos, cand_n)
    out_d = np.empty((n_query, k), np.int32)
    out_pos = np.empty((n_query, k), np.int64)
    _merge_segments(cand_d, cand_pos, cand_n, k, bits, out_d, out_pos)
    return out_d, out_pos


def flat_range_search(words: np.ndarray, queries: np.ndarray, radius: int, bits: int,
                      threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lims, distances, positions) of every code within ``radius``, by brute force: one pass
    counts, a second writes."""
    n_query = len(queries)
    if _small(n_query, words):
        threads = 1
    group_size, _ = work_split(n_query, len(words), 1, threads)
    counts = np.zeros(n_query, np.int64)
    with numba_threads(threads):
        _within_groups(queries, words, radius, group_size, counts, np.zeros(0, np.int64),
                       np.zeros(0, np.int32), np.zeros(0, np.int64))
        lims = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        out_d = np.empty(lims[-1], np.int32)
        out_pos = np.empty(lims[-1], np.int64)
        _within_groups(queries, words, radius, group_size, counts, lims, out_d, out_pos)
    _order_rows(lims, out_d, out_pos, bits)
    return lims, out_d, out_pos


class FlatBackend(Backend):
    """Exact brute force; no structure besides the codes."""

    name = "flat"
    exact = True

    def __init__(self, bits: int) -> None:
        super().__init__(bits)

    def params(self) -> dict[str, Any]:
        return {}

    def search(self, words: np.ndarray, queries: np.ndarray, k: int,
               threads: int) -> tuple[np.ndarray, np.ndarray]:
        return flat_search(words, queries, k, self.bits, threads)

    def range_search(self, words: np.ndarray, queries: np.ndarray, radius: int,
                     threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return flat_range_search(words, queries, radius, self.bits, threads)
