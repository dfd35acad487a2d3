import numpy as np
import pytest

from cmhash.codes import Codes, binarize, hamming_distance, pack_bits, unpack_bits
from cmhash.errors import InputError


def test_packing_is_least_significant_bit_first():
    bits = np.array([[1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]], np.uint8)
    assert pack_bits(bits).tolist() == [[1, 2 + 128]]


def test_sign_of_zero_maps_to_bit_one_by_default():
    values = np.array([[0.0, -0.5, 2.0, -0.0, 1e-9, -1e-9, 0, 0]])
    assert binarize(values).tolist() == [[1, 0, 1, 1, 1, 0, 1, 1]]
    assert binarize(values, zero="negative").tolist() == [[0, 0, 1, 0, 1, 0, 0, 0]]
    with pytest.raises(InputError, match="exact zeros"):
        binarize(values, zero="error")


@pytest.mark.parametrize("n_bits", [8, 16, 24, 40, 64, 128])
def test_round_trip_and_hamming_equals_signed_formula(rng, n_bits):
    signs = rng.choice([-1, 1], size=(7, n_bits))
    codes = Codes.from_real(signs)
    assert codes.packed.shape == (7, n_bits // 8)
    np.testing.assert_array_equal(codes.to_signs(), signs)
    np.testing.assert_array_equal(unpack_bits(codes.packed, n_bits), (signs > 0).astype(np.uint8))
    expected = (n_bits - signs @ signs.T) // 2
    np.testing.assert_array_equal(hamming_distance(codes, codes), expected)


def test_codes_reject_wrong_shapes_and_lengths():
    with pytest.raises(InputError, match="multiple of 8"):
        Codes.from_real(np.ones((2, 12)))
    with pytest.raises(InputError, match=r"shape \(n, 8\) for bits=64, got \(2, 4\)"):
        Codes(np.zeros((2, 4), np.uint8), 64)
    with pytest.raises(InputError, match="uint8"):
        Codes(np.zeros((2, 8), np.int64), 64)
