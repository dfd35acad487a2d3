import numpy as np
import pytest

from cmhash.data import load_dataset
from cmhash.encoders import BagOfWords, MiniLM, glove50_vectors
from cmhash.encoders.bow import build_vocabulary
from cmhash.errors import InputError


def test_bag_of_words_columns_follow_the_vocabulary():
    bow = BagOfWords(["sky", "sea", "dog"])
    out = bow.encode(["Sea,sky  cat", "dog dog"]).global_features
    np.testing.assert_array_equal(out, [[1, 1, 0], [0, 0, 1]])
    assert build_vocabulary(["a b a", "b c", "b"], 2) == ["b", "a"]
    with pytest.raises(InputError, match="empty text"):
        bow.encode(["  "])


@pytest.fixture(scope="module")
def minilm():
    return MiniLM(max_tokens=16)


def test_minilm_outputs(minilm):
    texts = ["sky sea sunset", "dog", "tag " * 40]
    out = minilm.encode(texts)
    assert out.global_features.shape == (3, 384) and out.tokens.shape == (3, 16, 384)
    np.testing.assert_allclose(np.linalg.norm(out.global_features, axis=1), 1.0, atol=1e-5)
    assert out.mask.sum(1).tolist() == [5, 3, 16]  # [CLS] words [SEP], truncated at 16
    assert np.abs(out.tokens[~out.mask]).max() == 0
    single = minilm.encode(texts[1:2])
    np.testing.assert_allclose(single.global_features[0], out.global_features[1], atol=1e-5)
    with pytest.raises(InputError, match="empty text"):
        minilm.encode(["ok", ""])


def test_minilm_processing_order_is_shortest_first(minilm):
    order = minilm.processing_order(["a b c d e f", "a", "a b"])
    assert order.tolist() == [1, 2, 0]


def test_glove_vectors_for_the_mirflickr_tags(data_root):
    mirflickr = load_dataset("mirflickr", data_root)
    vectors = glove50_vectors(mirflickr.vocabulary)
    assert vectors.matrix.shape == (1386, 50)
    assert len(vectors.missing) == 230 and "selfportrait" in vectors.missing
    assert vectors.coverage == pytest.approx(1156 / 1386)
    missing_rows = [mirflickr.vocabulary.index(w) for w in vectors.missing]
    assert not vectors.matrix[missing_rows].any()
    # the dataset's own 300-d GloVe rows miss exactly the same tags
    shipped_zero = ~mirflickr.vocabulary_vectors.any(axis=1)
    assert shipped_zero.sum() == 230
    assert set(np.flatnonzero(shipped_zero)) == set(missing_rows)
