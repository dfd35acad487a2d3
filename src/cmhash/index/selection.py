"""Top-k selection by counting: Hamming distances are small integers (0..bits), so choosing and
ordering the k nearest needs a histogram of distances, never a comparison sort.

Order: by distance, ties by insertion order (database position).  Every exact backend returns
exactly this order.

A scan keeps, per query, a buffer of accepted ``(distance, position)`` pairs in position order
and a bound ``tau``: an item is accepted only if its distance is below ``tau``.  When the buffer
is full it is shrunk to the k best (:func:`shrink`): a histogram of its distances gives the
smallest distance ``t`` with at least k items at or below it; items below ``t`` are kept, then
the earliest items at ``t`` up to k in all.  After that the bound is ``t``: a later item at
distance ``t`` comes after k items that are at least as near, so it can never enter the top k.

Compiled helpers for the numba kernels of the backends.
"""

from __future__ import annotations

import numba
import numpy as np

MISSING_DISTANCE = np.iinfo(np.int32).max  # distance reported where fewer than k items exist
MISSING_ID = -1  # id reported where fewer than k items exist


@numba.njit(cache=True)
def buffer_capacity(k: int, n: int) -> int:
    """Entries of a scan's per-query buffer for ``n`` items: room for 2k + 32, at most ``n``
    (then it never fills before the last item)."""
    return min(2 * k + 32, n)


@numba.njit(cache=True)
def shrink(distances, positions, fill, k, histogram):
    """Keep the k best of the first ``fill`` buffer entries (in buffer order) in place.

    ``histogram`` is scratch of ``bits + 1`` entries.  Returns ``(new_fill, tau)``: the number
    kept and the bound for later items (accept only ``distance < tau``).  With ``fill <= k``
    nothing is dropped and ``tau`` is ``len(histogram)`` (accept everything).
    """
    if fill <= k:
        return fill, histogram.shape[0]
    histogram[:] = 0
    for i in range(fill):
        histogram[distances[i]] += 1
    t = 0
    below = 0  # items nearer than t
    while below + histogram[t] < k:
        below += histogram[t]
        t += 1
    quota = k - below  # items at distance t that are kept, the earliest ones
    kept = 0
    for i in range(fill):
        d = distances[i]
        if d < t or (d == t and quota > 0):
            if d == t:
                quota -= 1
            distances[kept] = d
            positions[kept] = positions[i]
            kept += 1
    return kept, t


@numba.njit(cache=True)
def order_by_distance(distances, n, histogram):
    """Indices of the first ``n`` entries sorted by distance, ties kept in entry order (a
    counting sort).  ``histogram`` is scratch of ``bits + 2`` entries."""
    histogram[:] = 0
    for i in range(n):
        histogram[distances[i] + 1] += 1
    for d in range(1, histogram.shape[0]):
        histogram[d] += histogram[d - 1]
    order = np.empty(n, np.int64)
    for i in range(n):
        d = distances[i]
        order[histogram[d]] = i
        histogram[d] += 1
    return order


@numba.njit(cache=True)
def write_top_k(distances, positions, n, k, histogram, out_distances, out_positions):
    """Write the k best of ``n`` candidates (given in position order, or any order whose ties
    are already in position order) to one output row, padding with the missing markers."""
    order = order_by_distance(distances, n, histogram)
    for r in range(k):
        if r < n:
            out_distances[r] = distances[order[r]]
            out_positions[r] = positions[order[r]]
        else:
            out_distances[r] = MISSING_DISTANCE
            out_positions[r] = MISSING_ID
