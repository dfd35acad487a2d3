"""Supervised linear hash: ridge regression from kernel features to label-derived codes.

Target codes come from the labels alone: with ℓ̂ the L2-normalised label row and μ its training
mean, B = sign((ℓ̂ − μ) G) for a Gaussian G ∈ R^{C×bits} (random hyperplanes over the label
space, so pairs with similar label sets get close codes).  Each modality then regresses onto B:
P_m = (φ_mᵀφ_m + λI)⁻¹ φ_mᵀ B, and codes are sign(φ_m(x) P_m).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from cmhash.inputs import InputSpec
from cmhash.methods._kernel_features import KernelLinearHash
from cmhash.methods.base import ParameterTable
from cmhash.utils.validation import Interval


def label_codes(labels: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    """±1 target codes (n, bits) from multi-hot labels (n, C), as in the module docstring."""
    normalised = labels / np.linalg.norm(labels, axis=1, keepdims=True)
    centred = normalised - normalised.mean(axis=0)
    return np.where(centred @ rng.standard_normal((labels.shape[1], bits)) >= 0, 1.0, -1.0)


class RidgeHash(KernelLinearHash):
    """Supervised: ridge regression of each modality onto label-derived codes."""

    name = "ridge_hash"
    input_spec = InputSpec(labels=True)
    _parameter_constraints: ClassVar[ParameterTable] = {**KernelLinearHash._parameter_constraints,
                              "ridge": [Interval(float, 0, closed="neither")]}  # λ > 0

    def __init__(self, bits: int = 64, *, n_anchors: int = 1000, ridge: float = 0.01,
                 random_state: int | None = None) -> None:
        self._store_params(locals())

    def _learn_projections(self, phi_image, phi_text, labels, rng):
        targets = label_codes(labels.astype(np.float64), self.bits, rng)
        return tuple(
            np.linalg.solve(phi.T @ phi + self.ridge * np.eye(phi.shape[1]), phi.T @ targets)
            for phi in (phi_image, phi_text))
