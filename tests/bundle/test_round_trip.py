"""Every registered method through save_model → load_model, and the device as a load-time
choice."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file

from cmhash.bundle import HEADER_FILE, WEIGHTS_FILE, load_model, save_model
from cmhash.bundle._files import header_digest
from cmhash.errors import InputError
from cmhash.methods import METHODS, FitContext, create_method, list_methods
from tests.helpers import labelled_pairs, token_pairs
from tests.methods.test_methods import QUICK

TOKEN_QUICK = {"epochs": 1, "batch_size": 20}


def _fitted(name: str):
    """A method fitted in seconds, and (image, text) inputs to encode."""
    if METHODS[name].input_spec.form == "global":
        image, text, labels = labelled_pairs(120)
        method = create_method(name, bits=16, random_state=0, **QUICK[name])
        return method.fit(image[:80], text[:80], labels[:80]), image[80:], text[80:]
    image, text, labels = token_pairs(40)
    method = create_method(name, bits=16, random_state=0, **TOKEN_QUICK)
    method.fit(image, text, labels, FitContext(label_text=text))  # MATH reads label texts
    return method, image, text


@pytest.mark.parametrize("name", list_methods())
def test_a_loaded_model_gives_the_codes_of_the_saved_one(tmp_path, name):
    method, image, text = _fitted(name)
    model = load_model(save_model(tmp_path / name, method))
    assert (model.method, model.bits) == (name, 16)
    for modality, x in (("image", image), ("text", text)):
        encode = f"encode_{modality}"
        np.testing.assert_array_equal(getattr(model.hashing_method, encode)(x).packed,
                                      getattr(method, encode)(x).packed)


def test_feature_methods_keep_their_learned_arrays_in_the_weights(tmp_path):
    method, _, _ = _fitted("cca_itq")
    bundle = save_model(tmp_path / "cca", method)
    saved = load_file(bundle / WEIGHTS_FILE)
    assert set(saved) == set(method.learned_arrays)
    for name in method.learned_arrays:
        np.testing.assert_array_equal(saved[name], getattr(method, name))
        assert saved[name].dtype == np.float64
    normalisation = json.loads((bundle / HEADER_FILE).read_text())["normalisation"]
    assert set(normalisation) == {"image_sigma_", "image_mean_", "text_sigma_", "text_mean_"}
    assert normalisation["image_sigma_"]["values"] == float(method.image_sigma_)
    assert normalisation["image_mean_"]["shape"] == [len(method.image_mean_)]


def test_deep_methods_list_their_feature_statistics(tmp_path):
    method, _, _ = _fitted("dadh")
    header = json.loads((save_model(tmp_path / "dadh", method) / HEADER_FILE).read_text())
    statistics = header["normalisation"]
    assert statistics["standardize"]["values"] == pytest.approx(method.standardize_.tolist())
    batch_norms = [m for m in method.generator_.image.modules()
                   if isinstance(m, torch.nn.BatchNorm1d)]
    running = [k for k in statistics if k.startswith("generator/image.")]
    assert len(running) == 2 * len(batch_norms) > 0
    assert header["state"]["dims"] == {"image": 10, "text": 12, "labels": 4, "n_train": 80}


def test_the_device_is_never_saved_and_is_chosen_at_load(tmp_path):
    method, image, _ = _fitted("dadh")
    method.set_params(device="cuda")  # as trained with --device cuda
    bundle = save_model(tmp_path / "dadh", method)
    header = json.loads((bundle / HEADER_FILE).read_text())
    assert "device" not in header["params"]
    # a bundle whose parameters do say cuda (written by hand) loads on the CPU all the same
    header["params"]["device"] = "cuda"
    header["header_sha256"] = header_digest(header)
    (bundle / HEADER_FILE).write_text(json.dumps(header))
    model = load_model(bundle)
    assert model.hashing_method.device == "cpu"
    assert next(model.hashing_method.generator_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(model.hashing_method.encode_image(image).packed,
                                  method.set_params(device="cpu").encode_image(image).packed)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_asking_for_cuda_without_it_is_one_clear_error(tmp_path):
    method, _, _ = _fitted("ridge_hash")
    with pytest.raises(InputError, match="device 'cuda': CUDA is not available"):
        load_model(save_model(tmp_path / "m", method), device="cuda")


def test_hmah_with_word_vectors_of_another_width_loads_without_them(tmp_path):
    """The embedding's width comes from the word vectors (GloVe-50 here), not the default 300:
    the bundle records it, so loading rebuilds the same networks with no vectors at hand."""
    image, text, labels = labelled_pairs(120)
    vectors = np.random.default_rng(1).normal(size=(text.shape[1], 50)).astype(np.float32)
    hmah = create_method("hmah", bits=16, random_state=0, **QUICK["hmah"])
    hmah.fit(image[:80], text[:80], labels[:80], FitContext(word_vectors=vectors))
    model = load_model(save_model(tmp_path / "hmah-glove50", hmah))
    assert model.hashing_method.students_.text.embedding.weight.shape == (50, text.shape[1])
    np.testing.assert_array_equal(model.hashing_method.encode_text(text[80:]).packed,
                                  hmah.encode_text(text[80:]).packed)
