"""The Hamming core shared by the metrics and the index, against NumPy."""

import numba
import numpy as np
import pytest

from cmhash.codes._words import (
    BLOCK_CODES,
    as_words,
    block_distances,
    distance_at,
    load_block,
    words_to_bytes,
)


@numba.njit
def _all_distances(query, database):
    """Distances from one query to every code, block by block, and the smallest per block."""
    out = np.empty(database.shape[0], np.int32)
    smallest = []
    columns = np.empty((database.shape[1], BLOCK_CODES), np.uint64)
    buffer = np.empty(BLOCK_CODES, np.int32)
    for start in range(0, database.shape[0], BLOCK_CODES):
        n = min(database.shape[0], start + BLOCK_CODES) - start
        load_block(database, start, start + n, columns)
        smallest.append(block_distances(query, columns, n, buffer))
        out[start:start + n] = buffer[:n]
    return out, smallest


@pytest.mark.parametrize("bits", [8, 24, 64, 72, 128, 200, 256])
def test_block_and_single_distances_equal_numpy(rng, bits):
    packed = rng.integers(0, 256, (BLOCK_CODES + 300, bits // 8), dtype=np.uint8)
    query = rng.integers(0, 256, (1, bits // 8), dtype=np.uint8)
    expected = np.unpackbits(packed ^ query, axis=1).sum(axis=1)
    words = as_words(packed)
    assert words.shape == (len(packed), -(-bits // 64)) and words.dtype == np.dtype("<u8")
    np.testing.assert_array_equal(words_to_bytes(words, bits), packed)
    got, smallest = _all_distances(as_words(query)[0], words)
    np.testing.assert_array_equal(got, expected)
    assert list(smallest) == [expected[:BLOCK_CODES].min(), expected[BLOCK_CODES:].min()]
    assert distance_at(as_words(query)[0], words.reshape(-1), 5) == expected[5]


def test_bit_j_is_bit_j_mod_64_of_word_j_div_64():
    packed = np.zeros((1, 16), np.uint8)
    packed[0, 9] = 0b100  # bit 74 of the code
    assert as_words(packed)[0].tolist() == [0, 1 << 10]
