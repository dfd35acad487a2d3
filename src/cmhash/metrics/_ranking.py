"""One pass over the database per query: everything the retrieval metrics need.

The database is ranked by Hamming distance with ties broken by database position (a stable
order).  Because a Hamming distance takes only ``bits + 1`` values, the rank of item ``j`` needs
no sort::

    rank(j) = #{i : d_i < d_j} + #{i <= j : d_i = d_j}

One pass walks the database in order, counting per distance value all items and relevant items.
When a relevant item is met, the running counts of its distance bucket are its position among
the bucket's items and among the bucket's relevant items; they are noted.  After the pass,
prefix sums of the counts say where each bucket starts, so each noted item gets its rank ρ and
its relevant-rank m (how many relevant items rank at or above it) by one addition.

Cost: O(n_query × n_db × words) time, O(n_db) scratch memory per thread, no query × database
matrix.  Queries run in parallel (numba ``prange``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

from cmhash.codes import Codes
from cmhash.errors import InputError


@intrinsic
def _popcount(typingctx, x):
    """Number of set bits of a uint64 (LLVM's ``ctpop``, one instruction on current CPUs)."""
    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])
    return types.uint64(types.uint64), codegen


@numba.njit(parallel=True, cache=True)
def _rank_statistics_kernel(q_codes, db_codes, q_labels, db_labels, n_bits, depths, first_k):
    n_query = q_codes.shape[0]
    n_db = db_codes.shape[0]
    n_words = q_codes.shape[1]
    n_label_words = q_labels.shape[1]
    n_depth = depths.shape[0]
    n_first = first_k.shape[0]
    max_depth = depths[-1] if n_depth else 0
    max_first = first_k[-1] if n_first else 0

    n_relevant = np.zeros(n_query, np.int64)
    ap_sum = np.zeros(n_query, np.float64)
    hits = np.zeros((n_query, n_depth), np.int64)
    ap_top_sum = np.zeros((n_query, n_depth), np.float64)
    ap_first_sum = np.zeros((n_query, n_first), np.float64)
    at_radius = np.zeros((n_query, n_bits + 1), np.int64)
    relevant_at_radius = np.zeros((n_query, n_bits + 1), np.int64)

    for q in numba.prange(n_query):
        # for each relevant item met: its distance, and its position among the items and
        # among the relevant items of its distance bucket
        bucket = np.empty(n_db, np.int32)
        place = np.empty(n_db, np.int32)
        relevant_place = np.empty(n_db, np.int32)
        count = np.zeros(n_bits + 1, np.int64)
        relevant_count = np.zeros(n_bits + 1, np.int64)
        n_found = 0
        for j in range(n_db):
            d = 0
            for w in range(n_words):
                d += _popcount(q_codes[q, w] ^ db_codes[j, w])
            count[d] += 1
            is_relevant = False
            for w in range(n_label_words):
                if q_labels[q, w] & db_labels[j, w]:
                    is_relevant = True
                    break
            if is_relevant:
                relevant_count[d] += 1
                bucket[n_found] = d
                place[n_found] = count[d]
                relevant_place[n_found] = relevant_count[d]
                n_found += 1

        bucket_start = np.empty(n_bits + 1, np.int64)
        relevant_bucket_start = np.empty(n_bits + 1, np.int64)
        placed = 0
        placed_relevant = 0
        for d in range(n_bits + 1):
            bucket_start[d] = placed
            relevant_bucket_start[d] = placed_relevant
            placed += count[d]
            placed_relevant += relevant_count[d]
        n_relevant[q] = n_found
        at_radius[q] = count
        relevant_at_radius[q] = relevant_count

        total = 0.0
        for r in range(n_found):
            total += (relevant_bucket_start[bucket[r]] + relevant_place[r]) / (
                bucket_start[bucket[r]] + place[r])
        ap_sum[q] = total
        if n_depth == 0 and n_first == 0:
            continue
        # the few relevant items that rank within a depth cut-off or are among the first k
        query_hits = np.zeros(n_depth, np.int64)
        query_ap_top = np.zeros(n_depth, np.float64)
        query_ap_first = np.zeros(n_first, np.float64)
        for r in range(n_found):
            rho = bucket_start[bucket[r]] + place[r]
            m = relevant_bucket_start[bucket[r]] + relevant_place[r]
            if rho <= max_depth:
                for c in range(n_depth):
                    if rho <= depths[c]:
                        query_hits[c] += 1
                        query_ap_top[c] += m / rho
            if m <= max_first:
                for c in range(n_first):
                    if m <= first_k[c]:
                        query_ap_first[c] += m / rho
        hits[q] = query_hits
        ap_top_sum[q] = query_ap_top
        ap_first_sum[q] = query_ap_first
    return n_relevant, ap_sum, hits, ap_top_sum, ap_first_sum, at_radius, relevant_at_radius


def _as_words(packed_bytes: np.ndarray) -> np.ndarray:
    """(n, b) uint8 → (n, ceil(b / 8)) uint64, zero-padded (zeros change no XOR/AND result)."""
    n, n_bytes = packed_bytes.shape
    padded = np.zeros((n, -(-n_bytes // 8) * 8), np.uint8)
    padded[:, :n_bytes] = packed_bytes
    return padded.view(np.uint64)


def pack_labels(labels: np.ndarray) -> np.ndarray:
    """Multi-hot (n, C) → (n, ceil(C / 64)) uint64 bit sets; relevance is ``a & b != 0``."""
    labels = np.asarray(labels)
    return _as_words(np.packbits(labels != 0, axis=1, bitorder="little"))


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
    results = _rank_statistics_kernel(
        _as_words(query.packed), _as_words(database.packed),
        pack_labels(query_labels), pack_labels(database_labels),
        query.bits, depth_array, first_array)
    return RankStatistics(len(database), query.bits, depth_array, first_array, *results)
