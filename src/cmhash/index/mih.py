"""``mih``: exact multi-index hashing (Norouzi, Punjani & Fleet, "Fast search in Hamming space
with multi-index hashing", CVPR 2012; "Fast exact search in Hamming space with multi-index
hashing", TPAMI 2014).

Each code is split into m disjoint substrings of consecutive bits (lengths ℓ_i differ by at most
one: the first ``bits mod m`` are one bit longer).  Table i maps the value of substring i to the
positions of the codes that have it: positions grouped by value (CSR), found through an array
indexed by the value where 2^ℓ_i is small, else by binary search in the sorted distinct values.

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

A code can be found in several tables; found codes are kept as sorted keys
``distance << 40 | position``, deduplicated whenever the buffer is compacted.  When a query
would need more lookups than a scan of the database costs (``max_probes``; codes far from all
others, or too small a database), it is answered by the ``flat`` scan instead — same answer.

m: the paper's rule m ≈ bits / log2(n) (substrings of about log2(n) bits, so that each table
holds about one code per value) unless given.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from cmhash.codes._words import WORD_BITS, row_distance
from cmhash.errors import InputError
from cmhash.index.backend import Backend
from cmhash.index.flat import flat_range_search, flat_search
from cmhash.index.selection import write_top_k

_POSITION_BITS = np.uint64(40)  # a found code's key: distance << 40 | position
_POSITION_MASK = (np.uint64(1) << _POSITION_BITS) - np.uint64(1)
_DIRECT_MAX_BITS = 24  # a table indexed by value has at most 2^24 + 1 entries...
_DIRECT_PER_CODE = 8  # ...and at most 8 per code (else the sorted distinct values are searched)
_PROBE_COST = 256  # codes a scan checks in the time of one table lookup (order of magnitude)


def default_m(bits: int, n: int) -> int:
    """The paper's rule: m = bits / log2(n), rounded, with substrings of 4 to 64 bits."""
    m = round(bits / math.log2(max(n, 2)))
    return int(min(max(m, -(-bits // WORD_BITS), 1), max(1, bits // 4)))


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
    values = np.empty(words.shape[0], np.uint64)
    for j in range(words.shape[0]):
        values[j] = _substring(words[j], start, length)
    return values


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
def _compact(found, n_found, keep, tau):
    """Sort and deduplicate the found keys, keep the ``keep`` best; returns (count, tau) with
    tau lowered to the keep-th distance once ``keep`` codes are held."""
    found[:n_found] = np.sort(found[:n_found])
    n = 0
    for i in range(n_found):
        if (n == 0 or found[i] != found[n - 1]) and n < keep:
            found[n] = found[i]
            n += 1
    if n == keep:
        tau = min(tau, np.int64(found[keep - 1] >> _POSITION_BITS))
    return n, tau


@numba.njit(cache=True, nogil=True)
def _probe_query(query, words, sub_start, sub_length, direct, starts, starts_offset, keys,
                 keys_offset, members, binomial, keep, tau, max_probes):
    """Found codes of one query, by steps of growing radius until the answer is certain.

    Keeps at most ``keep`` codes with distance ≤ ``tau`` (k-nearest: keep = k, tau = bits;
    range: keep = n, tau = radius).  Returns (keys, count, probes); count = -1 if the search
    would need more than ``max_probes`` lookups.
    """
    m = sub_start.shape[0]
    n_db = words.shape[0]
    query_sub = np.empty(m, np.uint64)
    for i in range(m):
        query_sub[i] = _substring(query, sub_start[i], sub_length[i])
    found = np.empty(min(2 * keep + 64, 4096), np.uint64)
    n_found = 0
    probes = 0
    t = 0
    while t // m <= sub_length.max():
        i = t % m
        rho = t // m
        length = sub_length[i]
        if rho <= length:
            count = binomial[length, rho]
            probes += count
            if probes > max_probes:
                return found, -1, probes
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
                for position in members[i, lo:hi]:
                    d = row_distance(query, words[position])
                    if d <= tau:
                        if n_found == found.shape[0]:
                            n_found, tau = _compact(found, n_found, keep, tau)
                            if n_found > found.shape[0] // 2:
                                grown = np.empty(2 * found.shape[0], np.uint64)
                                grown[:n_found] = found[:n_found]
                                found = grown
                        if d <= tau:
                            found[n_found] = (np.uint64(d) << _POSITION_BITS) | np.uint64(
                                position)
                            n_found += 1
                if c + 1 < count:  # next ρ-subset of the ℓ bits (Gosper's hack)
                    lowest = mask & (~mask + np.uint64(1))
                    ripple = mask + lowest
                    mask = (((ripple ^ mask) >> np.uint64(2)) // lowest) | ripple
        n_found, tau = _compact(found, n_found, keep, tau)
        if t >= tau or n_found == n_db:
            break
        t += 1
    return found, n_found, probes


@numba.njit(parallel=True, cache=True)
def _search_kernel(queries, words, k, n_bits, sub_start, sub_length, direct, starts,
                   starts_offset, keys, keys_offset, members, binomial, max_probes):
    n_query = queries.shape[0]
    keep = min(k, words.shape[0])
    out_d = np.empty((n_query, k), np.int32)
    out_pos = np.empty((n_query, k), np.int64)
    probes = np.zeros(n_query, np.int64)
    fell_back = np.zeros(n_query, np.bool_)
    for q in numba.prange(n_query):
        found, n, query_probes = _probe_query(queries[q], words, sub_start, sub_length, direct,
                                              starts, starts_offset, keys, keys_offset,
                                              members, binomial, keep, n_bits, max_probes)
        probes[q] = query_probes
        if n < 0:
            fell_back[q] = True
            continue
        distances = (found[:n] >> _POSITION_BITS).astype(np.int32)
        positions = (found[:n] & _POSITION_MASK).astype(np.int64)
        write_top_k(distances, positions, n, k, np.empty(n_bits + 2, np.int64), out_d[q],
                    out_pos[q])
    return out_d, out_pos, probes, fell_back


@numba.njit(parallel=True, cache=True)
def _range_kernel(queries, words, radius, sub_start, sub_length, direct, starts,
                  starts_offset, keys, keys_offset, members, binomial, max_probes, lims,
                  out_d, out_pos):
    """Counts per query (``lims`` empty) or results written from ``lims[q]`` on, sorted."""
    n_query = queries.shape[0]
    counts = np.zeros(n_query, np.int64)
    for q in numba.prange(n_query):
        found, n, _ = _probe_query(queries[q], words, sub_start, sub_length, direct, starts,
                                   starts_offset, keys, keys_offset, members, binomial,
                                   words.shape[0], radius, max_probes)
        counts[q] = n
        if n > 0 and lims.shape[0] > 0:
            # sorted keys: by distance, then position
            out_d[lims[q]:lims[q] + n] = (found[:n] >> _POSITION_BITS).astype(np.int32)
            out_pos[lims[q]:lims[q] + n] = (found[:n] & _POSITION_MASK).astype(np.int64)
    return counts


class MIHBackend(Backend):
    """Exact multi-index hashing; ``m`` substrings (default: the paper's rule at build time),
    ``max_probes`` lookups per query before it is scanned instead (default: n / 256)."""

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
        self._binomial = np.array([[math.comb(n, r) for r in range(WORD_BITS + 1)]
                                   for n in range(WORD_BITS + 1)], np.int64)
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
            "sub_start": sub_start, "sub_length": sub_length, "direct": direct,
            "starts": np.concatenate(starts),
            "starts_offset": np.concatenate([[0], np.cumsum([len(s) for s in starts])]),
            "keys": np.concatenate(keys),
            "keys_offset": np.concatenate([[0], np.cumsum([len(k) for k in keys])]),
            "members": members,
        }

    def _probe_budget(self, n: int) -> int:
        return self.max_probes if self.max_probes is not None else max(256, n // _PROBE_COST)

    def _tables_args(self) -> tuple[np.ndarray, ...]:
        t = self._tables
        return (t["sub_start"], t["sub_length"], t["direct"], t["starts"], t["starts_offset"],
                t["keys"], t["keys_offset"], t["members"], self._binomial)

    def search(self, words: np.ndarray, queries: np.ndarray, k: int,
               threads: int) -> tuple[np.ndarray, np.ndarray]:
        distances, positions, self.last_probes, self.last_fell_back = _search_kernel(
            queries, words, k, self.bits, *self._tables_args(), self._probe_budget(len(words)))
        if self.last_fell_back.any():
            rows = np.flatnonzero(self.last_fell_back)
            distances[rows], positions[rows] = flat_search(words, queries[rows], k, self.bits,
                                                           threads)
        return distances, positions

    def range_search(self, words: np.ndarray, queries: np.ndarray, radius: int,
                     threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        budget = self._probe_budget(len(words))
        no_lims = np.zeros(0, np.int64)
        counts = _range_kernel(queries, words, radius, *self._tables_args(), budget, no_lims,
                               np.zeros(0, np.int32), np.zeros(0, np.int64))
        fell_back = counts < 0
        scanned = None
        if fell_back.any():
            scanned = flat_range_search(words, queries[fell_back], radius, self.bits, threads)
            counts[fell_back] = np.diff(scanned[0])
        lims = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        out_d = np.empty(lims[-1], np.int32)
        out_pos = np.empty(lims[-1], np.int64)
        _range_kernel(queries, words, radius, *self._tables_args(), budget, lims, out_d,
                      out_pos)
        if scanned is not None:
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
