"""One pass over the database per query: everything the retrieval metrics need.

The database is ranked by Hamming distance with ties broken by database position (a stable
order).  Because a Hamming distance takes only ``bits + 1`` values, the rank of item ``j`` needs
no sort::

    rank(j) = #{i : d_i < d_j} + #{i <= j : d_i = d_j}

One pass walks the database in order, counting the items of each distance value.  When a
relevant item is met, the running count of its distance bucket — its place among the bucket's
items — is noted beside its distance.  After the pass, prefix sums of the counts say where each
bucket starts, and a walk over the noted items in database order gives each its rank ρ and its
relevant-rank m (how many relevant items rank at or above it) by one addition each.

The distances come from the Hamming core shared with the index (:mod:`cmhash.codes._words`):
the database is read in blocks of ``BLOCK_CODES`` codes (and label words) that stay in cache
while a group of queries is scanned against them, and each block's distances and relevance
flags are computed by vectorised loops.  The counting loop has no branch: every item's note is
written, and the write position advances only for relevant items.

Cost: O(n_query × n_db × words) time, O(group × n_db) scratch memory per thread, no query ×
database matrix.  Groups of queries run in parallel (numba ``prange``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from cmhash.codes import Codes
from cmhash.codes._words import BLOCK_CODES, as_words, block_distances, load_block
from cmhash.errors import InputError

_SCRATCH_BYTES = 32 * 2**20  # per thread, for the noted items of a group of queries
_MAX_GROUP = 8  # queries scanned against each cached database block


@numba.njit(cache=True)
def _relevance(query_labels, label_columns, n, out):
    """``out[i] = 1`` where the query shares a label with item ``i`` of the block, else 0."""
    if query_labels.shape[0] == 0:
        out[:n] = 0
        return
    first = label_columns[0]
    l0 = query_labels[0]
    for i in range(n):
        out[i] = (l0 & first[i]) != 0
    for w in range(1, query_labels.shape[0]):
        column = label_columns[w]
        lw = query_labels[w]
        for i in range(n):
            out[i] |= (lw & column[i]) != 0


@numba.njit(cache=True)
def _note_group(q_codes, q_labels, first_query, n_group, db_codes, db_labels, shift,
                at_radius, notes, n_noted):
    """One pass over the database for queries ``first_query ..+ n_group``: count the items of
    each distance into ``at_radius`` and note each relevant item as
    ``(place in its distance bucket) << shift | distance`` in database order."""
    n_db = db_codes.shape[0]
    code_columns = np.empty((db_codes.shape[1], BLOCK_CODES), np.uint64)
    label_columns = np.empty((db_labels.shape[1], BLOCK_CODES), np.uint64)
    distances = np.empty(BLOCK_CODES, np.int32)
    relevant = np.empty(BLOCK_CODES, np.uint8)
    n_noted[:n_group] = 0
    for start in range(0, n_db, BLOCK_CODES):
        n = min(n_db, start + BLOCK_CODES) - start
        load_block(db_codes, start, start + n, code_columns)
        load_block(db_labels, start, start + n, label_columns)
        for member in range(n_group):
            q = first_query + member
            block_distances(q_codes[q], code_columns, n, distances)
            _relevance(q_labels[q], label_columns, n, relevant)
            count = at_radius[q]
            query_notes = notes[member]
            noted = n_noted[member]
            for i in range(n):
                # unsigned indices: numba then adds no wrap-around check to each access
                d = np.uint64(distances[i])
                place = count[d] + 1
                count[d] = place
                query_notes[np.uint64(noted)] = (np.uint64(place) << shift) | d
                noted += relevant[i]
            n_noted[member] = noted


@numba.njit(cache=True)
def _rank_notes(notes, n_found, shift, count, relevant_count, depths, first_k, hits, ap_top_sum,
                ap_first_sum):
    """From one query's notes and counts: fill ``relevant_count``, add to the cut-off sums and
    return Σ m/ρ over its relevant items."""
    n_bits = count.shape[0] - 1
    distance_mask = (np.uint64(1) << shift) - np.uint64(1)
    max_depth = depths[-1] if depths.shape[0] else 0
    max_first = first_k[-1] if first_k.shape[0] else 0
    for r in range(n_found):
        relevant_count[notes[r] & distance_mask] += 1
    bucket_start = np.empty(n_bits + 1, np.int64)
    relevant_bucket_start = np.empty(n_bits + 1, np.int64)
    placed = 0
    placed_relevant = 0
    for d in range(n_bits + 1):
        bucket_start[d] = placed
        relevant_bucket_start[d] = placed_relevant
        placed += count[d]
        placed_relevant += relevant_count[d]
    # walking the notes in database order, relevant_bucket_start[d] counts up to the
    # relevant-rank m of each relevant item of bucket d
    total = 0.0
    for r in range(n_found):
        d = notes[r] & distance_mask
        relevant_bucket_start[d] += 1
        rho = bucket_start[d] + np.int64(notes[r] >> shift)
        m = relevant_bucket_start[d]
        total += m / rho
        # the few relevant items that rank within a depth cut-off or are among the first k
        if rho <= max_depth:
            for c in range(depths.shape[0]):
                if rho <= depths[c]:
                    hits[c] += 1
                    ap_top_sum[c] += m / rho
        if m <= max_first:
            for c in range(first_k.shape[0]):
                if m <= first_k[c]:
                    ap_first_sum[c] += m / rho
    return total


@numba.njit(parallel=True, cache=True)
def _rank_statistics_kernel(q_codes, db_codes, q_labels, db_labels, n_bits, depths, first_k,
                            group_size, n_threads):
    n_query = q_codes.shape[0]
    n_db = db_codes.shape[0]
    n_shift = 1
    while (1 << n_shift) <= n_bits:
        n_shift += 1
    shift = np.uint64(n_shift)  # a note's distance takes the low n_shift bits

    n_relevant = np.zeros(n_query, np.int64)
    ap_sum = np.zeros(n_query, np.float64)
    hits = np.zeros((n_query, depths.shape[0]), np.int64)
    ap_top_sum = np.zeros((n_query, depths.shape[0]), np.float64)
    ap_first_sum = np.zeros((n_query, first_k.shape[0]), np.float64)
    at_radius = np.zeros((n_query, n_bits + 1), np.int64)
    relevant_at_radius = np.zeros((n_query, n_bits + 1), np.int64)

    # one chunk of query groups per thread, so that each thread allocates its scratch once
    n_groups = (n_query + group_size - 1) // group_size
    n_chunks = min(n_groups, n_threads)
    for chunk in numba.prange(n_chunks):
        notes = np.empty((group_size, n_db), np.uint64)
        n_noted = np.zeros(group_size, np.int64)
        for g in range(chunk * n_groups // n_chunks, (chunk + 1) * n_groups // n_chunks):
            first_query = g * group_size
            n_group = min(n_query, first_query + group_size) - first_query
            _note_group(q_codes, q_labels, first_query, n_group, db_codes, db_labels, shift,
                        at_radius, notes, n_noted)
            for member in range(n_group):
                q = first_query + member
                n_relevant[q] = n_noted[member]
                ap_sum[q] = _rank_notes(notes[member], n_noted[member], shift, at_radius[q],
                                        relevant_at_radius[q], depths, first_k, hits[q],
                                        ap_top_sum[q], ap_first_sum[q])
    return n_relevant, ap_sum, hits, ap_top_sum, ap_first_sum, at_radius, relevant_at_radius


def pack_labels(labels: np.ndarray) -> np.ndarray:
    """Multi-hot (n, C) → (n, ceil(C / 64)) uint64 bit sets; relevance is ``a & b != 0``."""
    labels = np.asarray(labels)
    return as_words(np.packbits(labels != 0, axis=1, bitorder="little"))


@dataclass(frozen=True)
class RankStatistics:
    """Per-query counts from which every named metric is computed.

    ``depths`` and ``first_k`` are the sorted cut-offs the statistics were gathered for.
    With ρ the rank and m the relevant-rank of a relevant item (both 1-based):

    - ``n_relevant[q]``: R, the relevant items in the database;
    - ``ap_sum[q]``: Σ m/ρ over all relevant items (AP = ap_sum / R);
    - ``hits[q, c]``: relevant items with ρ ≤ depths[c];
    - ``ap_top_sum[q, c]``: Σ m/ρ over relevant items with ρ ≤ depths[c];
    - ``ap_first_sum[q, c]``: Σ m/ρ over relevant items with m ≤ first_k[c];
    - ``at_radius[q, r]`` / ``relevant_at_radius[q, r]``: items / relevant items at distance r.
    """

    n_db: int
    bits: int
    depths: np.ndarray
    first_k: np.ndarray
    n_relevant: np.ndarray
    ap_sum: np.ndarray
    hits: np.ndarray
    ap_top_sum: np.ndarray
    ap_first_sum: np.ndarray
    at_radius: np.ndarray
    relevant_at_radius: np.ndarray


def rank_statistics(
    query: Codes,
    database: Codes,
    query_labels: np.ndarray,
    database_labels: np.ndarray,
    depths: tuple[int, ...] = (),
    first_k: tuple[int, ...] = (),
) -> RankStatistics:
    """Gather :class:`RankStatistics` for every query against the whole database."""
    if query.bits != database.bits:
        raise InputError(f"query codes have {query.bits} bits, database codes {database.bits}")
    if len(query) == 0:
        raise InputError("the query set is empty")
    if len(database) == 0:
        raise InputError("the database is empty")
    if len(query_labels) != len(query) or len(database_labels) != len(database):
        raise InputError(
            f"labels do not match codes: {len(query_labels)} query labels for {len(query)} "
            f"codes, {len(database_labels)} database labels for {len(database)} codes")
    if np.shape(query_labels)[1:] != np.shape(database_labels)[1:]:
        raise InputError(f"query labels {np.shape(query_labels)} and database labels "
                         f"{np.shape(database_labels)} have different label counts")
    depth_array = np.array(sorted(set(depths)), np.int64)
    first_array = np.array(sorted(set(first_k)), np.int64)
    if (depth_array <= 0).any() or (first_array <= 0).any():
        raise InputError(f"cut-offs must be positive, got {list(depths) + list(first_k)}")
    group_size = int(np.clip(_SCRATCH_BYTES // (8 * len(database)), 1, _MAX_GROUP))
    results = _rank_statistics_kernel(
        as_words(query.packed), as_words(database.packed),
        pack_labels(query_labels), pack_labels(database_labels),
        query.bits, depth_array, first_array, group_size, numba.get_num_threads())
    return RankStatistics(len(database), query.bits, depth_array, first_array, *results)
