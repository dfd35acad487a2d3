"""Methods' declared inputs, and the one resolver that builds them for a dataset and raw items."""

from __future__ import annotations

import numpy as np
import pytest

from cmhash.data import PairedDataset
from cmhash.encoders import BagOfWords, Features
from cmhash.errors import InputError
from cmhash.inputs import (
    FeatureSource,
    InputSpec,
    check_feature_names,
    dataset_inputs,
    feature_source,
    item_inputs,
    label_text_inputs,
    resolve_inputs,
    source_encoder,
    word_vectors,
)
from cmhash.methods import METHODS, create_method

TEXTS = ["red sky", "green tree", "blue sea", "red tree", "sky sea", "green sky"]
VOCABULARY = ["red", "sky", "green", "tree", "blue", "sea"]


@pytest.fixture
def dataset() -> PairedDataset:
    """Six pairs: stored image feature ``sift``, stored text BoW over a vocabulary with
    vectors, two labels with names."""
    rng = np.random.default_rng(0)
    return PairedDataset(
        name="tiny", ids=[f"p{i}" for i in range(6)],
        labels=np.array([[1, 0], [0, 1], [0, 1], [1, 1], [1, 0], [0, 1]], np.uint8),
        label_names=["warm", "cool"], texts=TEXTS, image_paths=[f"/x/{i}.jpg" for i in range(6)],
        image_features={"sift": rng.normal(size=(6, 4))}, vocabulary=VOCABULARY,
        vocabulary_vectors=np.arange(12.0).reshape(6, 2),
        text_features={"bow": BagOfWords(VOCABULARY).encode(TEXTS).global_features})


#: every registered method's declaration, written out by hand
DECLARED = {
    "cca_itq": InputSpec(),
    "random": InputSpec(),
    "ridge_hash": InputSpec(labels=True),
    "hmah": InputSpec(labels=True, validation=True, word_vectors=True),
    "dadh": InputSpec(labels=True, validation=True),
    "agah": InputSpec(labels=True, validation=True),
    "mith": InputSpec("tokens", "clip_path", labels=True, validation=True),
    "math": InputSpec("tokens", "clip_path", labels=True, validation=True, label_texts=True),
}


def test_every_method_declares_its_inputs_in_one_value():
    assert {name: METHODS[name].input_spec for name in METHODS} == DECLARED


def test_the_form_follows_the_parameter_named_in_raw_with():
    assert create_method("mith").input_form == "tokens"
    assert create_method("mith", clip_path="/clip").input_form == "raw"
    assert create_method("dadh").input_form == "global"
    assert InputSpec().form_for({"clip_path": "/clip"}) == "global"


def test_a_stored_feature_is_taken_by_name_or_as_the_only_one(dataset):
    assert feature_source(dataset, "global", "image", None) == FeatureSource(
        "image", "global", stored="sift")
    assert feature_source(dataset, "global", "text", "bow").stored == "bow"
    image, valid = dataset_inputs(dataset, feature_source(dataset, "global", "image", "sift"))
    np.testing.assert_array_equal(image, dataset.image_features["sift"])
    assert valid.all()


def test_an_encoder_spec_is_parsed_once_into_name_and_options(dataset):
    source = feature_source(dataset, "tokens", "image", "efficientnet_lite0:image_size=64")
    assert (source.encoder, dict(source.options), source.stored) == (
        "efficientnet_lite0", {"image_size": 64}, None)
    # a token method takes an encoder even where the dataset stores a feature of that name
    assert feature_source(dataset, "tokens", "text", "minilm").encoder == "minilm"


@pytest.mark.parametrize(("form", "modality", "feature", "message"), [
    ("global", "image", "hog", "dataset 'tiny' has no image feature 'hog' among its stored "
                               "image features (sift); name one with --image-feature"),
    ("global", "image", "minilm", "encoder 'minilm' encodes text, not image"),
    ("tokens", "text", None, "tokens input needs token features: name an encoder with "
                             "--text-feature: minilm, bow, clip_text"),
    ("tokens", "text", "words", "unknown text encoder 'words'; available: minilm, bow, clip_text"),
])
def test_a_feature_that_cannot_be_built_is_one_line(dataset, form, modality, feature, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        feature_source(dataset, form, modality, feature)


def test_feature_names_are_checked_without_the_data():
    check_feature_names("dadh", "global", {"image": "sift", "text": "bow"})  # stored: later
    check_feature_names("mith", "raw", {"image": None, "text": None})
    with pytest.raises(InputError, match="method 'mith' needs token features"):
        check_feature_names("mith", "tokens", {"image": "efficientnet_lite0", "text": None})
    with pytest.raises(InputError, match="encoder 'bow' encodes text, not image"):
        check_feature_names("dadh", "global", {"image": "bow", "text": None})


def test_raw_items_get_the_inputs_their_dataset_rows_get(dataset, tmp_path):
    """The bundle's path (items in memory) and the run's (the feature cache) agree row by row."""
    source = FeatureSource("text", "global", encoder="bow")  # the encoder, not the stored BoW
    from_cache, valid = dataset_inputs(dataset, source, tmp_path)
    from_items = item_inputs(TEXTS[2:5], "global", source_encoder(source, dataset))
    assert from_cache.dtype == np.float64 and valid.all()
    np.testing.assert_array_equal(from_items, from_cache[2:5])
    raw = item_inputs(TEXTS[:2], "raw")
    assert raw.dtype == object and list(raw) == TEXTS[:2]


def test_word_vectors_only_for_the_bow_columns(dataset):
    vectors, what = word_vectors(dataset, FeatureSource("text", "global", stored="bow"))
    np.testing.assert_array_equal(vectors, dataset.vocabulary_vectors)
    assert what == "shipped with the dataset"
    assert word_vectors(dataset, FeatureSource("text", "global", encoder="minilm")) == (
        None, "none")


def test_label_texts_take_the_text_inputs_form(dataset):
    raw = label_text_inputs(dataset, FeatureSource("text", "raw"))
    assert list(raw) == ["warm", "cool", "cool", "warm cool", "warm", "cool"]


def test_a_run_gets_what_its_method_declared(dataset):
    hmah = resolve_inputs(METHODS["hmah"].input_spec, "global", dataset,
                          {"image": None, "text": "bow"})
    assert hmah.sources["text"].stored == "bow" and hmah.word_vector_source != "none"
    assert hmah.label_text is None and hmah.valid.all()
    assert isinstance(hmah.image, np.ndarray) and hmah.text.shape == (6, 6)
    math = resolve_inputs(METHODS["math"].input_spec, "raw", dataset,
                          {"image": None, "text": None})
    assert list(math.image) == dataset.image_paths and list(math.label_text)[3] == "warm cool"
    assert math.word_vectors is None and not isinstance(math.image, Features)
