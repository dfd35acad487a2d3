"""Slow, obviously correct Hamming search: unpack the XOR, count the ones, stable sort."""

from __future__ import annotations

import numpy as np

INT32_MAX = np.iinfo(np.int32).max


def distance_matrix(db_packed: np.ndarray, query_packed: np.ndarray) -> np.ndarray:
    """(n_query, n_db) Hamming distances of LSB-first packed codes."""
    xor = np.bitwise_xor(query_packed[:, None, :], db_packed[None, :, :])
    return np.unpackbits(xor, axis=2).sum(axis=2).astype(np.int64)


def knn(db_packed: np.ndarray, ids: np.ndarray, query_packed: np.ndarray,
        k: int) -> tuple[np.ndarray, np.ndarray]:
    """k nearest by distance, ties by position; padded with (INT32_MAX, -1)."""
    distances = np.full((len(query_packed), k), INT32_MAX, np.int64)
    found = np.full((len(query_packed), k), -1, np.int64)
    if len(db_packed):
        d = distance_matrix(db_packed, query_packed)
        for q in range(len(query_packed)):
            order = np.argsort(d[q], kind="stable")[:k]
            distances[q, :len(order)] = d[q, order]
            found[q, :len(order)] = ids[order]
    return distances, found


def within(db_packed: np.ndarray, ids: np.ndarray, query_packed: np.ndarray,
           radius: int) -> list[list[tuple[int, int]]]:
    """Per query, (distance, id) of every code within ``radius``, by distance then position."""
    if not len(db_packed):
        return [[] for _ in query_packed]
    d = distance_matrix(db_packed, query_packed)
    results = []
    for q in range(len(query_packed)):
        order = np.argsort(d[q], kind="stable")
        results.append([(int(d[q, j]), int(ids[j])) for j in order if d[q, j] <= radius])
    return results
