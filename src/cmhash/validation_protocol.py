"""The validation protocol of `cmhash run`, for studies that score models without the test
queries.

A deep method selects its epoch on pairs held out of the training pairs
(:func:`cmhash.data.carve_validation`, seeded with the run's seed): the held-out pairs are the
validation queries, the method trains on the others, and the queries are ranked against the
first ``database_size`` of those training pairs (token methods: 3,000,
:attr:`~cmhash.methods.token_base.TokenHashingMethod.validation_database_size`; ``None``: all of
them).  :func:`validation_split` gives these three row sets for a test split, so that a study
scores exactly what `cmhash run` selects on; :meth:`ValidationSplit.cross_modal_map` scores
codes of them in both directions.

Example: MIRFlickr under protocol ``mirflickr`` (10,000 training pairs) with 1,000 held out,
seed 0, database 3,000 gives 9,000 ``fit`` rows, 1,000 ``queries`` and ``database`` =
``fit[:3000]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from cmhash.codes import Codes
from cmhash.data import Split, carve_validation
from cmhash.errors import InputError
from cmhash.metrics import mean_average_precision


@dataclass(frozen=True)
class ValidationSplit:
    """Row indices (into the dataset) of one validation protocol.

    Attributes
    ----------
    fit : ndarray of shape (n_fit,), sorted
        The training pairs a method is fitted on (the test split's training pairs less the
        held-out ones).
    queries : ndarray of shape (n_validation,), sorted
        The held-out training pairs, used as validation queries.
    database : ndarray of shape (n_database,)
        What the queries are ranked against: the first ``database_size`` rows of ``fit``.
    """

    fit: np.ndarray
    queries: np.ndarray
    database: np.ndarray

    def cross_modal_map(self, query_codes: Mapping[str, Codes],
                        database_codes: Mapping[str, Codes],
                        labels: np.ndarray) -> tuple[float, float]:
        """(image→text, text→image) `map` of the validation queries against the database.

        Parameters
        ----------
        query_codes, database_codes : {"image": Codes, "text": Codes}
            Codes of the ``queries`` rows and of the ``database`` rows, in that order.
        labels : ndarray of shape (n_items, n_labels)
            The dataset's labels (indexed here by the rows).
        """
        for name, codes, rows in (("query", query_codes, self.queries),
                                  ("database", database_codes, self.database)):
            for modality in ("image", "text"):
                if modality not in codes:
                    raise InputError(f"{name} codes: no {modality} codes given")
                if len(codes[modality]) != len(rows):
                    raise InputError(f"{name} {modality} codes have {len(codes[modality])} "
                                     f"rows, the validation split has {len(rows)}")
        query_labels, database_labels = labels[self.queries], labels[self.database]
        i2t = mean_average_precision(query_codes["image"], database_codes["text"],
                                     query_labels, database_labels)
        t2i = mean_average_precision(query_codes["text"], database_codes["image"],
                                     query_labels, database_labels)
        return i2t, t2i


def validation_split(split: Split, n_validation: int, seed: int,
                     database_size: int | None = None) -> ValidationSplit:
    """The validation rows `cmhash run` uses for ``split`` (see the module docstring).

    Parameters
    ----------
    split : the test split whose training pairs are divided
    n_validation : pairs held out of ``split.train`` (between 1 and ``len(split.train) - 1``)
    seed : the run's seed (`cmhash run` carves with its ``seed``)
    database_size : rank against the first this many ``fit`` rows (``None``: all of them)
    """
    if database_size is not None and database_size < 1:
        raise InputError(f"validation database size must be at least 1, got {database_size}")
    fit, queries = carve_validation(split.train, n_validation, seed)
    return ValidationSplit(fit=fit, queries=queries, database=fit[:database_size])


__all__ = ["ValidationSplit", "validation_split"]
