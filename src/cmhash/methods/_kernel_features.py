"""Nonlinear feature map used by the shallow baselines: RBF kernel values to anchor points.

φ(x)_a = exp(−‖x − c_a‖² / (2σ²)) for anchors c_a drawn from the training rows, σ = the mean
distance between training rows and anchors, then centred by the training mean of φ.  This is
the usual input of shallow cross-modal hashing baselines (e.g. CMFH, SCM); it also lets a
low-dimensional feature (Wiki's 10-d LDA text) carry codes longer than its dimension.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.spatial.distance import cdist

from cmhash.errors import InputError
from cmhash.methods.base import FitContext, HashingMethod, ParameterTable
from cmhash.utils.validation import Interval


def fit_kernel_map(x: np.ndarray, n_anchors: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, float, np.ndarray]:
    """Return (anchors, sigma, mean of φ over ``x``)."""
    anchors = x[rng.choice(len(x), size=min(n_anchors, len(x)), replace=False)]
    sigma = float(cdist(x, anchors).mean()) or 1.0
    return anchors, sigma, _phi(x, anchors, sigma).mean(axis=0)


def _phi(x: np.ndarray, anchors: np.ndarray, sigma: float) -> np.ndarray:
    return np.exp(-cdist(x, anchors, "sqeuclidean") / (2 * sigma**2))


def kernel_features(x: np.ndarray, anchors: np.ndarray, sigma: float,
                    mean: np.ndarray) -> np.ndarray:
    """Centred RBF features φ(x) − mean, shape (n, n_anchors)."""
    return _phi(x, anchors, sigma) - mean


class KernelLinearHash(HashingMethod):
    """A method whose codes are sign(φ_m(x) P_m): a kernel map per modality, then a linear
    projection per modality.  Subclasses say how ``P_image`` and ``P_text`` are learned."""

    learned_arrays = ("image_anchors_", "image_sigma_", "image_mean_", "image_projection_",
                      "text_anchors_", "text_sigma_", "text_mean_", "text_projection_")
    _parameter_constraints: ClassVar[ParameterTable] = {**HashingMethod._parameter_constraints,
                              "n_anchors": [Interval(int, 1)]}
    normalisation: ClassVar[dict[str, str]] = {
        "image_sigma_": "RBF bandwidth σ of the image kernel map",
        "image_mean_": "training mean of the image kernel features φ (subtracted)",
        "text_sigma_": "RBF bandwidth σ of the text kernel map",
        "text_mean_": "training mean of the text kernel features φ (subtracted)"}

    def __init__(self, bits: int = 64, *, n_anchors: int = 1000,
                 random_state: int | None = None) -> None:
        self._store_params(locals())

    def validate_params(self) -> None:
        super().validate_params()
        if self.n_anchors < self.bits:
            raise InputError(f"method {self.name!r}: parameter 'n_anchors' must be at least "
                             f"bits ({self.bits}), got {self.n_anchors}")

    def _fit(self, image: np.ndarray, text: np.ndarray, labels: np.ndarray | None,
             context: FitContext) -> None:
        rng = np.random.default_rng(self.random_state_)
        phi = {}
        for modality, x in (("image", image), ("text", text)):
            anchors, sigma, mean = fit_kernel_map(x, self.n_anchors, rng)
            setattr(self, f"{modality}_anchors_", anchors)
            setattr(self, f"{modality}_sigma_", np.float64(sigma))
            setattr(self, f"{modality}_mean_", mean)
            phi[modality] = kernel_features(x, anchors, sigma, mean)
        self.image_projection_, self.text_projection_ = self._learn_projections(
            phi["image"], phi["text"], labels, rng)

    def _learn_projections(self, phi_image: np.ndarray, phi_text: np.ndarray,
                           labels: np.ndarray | None,
                           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _project(self, x: np.ndarray, modality: str) -> np.ndarray:
        anchors = getattr(self, f"{modality}_anchors_")
        if x.shape[1] != anchors.shape[1]:
            raise InputError(f"{modality} features have {x.shape[1]} columns, the model was "
                             f"fitted on {anchors.shape[1]}")
        phi = kernel_features(x, anchors, float(getattr(self, f"{modality}_sigma_")),
                              getattr(self, f"{modality}_mean_"))
        return phi @ getattr(self, f"{modality}_projection_")
