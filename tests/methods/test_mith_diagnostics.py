"""MITH's global and local hashes read apart: they make up its codes, and their statistics."""

import numpy as np
import pytest

from cmhash.encoders import Features
from cmhash.errors import InputError, NotFittedError
from cmhash.methods import create_method
from cmhash.methods.mith import MITH
from cmhash.methods.mith_diagnostics import HashParts, hash_parts, hash_statistics
from tests.helpers import token_pairs


@pytest.fixture(scope="module")
def fitted():
    image, text, labels = token_pairs(60)
    mith = MITH(bits=16, epochs=1, batch_size=20, random_state=0)
    return mith.fit(image, text, labels), image, text


def test_the_parts_add_up_to_the_models_codes(fitted):
    mith, image, text = fitted
    for modality, x, encode in (("image", image, mith.encode_image),
                                ("text", text, mith.encode_text)):
        parts = hash_parts(mith, x, modality)
        assert parts.global_hash.shape == parts.local_hash.shape == (60, 16)
        assert parts.global_embedding.shape == (60, 512)
        np.testing.assert_array_equal(parts.codes("code").packed, encode(x).packed)
        assert np.abs(parts.global_hash).max() < 1 and np.abs(parts.local_hash).max() < 1


def test_rows_are_read_alone(fitted):
    mith, image, _ = fitted
    every, some = hash_parts(mith, image, "image"), hash_parts(mith, image, "image", [7, 3])
    np.testing.assert_allclose(some.global_hash, every.global_hash[[7, 3]], atol=1e-6)
    np.testing.assert_allclose(some.local_hash, every.local_hash[[7, 3]], atol=1e-6)


def test_a_text_without_a_real_token_has_every_concept_empty(fitted):
    """LTA aggregates real tokens only: with every token masked, each concept token is zero."""
    mith, _, text = fitted
    mask = np.ones(text.tokens.shape[:2], bool)
    mask[0] = False
    parts = hash_parts(mith, Features(text.global_features, text.tokens, mask), "text")
    assert parts.empty_concepts[0].all()
    assert not parts.empty_concepts[1:].all()


def test_statistics_of_hand_made_hashes():
    global_hash = np.array([[0.95, -0.5, 0.2], [0.92, 0.5, -0.1], [0.3, -0.99, 0.0]])
    local_hash = np.array([[0.1, 0.2, -0.3], [0.4, -0.2, 0.5], [-0.2, -0.3, 0.4]])
    empty = np.array([[True, False, False], [False, False, False], [True, False, True]])
    stats = hash_statistics(HashParts(global_hash, local_hash, np.zeros((3, 4)), empty))
    assert stats["global saturated"] == pytest.approx(3 / 9)  # 0.95, 0.92, -0.99
    assert stats["local saturated"] == 0
    assert stats["global stuck bits"] == 1  # bit 0: + + +; bits 1 and 2 mixed (0 counts as +)
    assert stats["local stuck bits"] == 0
    # agreement (+,+) (−,+) (+,−) / (+,+) (+,−) (−,+) / (+,−) (−,−) (+,+)
    assert stats["sign agreement"] == pytest.approx(4 / 9)
    assert stats["empty concepts"] == pytest.approx(3 / 9)
    assert stats["agreement on empty"] == pytest.approx(2 / 3)  # (0,0) yes, (2,0) no, (2,2) yes


def test_another_method_or_an_unfitted_mith_is_refused(fitted):
    _, image, _ = fitted
    with pytest.raises(NotFittedError, match="must be fitted"):
        hash_parts(MITH(bits=16), image, "image")
    with pytest.raises(InputError, match="hash parts are MITH's; got a MATH model"):
        hash_parts(create_method("math", bits=16), image, "image")
    with pytest.raises(InputError, match="unknown hash part 'both'"):
        hash_parts(fitted[0], image, "image", [0]).codes("both")
