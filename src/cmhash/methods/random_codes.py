"""Random codes: the chance floor every method must beat.

Each encoded row gets bits drawn independently of its content from a generator seeded with
(the fit's seed ``random_state_``, modality, number of rows), so the ranking carries no
information and mAP equals, in expectation, the fraction of relevant database items.
"""

from __future__ import annotations

import numpy as np

from cmhash.methods.base import HashingMethod


class RandomCodes(HashingMethod):
    """Codes independent of the input."""

    name = "random"

    def _fit(self, image, text, labels, context):
        pass

    def _project(self, x: np.ndarray, modality: str) -> np.ndarray:
        seed = [self.random_state_, modality == "text", len(x)]
        return np.random.default_rng(seed).standard_normal((len(x), self.bits))
