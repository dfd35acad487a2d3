"""Packed binary codes.

A code of ``bits`` bits is stored as ``bits // 8`` bytes, **least significant bit first**: bit
``j`` of a code is bit ``j % 8`` of byte ``j // 8`` (the order FAISS and MATLAB's ``compactbit``
use; ``numpy.packbits`` defaults to the other order).  Bit value 1 stands for +1 and 0 for -1.
The sign of exactly 0 maps to bit 1 (``zero="positive"``), unless a caller asks otherwise.

Hamming distance between two codes is ``popcount(a XOR b)``; for ±1 vectors it equals
``(bits - a·b) / 2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cmhash.errors import InputError
from cmhash.utils.validation import check_bits

ZeroPolicy = Literal["positive", "negative", "error"]


def binarize(values: np.ndarray, zero: ZeroPolicy = "positive") -> np.ndarray:
    """Map real values to bits: ``1`` where value > 0, ``0`` where value < 0.

    Parameters
    ----------
    values : ndarray of shape (n, bits)
        Real-valued outputs of a hashing network (or ±1 codes).
    zero : {"positive", "negative", "error"}
        What an exact 0 becomes: bit 1, bit 0, or an :class:`InputError`.

    Returns
    -------
    ndarray of shape (n, bits), dtype=uint8, values in {0, 1}
    """
    values = np.asarray(values)
    if zero == "error" and (values == 0).any():
        raise InputError(f"values of shape {values.shape} contain exact zeros")
    bits = values > 0 if zero == "negative" else values >= 0
    return bits.astype(np.uint8)


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """Pack an (n, bits) {0, 1} matrix into (n, bits // 8) uint8 bytes, LSB first."""
    bits = np.asarray(bits)
    if bits.ndim != 2:
        raise InputError(f"bits must be a 2-D matrix, got shape {bits.shape}")
    check_bits(bits.shape[1])
    return np.packbits(bits.astype(np.uint8, copy=False), axis=1, bitorder="little")


def unpack_bits(packed: np.ndarray, bits: int) -> np.ndarray:
    """Inverse of :func:`pack_bits`: (n, bits // 8) uint8 → (n, bits) {0, 1} uint8."""
    packed = np.asarray(packed)
    return np.unpackbits(packed, axis=1, count=bits, bitorder="little")


@dataclass(frozen=True)
class Codes:
    """``n`` binary codes of ``bits`` bits, packed LSB first.

    Attributes
    ----------
    packed : ndarray of shape (n, bits // 8), dtype=uint8
    bits : int
    """

    packed: np.ndarray
    bits: int

    def __post_init__(self) -> None:
        check_bits(self.bits)
        packed = self.packed
        if not isinstance(packed, np.ndarray) or packed.dtype != np.uint8:
            raise InputError(f"packed codes must be a uint8 array, got {type(packed).__name__}"
                             f" of dtype {getattr(packed, 'dtype', None)}")
        if packed.ndim != 2 or packed.shape[1] != self.bits // 8:
            raise InputError(f"packed codes must have shape (n, {self.bits // 8}) for "
                             f"bits={self.bits}, got {packed.shape}")

    @classmethod
    def from_real(cls, values: np.ndarray, zero: ZeroPolicy = "positive") -> Codes:
        """Codes from real values (signs) of shape (n, bits)."""
        values = np.asarray(values)
        return cls(pack_bits(binarize(values, zero)), values.shape[1])

    def to_bits(self) -> np.ndarray:
        """(n, bits) {0, 1} uint8."""
        return unpack_bits(self.packed, self.bits)

    def to_signs(self) -> np.ndarray:
        """(n, bits) {-1, +1} int8."""
        return (self.to_bits().astype(np.int8) * 2 - 1).astype(np.int8)

    def __len__(self) -> int:
        return self.packed.shape[0]

    def __getitem__(self, rows: slice | np.ndarray) -> Codes:
        return Codes(np.ascontiguousarray(self.packed[rows]), self.bits)


def hamming_distance(a: Codes, b: Codes) -> np.ndarray:
    """Dense (len(a), len(b)) matrix of Hamming distances (uint16).

    Meant for small sets and tests; the metrics and the index never build this matrix.
    """
    if a.bits != b.bits:
        raise InputError(f"code lengths differ: {a.bits} and {b.bits} bits")
    xor = np.bitwise_xor(a.packed[:, None, :], b.packed[None, :, :])
    return np.bitwise_count(xor).sum(axis=2, dtype=np.uint16)
