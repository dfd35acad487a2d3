"""Slow, obviously correct metric definitions: one query at a time, an explicit stable sort.

Queries without a relevant item are left out of every mean except map_calc_k's, which divides by
all queries; with no relevant item for any query, no metric is defined (ValueError).
"""

from __future__ import annotations

import numpy as np


def ranking(query_signs: np.ndarray, db_signs: np.ndarray) -> np.ndarray:
    """Database order for one query: Hamming distance (bits - q·r)/2, ties by position."""
    distance = (db_signs.shape[1] - db_signs.astype(np.int64) @ query_signs.astype(np.int64)) // 2
    return np.argsort(distance, kind="stable")


def per_query(q_signs, db_signs, q_labels, db_labels):
    """Yield, per query, the relevance of the ranked database (bool array)."""
    for i in range(len(q_signs)):
        order = ranking(q_signs[i], db_signs)
        yield (db_labels[order] @ q_labels[i] > 0)


def metric(name: str, q_signs, db_signs, q_labels, db_labels) -> float:
    kind, _, k_text = name.partition("@")
    k = int(k_text) if k_text else None
    values = []
    n_query = len(q_signs)
    for rel in per_query(q_signs, db_signs, q_labels, db_labels):
        n_rel = int(rel.sum())
        if n_rel == 0:
            continue
        positions = np.flatnonzero(rel) + 1  # ranks of relevant items
        precisions = np.arange(1, n_rel + 1) / positions
        if kind == "map" and k is None:
            values.append(precisions.mean())
        elif kind == "map":
            top = rel[:k]
            found = 0
            total = 0.0
            for r in range(len(top)):
                if top[r]:
                    found += 1
                    total += found / (r + 1)
            values.append(total / found if found else 0.0)
        elif kind == "map_calc_k":
            take = n_rel if k is None else min(k, n_rel)
            values.append(precisions[:take].mean())
        elif kind == "p":
            values.append(rel[:k].sum() / min(k, len(rel)))
        elif kind == "r":
            values.append(rel[:k].sum() / n_rel)
        else:
            raise ValueError(name)
    if not values:  # no query has a relevant item: no metric is defined (cmhash raises too)
        raise ValueError("no query has a relevant item")
    if kind == "map_calc_k":
        return float(np.sum(values) / n_query)
    return float(np.mean(values))


def pr_radius(q_signs, db_signs, q_labels, db_labels):
    bits = q_signs.shape[1]
    precision_sum = np.zeros(bits + 1)
    precision_n = np.zeros(bits + 1)
    recall_sum = np.zeros(bits + 1)
    n = 0
    for i in range(len(q_signs)):
        rel = db_labels @ q_labels[i] > 0
        if not rel.any():
            continue
        n += 1
        distance = (bits - db_signs.astype(np.int64) @ q_signs[i].astype(np.int64)) // 2
        for r in range(bits + 1):
            inside = distance <= r
            if inside.any():
                precision_sum[r] += rel[inside].mean()
                precision_n[r] += 1
            recall_sum[r] += rel[inside].sum() / rel.sum()
    precision = np.divide(precision_sum, precision_n, out=np.zeros(bits + 1),
                          where=precision_n > 0)
    return precision, recall_sum / n
