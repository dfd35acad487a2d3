"""``mih``: exact multi-index hashing (Norouzi, Punjani & Fleet, "Fast search in Hamming space
with multi-index hashing", CVPR 2012; "Fast exact search in Hamming space with multi-index
hashing", TPAMI 2014).

Each code is split into m disjoint substrings of consecutive bits (lengths ℓ_i differ by at most
one: the first ``bits mod m`` are one bit longer).  Table i maps the value of substring i to the
codes that have it: their positions and a copy of their words, grouped by value (CSR, so that a
bucket's codes are read contiguously), found through an array indexed by the value where 2^ℓ_i
is small, else by binary search in the sorted distinct values.

Why it is exact (pigeonhole): the substring distances of two codes add up to their distance.
If table i has been probed at every substring radius up to ρ_i (every value within Hamming
distance ρ_i of the query's substring looked up), a code not yet found differs from the query
in at least ρ_i + 1 bits of every substring, so its distance is at least Σ_i (ρ_i + 1).  Every
code at distance ≤ Σ_i (ρ_i + 1) - 1 has been found — whatever the lengths ℓ_i (and a table
probed at radius ℓ_i has given every code).

Search (the paper's incremental radius): step t = 0, 1, 2, ... probes table i = t mod m at exact
substring radius ρ = t div m, enumerating the C(ℓ_i, ρ) values that differ from the query's
substring in exactly ρ bits.  After step t, tables 0..i are at radius ρ and the rest at ρ - 1, so
the bound is (i + 1)(ρ + 1) + (m - i - 1)ρ - 1 = mρ + i = t: every code within distance t of the
query has been found.  Found codes are verified with their full distance; a k-nearest search
stops after the first step t with at least k found codes whose k-th distance d_k ≤ t (after a
full round, t = m(r + 1) - 1, this is the paper's d_k < m(r + 1)): every code at distance ≤ d_k
is among those found, so choosing the k best by (distance, position) among them gives exactly
the brute-force answer, ties included.  A range search stops once t ≥ radius.

A code can be found in several tables; it is taken only in the first (in step order) that
holds it within the radius probed there, which its substring distances tell.  Taken codes are
counted by distance, so the bound — the smallest distance with k codes at or below it — drops
as they come, and codes beyond it are passed over; the rest are kept as keys
``distance << 40 | position`` and sorted at the end.  When a query would need more lookups than
a scan of the database costs (``max_probes``; codes spread like random ones, or too small a
database), it is answered by the ``flat`` scan instead — the same answer.

m (unless given): the paper's rule m ≈ bits / log2(n) (substrings of about log2(n) bits, so that
each table holds about one code per value), but substrings of at most 16 bits
(:data:`_SUBSTRING_MAX_BITS`), which measured faster on learned, clustered codes (only m
varied; that it is because smaller tables' lookups stay in cache is a reading, not measured).
Measured with ``benchmarks.speed.search_speed``
(``--mih-m``; 64-bit learned-like codes, flip 0.12, k = 10, 2 threads): at 10M codes m = 4 answers
35,090 queries/s against 13,812 for the paper's m = 3 and 21,225 for m = 5; at 1M, 63,523 against
30,539 (m = 3); at 1M × 128 bits m = 8 beats m = 6.  Uniform codes fall back to the scan either
way.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from cmhash.codes._words import WORD_BITS, distance_at, popcount
from cmhash.errors import InputError
from cmhash.index.backend import Backend
from cmhash.index.flat import flat_range_search, flat_search
from cmhash.index.parallel import numba_threads
from cmhash.index.selection import write_top_k

_POSITION_BITS = np.uint64(40)  # a found code's key: distance << 40 | position
_POSITION_MASK = (np.uint64(1) << _POSITION_BITS) - np.uint64(1)
_DIRECT_MAX_BITS = 24  # a table indexed by value has at most 2^24 + 1 entries...
_DIRECT_PER_CODE = 8  # ...and at most 8 per code (else the sorted distinct values are searched)
_SUBSTRING_MAX_BITS = 16  # default substrings at most this long (measured faster; docstring)
_PROBE_COST = 1024  # codes a scan checks in the time of one table lookup (order of magnitude)
_HOPELESS = 16  # a query whose answer may need this many times its budget is scanned at once
_PARALLEL_FROM = 8  # queries: fewer run on the calling thread
_TABLE_FIELDS = ("sub_start", "sub_length", "sub_word", "sub_mask", "direct", "starts",
                 "starts_offset", "keys", "keys_offset", "members", "table_words",
                 "probes_before")  # the order _probe_query unpacks them in


def default_m(bits: int, n: int) -> int:
    """The paper's rule m = bits / log2(n), rounded, with substrings of 4 to
    :data:`_SUBSTRING_MAX_BITS` bits (see the module docstring)."""
    m = max(round(bits / math.log2(max(n, 2))), -(-bits // _SUBSTRING_MAX_BITS))
    return int(min(m, max(1, bits // 4)))


def substring_layout(bits: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """(first bit, length) of each of the m substrings; the first ``bits % m`` are longer."""
    lengths = np.full(m, bits // m, np.int64)
    lengths[:bits % m] += 1
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    return starts, lengths


@numba.njit(cache=True, nogil=True)
def _substring(row, start, length):
    """Bits ``start .. start + length - 1`` (length ≤ 64) of a word row, as an integer."""
    w = start // 64
    r = start % 64
    value = row[w] >> np.uint64(r)
    if r + length > 64:
        value |= row[w + 1] << np.uint64(64 - r)
    if length < 64:
        value &= (np.uint64(1) << np.uint64(length)) - np.uint64(1)
    return value


@numba.njit(cache=True)
def _substrings(words, start, length):
    """Substring ``start ..+ length`` of every code."""
    values = np.empty(words.shape[0], np.uint64)
    for j in range(words.shape[0]):
        values[j] = _substring(words[j], start, length)
    return values


def _probes_before(sub_length: np.ndarray) -> np.ndarray:
    """Lookups of steps 0..t-1 at entry t: step t looks up C(ℓ_i, ρ) values (i = t mod m,
    ρ = t div m; none once ρ > ℓ_i), until every table is enumerated."""
    m = len(sub_length)
    steps = [math.comb(int(sub_length[t % m]), t // m) for t in range(m * (max(sub_length) + 1))]
    return np.concatenate([[0], np.cumsum(steps)]).astype(np.int64)


def _word_masks(sub_start: np.ndarray, sub_length: np.ndarray) -> dict[str, np.ndarray]:
    """Where each substring lies in the code's words: ``sub_word`` (its first word) and
    ``sub_mask`` (m, 2) (its bits in that word and in the next)."""
    sub_word = sub_start // WORD_BITS
    sub_mask = np.zeros((len(sub_start), 2), np.uint64)
    for i, (start, length) in enumerate(zip(sub_start.tolist(), sub_length.tolist(),
                                            strict=True)):
        bits = (((1 << length) - 1) << (start % WORD_BITS))  # over two words at most
        sub_mask[i] = [bits & (2**64 - 1), bits >> 64]
    return {"sub_word": sub_word.astype(np.int64), "sub_mask": sub_mask}


@numba.njit(cache=True)
def _group_by_value(values, n_values, members):
    """Counting sort: ``members`` gets positions grouped by value, in position order within a
    value; returns where each value's run starts (``n_values + 1`` entries)."""
    starts = np.zeros(n_values + 1, members.dtype)
    for v in values:
        starts[np.int64(v) + 1] += 1
    for v in range(n_values):
        starts[v + 1] += starts[v]
    filled = starts[:-1].copy()
    for position in range(values.shape[0]):
        v = np.int64(values[position])
        members[filled[v]] = position
        filled[v] += 1
    return starts


@numba.njit(cache=True, nogil=True)
def _found_first_here(query, codes, j, table, rho, sub_word, sub_mask):
    """Whether code ``j`` of ``codes``, found in ``table`` at substring radius ``rho``, is met
    here for the first time: no table probed at an earlier step holds it within the radius it
    was probed at.  Step s(i, δ) = δ·m + i comes before this one iff δ ≤ ρ for i < table, or
    δ < ρ for i > table (δ: the code's substring distance in table i)."""
    n_words = query.shape[0]
    first = j * n_words
    for i in range(sub_word.shape[0]):
        if i == table:
            continue
        w = sub_word[i]
        delta = np.int64(popcount((query[w] ^ codes[first + w]) & sub_mask[i, 0]))
        if w + 1 < n_words:
            delta += np.int64(popcount((query[w + 1] ^ codes[first + w + 1]) & sub_mask[i, 1]))
        if delta < rho or (i < table and delta == rho):
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _keep_within(found, n_found, tau):
    """Drop, in place, the found keys whose distance exceeds ``tau``; returns how many stay."""
    n = 0
    for r in range(n_found):
        if np.int64(found[r] >> _POSITION_BITS) <= tau:
            found[n] = found[r]
            n += 1
    return n


@numba.njit(cache=True, nogil=True)
def _probe_query(query, tables, keep, tau, max_probes):
    """The codes of one query's answer, by steps of growing radius until it is certain.

    k-nearest: ``keep`` = k and ``tau`` = bits; range: ``keep`` = n and ``tau`` = radius.  Each
    code is taken once (where it is first found) and counted by distance; ``tau`` drops to the
    smallest distance with ``keep`` codes at or below it, and codes beyond ``tau`` are passed
    over.  Returns (keys sorted by distance then position, their count, lookups made); the
    count is -1 if the search would need more than ``max_probes`` lookups — or, once a first
    round over the tables has made ``tau`` a useful bound, if the steps up to ``tau``
    (``probes_before[tau + 1]`` lookups) exceed ``_HOPELESS`` times that: queries among codes
    spread like random ones go to the scan after m lookups.
    """
    (sub_start, sub_length, sub_word, sub_mask, direct, starts, starts_offset, keys, keys_offset,
     members, table_words, probes_before) = tables
    m = sub_start.shape[0]
    query_sub = np.empty(m, np.uint64)
    for i in range(m):
        query_sub[i] = _substring(query, sub_start[i], sub_length[i])
    at_distance = np.zeros(WORD_BITS * query.shape[0] + 1, np.int64)
    n_within = 0  # codes found at distance ≤ tau
    found = np.empty(min(2 * keep + 64, 4096), np.uint64)
    n_found = 0
    n_steps = probes_before.shape[0] - 1
    t = 0
    while t < n_steps and t <= tau:  # steps 0..t-1 found every code within distance t-1
        # give up if this step would pass the budget, or if, after a first round over the
        # tables, the bound tau says the answer needs many times the budget
        bound_known = t >= m and (n_within >= keep or keep >= members.shape[1])
        if probes_before[t + 1] > max_probes or (
                bound_known and probes_before[min(tau, n_steps - 1) + 1] > _HOPELESS * max_probes):
            return found, -1, probes_before[t]
        i = t % m
        rho = t // m
        count = probes_before[t + 1] - probes_before[t]
        if count:
            mask = ~np.uint64(0)
            if rho < 64:
                mask = (np.uint64(1) << np.uint64(rho)) - np.uint64(1)
            for c in range(count):
                key = query_sub[i] ^ mask
                if direct[i]:
                    lo = starts[starts_offset[i] + np.int64(key)]
                    hi = starts[starts_offset[i] + np.int64(key) + 1]
                else:
                    table_keys = keys[keys_offset[i]:keys_offset[i + 1]]
                    j = np.searchsorted(table_keys, key)
                    lo = hi = 0
                    if j < table_keys.shape[0] and table_keys[j] == key:
                        lo = starts[starts_offset[i] + j]
                        hi = starts[starts_offset[i] + j + 1]
                bucket = table_words[i, lo:hi].reshape(-1)
                for j in range(hi - lo):
                    d = distance_at(query, bucket, j)
                    if d > tau or not _found_first_here(query, bucket, j, i, rho, sub_word,
                                                        sub_mask):
                        continue
                    if n_found == found.shape[0]:
                        n_found = _keep_within(found, n_found, tau)
                        if n_found > found.shape[0] // 2:
                            grown = np.empty(2 * found.shape[0], np.uint64)
                            grown[:n_found] = found[:n_found]
                            found = grown
                    found[n_found] = (np.uint64(d) << _POSITION_BITS) | np.uint64(
                        members[i, lo + j])
                    n_found += 1
                    at_distance[d] += 1
                    n_within += 1
                    while n_within - at_distance[tau] >= keep:
                        n_within -= at_distance[tau]
                        tau -= 1
                if c + 1 < count:  # next ρ-subset of the ℓ bits (Gosper's hack)
                    lowest = mask & (~mask + np.uint64(1))
                    ripple = mask + lowest
                    mask = (((ripple ^ mask) >> np.uint64(2)) // lowest) | ripple
        t += 1
    # every code within distance t has been found (t > tau), or every table was enumerated
    n_found = _keep_within(found, n_found, tau)
    found[:n_found] = np.sort(found[:n_found])
    return found, min(n_found, keep), probes_before[t]


@numba.njit(parallel=True, cache=True)
def _search_queries(queries, k, n_bits, max_probes, out_d, out_pos, probes, fell_back, tables):
    """k-nearest search of every query, in parallel; a query over budget is flagged."""
    keep = min(k, tables[9].shape[1])
    for q in numba.prange(queries.shape[0]):
        found, n, query_probes = _probe_query(queries[q], tables, keep, n_bits, max_probes)
        probes[q] = query_probes
        if n < 0:
            fell_back[q] = True
            continue
        distances = (found[:n] >> _POSITION_BITS).astype(np.int32)
        positions = (found[:n] & _POSITION_MASK).astype(np.int64)
        write_top_k(distances, positions, n, k, np.empty(n_bits + 2, np.int64), out_d[q],
                    out_pos[q])


@numba.njit(parallel=True, cache=True)
def _range_queries(queries, radius, max_probes, counts, lims, out_d, out_pos, tables):
    """Range search of every query, in parallel: counts (-1 over budget) if ``lims`` is empty,
    else results written from ``lims[q]`` on, by distance then position."""
    for q in numba.prange(queries.shape[0]):
        if lims.shape[0] and counts[q] < 0:
            continue
        found, n, _ = _probe_query(queries[q], tables, tables[9].shape[1], radius, max_probes)
        counts[q] = n
        if n > 0 and lims.shape[0]:
            out_d[lims[q]:lims[q] + n] = (found[:n] >> _POSITION_BITS).astype(np.int32)
            out_pos[lims[q]:lims[q] + n] = (found[:n] & _POSITION_MASK).astype(np.int64)


class MIHBackend(Backend):
    """Exact multi-index hashing; ``m`` substrings (default: the paper's rule at build time),
    ``max_probes`` lookups per query beyond which it is scanned instead (default: n / 1024)."""

    name = "mih"
    exact = True

    def __init__(self, bits: int, m: int | None = None, max_probes: int | None = None) -> None:
        super().__init__(bits)
        if m is not None and not (isinstance(m, int) and -(-bits // WORD_BITS) <= m <= bits):
            raise InputError(f"mih: m must be an integer from {-(-bits // WORD_BITS)} "
                             f"(substrings of at most 64 bits) to {bits}, got {m!r}")
        if max_probes is not None and not (isinstance(max_probes, int) and max_probes >= 0):
            raise InputError(f"mih: max_probes must be a non-negative integer, got {max_probes!r}")
        self.m = m
        self.max_probes = max_probes
        self._tables: dict[str, np.ndarray] | None = None
        self.last_probes = np.zeros(0, np.int64)
        self.last_fell_back = np.zeros(0, bool)

    def params(self) -> dict[str, Any]:
        return {"m": self.m, "max_probes": self.max_probes}

    def sync(self, words: np.ndarray, n_unchanged: int) -> None:
        """Rebuild every table (O(n + Σ 2^ℓ) with direct tables)."""
        n = len(words)
        m = self.m if self.m is not None else default_m(self.bits, n)
        sub_start, sub_length = substring_layout(self.bits, m)
        index_dtype = np.int32 if n < 2**31 else np.int64
        members = np.empty((m, n), index_dtype)
        direct = np.zeros(m, np.bool_)
        starts, keys = [], []
        for i in range(m):
            values = _substrings(words, sub_start[i], sub_length[i])
            length = int(sub_length[i])
            direct[i] = (length <= _DIRECT_MAX_BITS
                         and 2**length <= max(2**16, _DIRECT_PER_CODE * n))
            if direct[i]:
                starts.append(_group_by_value(values, 2**length, members[i]))
                keys.append(np.zeros(0, np.uint64))
            else:
                order = np.argsort(values, kind="stable")
                members[i] = order
                distinct, first = np.unique(values[order], return_index=True)
                starts.append(np.append(first, n).astype(index_dtype))
                keys.append(distinct.astype(np.uint64))
        self._tables = {
            "sub_start": sub_start, "sub_length": sub_length, **_word_masks(sub_start, sub_length),
            "probes_before": _probes_before(sub_length),
            "direct": direct,
            "starts": np.concatenate(starts),
            "starts_offset": np.concatenate([[0], np.cumsum([len(s) for s in starts])]),
            "keys": np.concatenate(keys),
            "keys_offset": np.concatenate([[0], np.cumsum([len(k) for k in keys])]),
            "members": members,
            # each table's codes in its order: a bucket's codes are read contiguously
            "table_words": np.stack([words[order] for order in members]),
        }

    def _probe_budget(self, n: int) -> int:
        return self.max_probes if self.max_probes is not None else max(256, n // _PROBE_COST)

    def _tables_tuple(self) -> tuple[np.ndarray, ...]:
        t = self._tables
        return tuple(t[name] for name in _TABLE_FIELDS)

    def search(self, words: np.ndarray, queries: np.ndarray, k: int,
               threads: int) -> tuple[np.ndarray, np.ndarray]:
        n_query = len(queries)
        distances = np.empty((n_query, k), np.int32)
        positions = np.empty((n_query, k), np.int64)
        self.last_probes = np.zeros(n_query, np.int64)
        self.last_fell_back = np.zeros(n_query, np.bool_)
        with numba_threads(threads if n_query >= _PARALLEL_FROM else 1):
            _search_queries(queries, k, self.bits, self._probe_budget(len(words)), distances,
                            positions, self.last_probes, self.last_fell_back,
                            self._tables_tuple())
        if self.last_fell_back.any():
            rows = np.flatnonzero(self.last_fell_back)
            distances[rows], positions[rows] = flat_search(words, queries[rows], k, self.bits,
                                                           threads)
        return distances, positions

    def range_search(self, words: np.ndarray, queries: np.ndarray, radius: int,
                     threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n_query = len(queries)
        args = (queries, radius, self._probe_budget(len(words)))
        kernel_threads = threads if n_query >= _PARALLEL_FROM else 1
        counts = np.zeros(n_query, np.int64)  # pass 1: how many, or -1 (over budget)
        with numba_threads(kernel_threads):
            _range_queries(*args, counts, np.zeros(0, np.int64), np.zeros(0, np.int32),
                           np.zeros(0, np.int64), self._tables_tuple())
        fell_back = counts < 0
        sizes = counts.copy()
        if fell_back.any():
            scanned = flat_range_search(words, queries[fell_back], radius, self.bits, threads)
            sizes[fell_back] = np.diff(scanned[0])
        lims = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        out_d = np.empty(lims[-1], np.int32)
        out_pos = np.empty(lims[-1], np.int64)
        with numba_threads(kernel_threads):  # pass 2 skips the queries marked -1
            _range_queries(*args, counts, lims, out_d, out_pos, self._tables_tuple())
        for row, q in enumerate(np.flatnonzero(fell_back)):
            lo, hi = scanned[0][row], scanned[0][row + 1]
            out_d[lims[q]:lims[q + 1]] = scanned[1][lo:hi]
            out_pos[lims[q]:lims[q + 1]] = scanned[2][lo:hi]
        self.last_fell_back = fell_back
        return lims, out_d, out_pos

    def memory_bytes(self) -> int:
        if self._tables is None:
            return 0
        return sum(a.nbytes for a in self._tables.values())

    def describe(self) -> dict[str, Any]:
        if self._tables is None:
            return {}
        return {"substrings": len(self._tables["sub_length"]),
                "substring_bits": self._tables["sub_length"].tolist(),
                "tables_by_value": int(self._tables["direct"].sum())}
