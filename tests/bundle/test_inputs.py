"""What a bundle records about its inputs, for stored features, a dataset's own BoW and encoder
specs; and raw items refused where no encoder made the features."""

from __future__ import annotations

import numpy as np
import pytest

from cmhash.bundle import describe_input, load_model, save_model
from cmhash.data import PairedDataset
from cmhash.encoders import BagOfWords
from cmhash.errors import InputError
from cmhash.inputs import feature_source
from cmhash.methods import create_method

TEXTS = ["red sky sunset", "green tree", "blue sea", "red sunset", "tree forest", "sea waves"] * 4
VOCABULARY = ["red", "sky", "sunset", "green", "tree", "blue", "sea", "forest", "waves"]


@pytest.fixture
def dataset() -> PairedDataset:
    """Stored image features (like Wiki's) and a stored BoW over a vocabulary (like
    MIRFlickr's), 24 pairs of three classes."""
    rng = np.random.default_rng(0)
    classes = np.arange(len(TEXTS)) % 3
    return PairedDataset(
        name="tiny", ids=[f"p{i}" for i in range(len(TEXTS))],
        labels=np.eye(3, dtype=np.uint8)[classes], texts=TEXTS, vocabulary=VOCABULARY,
        image_features={"sift": rng.normal(size=(3, 6))[classes] + rng.normal(size=(24, 6))},
        text_features={"bow": BagOfWords(VOCABULARY).encode(TEXTS).global_features})


def _describe(dataset, form, modality, feature):
    """The bundle's entry for a run's ``feature`` of ``modality`` for a method on ``form``."""
    return describe_input(dataset, feature_source(dataset, form, modality, feature))


def test_a_stored_feature_is_recorded_by_name_and_raw_items_are_refused(tmp_path, dataset):
    entry = _describe(dataset, "global", "image", None)
    assert entry == {"source": "features", "dataset": "tiny", "feature": "sift"}
    image, text = dataset.image_feature("sift"), dataset.text_feature("bow")
    method = create_method("ridge_hash", bits=8, n_anchors=12, random_state=0).fit(
        image, text, dataset.labels)
    model = load_model(save_model(tmp_path / "m", method, inputs={
        "image": entry, "text": _describe(dataset, "global", "text", "bow")}))
    with pytest.raises(InputError, match="m: this model's image inputs are feature 'sift' stored "
                                         "in dataset 'tiny', which no encoder computes from raw "
                                         "images"):
        model.encode_images(["photo.jpg"])
    np.testing.assert_array_equal(model.hashing_method.encode_image(image).packed,
                                  method.encode_image(image).packed)
    # the stored BoW is the bow encoder's over the vocabulary: raw texts get its codes
    np.testing.assert_array_equal(model.encode_texts(TEXTS[:6]).packed,
                                  method.encode_text(text[:6]).packed)


def test_a_stored_bow_counts_as_the_bow_encoder_only_if_that_reproduces_it(dataset):
    entry = _describe(dataset, "global", "text", "bow")
    assert entry["source"] == "encoder" and entry["encoder"] == "bow"
    assert entry["vocabulary"] == VOCABULARY
    assert entry["fingerprint"] == BagOfWords(VOCABULARY).fingerprint()
    dataset.text_features["bow"][5, 0] = 1 - dataset.text_features["bow"][5, 0]
    assert _describe(dataset, "global", "text", "bow") == {
        "source": "features", "dataset": "tiny", "feature": "bow"}


def test_run_time_options_are_not_recorded(dataset):
    spec = "efficientnet_lite0:image_size=64,device=cpu,compile=false"
    entry = _describe(dataset, "tokens", "image", spec)
    assert entry["options"] == {"image_size": 64} and entry["form"] == "tokens"
    assert _describe(dataset, "raw", "image", None) == {"source": "method"}
