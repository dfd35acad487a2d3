"""CCA-ITQ (Gong, Lazebnik, Gordo & Perronnin, TPAMI 2013): unsupervised cross-modal hashing.

1. Kernel features φ_I, φ_T of both modalities (centred).
2. Regularised CCA: with C_II = φ_Iᵀφ_I/n + rI, C_TT likewise and C_IT = φ_Iᵀφ_T/n, the
   whitened cross-covariance M = C_II^{-1/2} C_IT C_TT^{-1/2} = U S Vᵀ gives the directions
   W_I = C_II^{-1/2} U_k and W_T = C_TT^{-1/2} V_k (k = bits), each column scaled by s^p.
3. ITQ on the common space V = [φ_I W_I; φ_T W_T]: alternate B = sign(V R) and the orthogonal
   Procrustes step R = Ŵ Ûᵀ with Û Σ Ŵᵀ = svd(Bᵀ V), minimising ‖B − V R‖²_F.
4. Codes: sign(φ_m(x) W_m R).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from cmhash.errors import InputError
from cmhash.methods._kernel_features import KernelLinearHash
from cmhash.methods.base import ParameterTable
from cmhash.utils.validation import Interval


def _inverse_sqrt(covariance: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(covariance)
    return (vectors / np.sqrt(np.maximum(values, 1e-12))) @ vectors.T


def itq_rotation(v: np.ndarray, n_iter: int, rng: np.random.Generator) -> np.ndarray:
    """The orthogonal R minimising ‖sign(V R) − V R‖²_F, from a random orthogonal start."""
    rotation, _ = np.linalg.qr(rng.standard_normal((v.shape[1], v.shape[1])))
    for _ in range(n_iter):
        b = np.where(v @ rotation >= 0, 1.0, -1.0)
        u, _, wt = np.linalg.svd(b.T @ v)
        rotation = wt.T @ u.T
    return rotation


class CCAITQ(KernelLinearHash):
    """Unsupervised CCA + iterative quantisation (see the module docstring)."""

    name = "cca_itq"
    _parameter_constraints: ClassVar[ParameterTable] = {
        **KernelLinearHash._parameter_constraints,
        "regularization": [Interval(float, 0)],  # r of C + rI
        "eigenvalue_power": [Interval(float)],   # p of s^p; 0: no scaling
        "n_iter": [Interval(int, 0)],            # ITQ iterations; 0: the random rotation
    }

    def __init__(self, bits: int = 64, *, n_anchors: int = 1000, regularization: float = 1e-3,
                 eigenvalue_power: float = 1.0, n_iter: int = 50,
                 random_state: int | None = None) -> None:
        self._store_params(locals())

    def _learn_projections(self, phi_image, phi_text, labels, rng):
        n = len(phi_image)
        if self.bits > min(phi_image.shape[1], phi_text.shape[1]):
            raise InputError(f"cca_itq: {self.bits} bits need at least that many kernel "
                             f"features per modality, got {phi_image.shape[1]} and "
                             f"{phi_text.shape[1]}")
        r = self.regularization
        whiten_i = _inverse_sqrt(phi_image.T @ phi_image / n + r * np.eye(phi_image.shape[1]))
        whiten_t = _inverse_sqrt(phi_text.T @ phi_text / n + r * np.eye(phi_text.shape[1]))
        u, s, vt = np.linalg.svd(whiten_i @ (phi_image.T @ phi_text / n) @ whiten_t)
        scale = s[: self.bits] ** self.eigenvalue_power
        w_image = whiten_i @ u[:, : self.bits] * scale
        w_text = whiten_t @ vt.T[:, : self.bits] * scale
        common = np.concatenate([phi_image @ w_image, phi_text @ w_text])
        rotation = itq_rotation(common, self.n_iter, rng)
        return w_image @ rotation, w_text @ rotation
