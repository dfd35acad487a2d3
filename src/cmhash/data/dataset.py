"""The in-memory types every reader produces: :class:`PairedDataset` and :class:`Split`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cmhash.errors import InputError
from cmhash.utils.validation import check_features, check_labels, check_same_rows


@dataclass(frozen=True)
class Split:
    """Index arrays into a dataset, and how they were made.

    Attributes
    ----------
    train, query, database : ndarray of int64
        Row indices of the training pairs, the query pairs and the retrieval database.
    protocol : str
        The named protocol that made the split.
    seed : int or None
        The split seed (``None`` for deterministic protocols).
    database_contains_train : bool or None
        Whether every training pair is also in the database (``None``: unknown, e.g. when
        the files hold train and database as separate rows).
    """

    train: np.ndarray
    query: np.ndarray
    database: np.ndarray
    protocol: str
    seed: int | None = None
    database_contains_train: bool | None = None

    def __post_init__(self) -> None:
        for name in ("train", "query", "database"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.int64))
        if len(self.query) == 0:
            raise InputError(f"split {self.protocol!r} has an empty query set")
        if len(self.database) == 0:
            raise InputError(f"split {self.protocol!r} has an empty database")

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "query": len(self.query),
                "database": len(self.database)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (sizes, not indices)."""
        return {"protocol": self.protocol, "seed": self.seed,
                "database_contains_train": self.database_contains_train, **self.sizes()}


@dataclass
class PairedDataset:
    """``n`` aligned image–text pairs with multi-hot labels.

    Every per-pair field has ``n`` rows (or is ``None``/empty when the source lacks it).

    Attributes
    ----------
    name : str
    ids : list of str
    labels : ndarray of shape (n, n_labels), dtype=uint8, or None
    label_names : list of str or None
    image_paths : list of str or None
        Absolute paths of the image files (a file may be absent on disk).
    image_features : dict of str → ndarray of shape (n, d)
        Pre-extracted image features, by extractor name.
    texts : list of str or None
        Raw text of each pair (tags joined by spaces, or a caption).
    text_features : dict of str → ndarray of shape (n, d)
        Text features by name, e.g. ``"bow"`` (binary bag of words over ``vocabulary``).
    vocabulary : list of str or None
        The words of the ``"bow"`` columns.
    vocabulary_vectors : ndarray of shape (len(vocabulary), d) or None
        Word vectors shipped with the dataset, one row per vocabulary word (zeros if none).
    image_pixels : ndarray of shape (n, H, W, C), dtype=uint8, or None
        Raw images stored inside a data file (DCMH-style ``IAll``).
    presplit : Split or None
        The split stored in the files, where the format has one.
    """

    name: str
    ids: list[str]
    labels: np.ndarray | None = None
    label_names: list[str] | None = None
    image_paths: list[str] | None = None
    image_features: dict[str, np.ndarray] = field(default_factory=dict)
    texts: list[str] | None = None
    text_features: dict[str, np.ndarray] = field(default_factory=dict)
    vocabulary: list[str] | None = None
    vocabulary_vectors: np.ndarray | None = None
    image_pixels: np.ndarray | None = None
    presplit: Split | None = None

    def __post_init__(self) -> None:
        columns: dict[str, Any] = {
            "ids": self.ids, "labels": self.labels, "image_paths": self.image_paths,
            "texts": self.texts, "image_pixels": self.image_pixels,
        }
        columns |= {f"image feature {k!r}": v for k, v in self.image_features.items()}
        columns |= {f"text feature {k!r}": v for k, v in self.text_features.items()}
        n = check_same_rows(columns, f"dataset {self.name!r}")
        if self.labels is not None:
            self.labels = check_labels(self.labels, f"dataset {self.name!r} labels", n)
            if self.label_names is not None and len(self.label_names) != self.labels.shape[1]:
                raise InputError(f"dataset {self.name!r}: {len(self.label_names)} label names "
                                 f"for {self.labels.shape[1]} label columns")
        bow = self.text_features.get("bow")
        if bow is not None and self.vocabulary is not None and bow.shape[1] != len(
                self.vocabulary):
            raise InputError(f"dataset {self.name!r}: bag of words has {bow.shape[1]} columns "
                             f"for a vocabulary of {len(self.vocabulary)} words")
        vectors = self.vocabulary_vectors
        if vectors is not None and (self.vocabulary is None or len(vectors) != len(
                self.vocabulary)):
            raise InputError(f"dataset {self.name!r}: {len(vectors)} vocabulary vectors for "
                             f"{len(self.vocabulary or ())} vocabulary words")

    def __len__(self) -> int:
        return len(self.ids)

    def require_labels(self, why: str) -> np.ndarray:
        """The label matrix; an error if the dataset has none or a row is all zeros."""
        if self.labels is None:
            raise InputError(f"dataset {self.name!r} has no labels, which {why} needs")
        return self.labels

    def image_feature(self, name: str | None = None) -> np.ndarray:
        """The image feature matrix called ``name`` (or the only one), checked finite."""
        return _pick_feature(self.image_features, name, f"dataset {self.name!r} image")

    def text_feature(self, name: str | None = None) -> np.ndarray:
        """The text feature matrix called ``name`` (or the only one), checked finite."""
        return _pick_feature(self.text_features, name, f"dataset {self.name!r} text")

    def label_texts(self) -> list[str]:
        """The names of each pair's labels joined by spaces (MATH's label text), e.g.
        "female people portrait sky structures"."""
        labels = self.require_labels("a label text")
        if self.label_names is None:
            raise InputError(f"dataset {self.name!r} has no label names for a label text")
        return [" ".join(self.label_names[j] for j in np.flatnonzero(row)) for row in labels]

    def images_present(self) -> int:
        """How many of ``image_paths`` exist on disk."""
        return sum(Path(p).is_file() for p in self.image_paths or ())


def _pick_feature(features: dict[str, np.ndarray], name: str | None, what: str) -> np.ndarray:
    if not features:
        raise InputError(f"{what} features: none stored (extract features first)")
    if name is None:
        if len(features) > 1:
            raise InputError(f"{what} features: choose one of {', '.join(features)}")
        name = next(iter(features))
    if name not in features:
        raise InputError(f"{what} feature {name!r} not found; available: {', '.join(features)}")
    return check_features(features[name], f"{what} feature {name!r}")
