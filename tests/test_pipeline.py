"""The run goes one way: each code length's method is built once and fitted on the inputs its
declaration asked for."""

from __future__ import annotations

import json

import numpy as np
import pytest

import cmhash.pipeline as pipeline
from cmhash.methods import create_method
from cmhash.run_config import RunConfig
from tests.helpers import labelled_pairs, write_triplet


@pytest.mark.slow  # a whole run: plots and bundles (imports matplotlib and torch)
def test_each_code_length_builds_its_method_once_and_fits_the_stored_features(
        tmp_path, monkeypatch):
    built = []

    def counted(name, **params):
        built.append(params["bits"])
        return create_method(name, **params)

    monkeypatch.setattr(pipeline, "create_method", counted)
    config = RunConfig(method="ridge_hash", dataset=f"triplet:{write_triplet(tmp_path / 'p.mat')}",
                       protocol="presplit", bits=[8, 16], params={"n_anchors": 20},
                       metrics=["map"])
    pipeline.run(config, tmp_path / "run", log=lambda line: None)
    assert built == [8, 16]
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())
    assert recorded["word_vectors"] == "none" and recorded["image_feature_shape"] == [90, 10]
    # the 16-bit codes are those of the method fitted directly on the 40 stored training rows
    image, text, labels = labelled_pairs(90)
    direct = create_method("ridge_hash", bits=16, n_anchors=20, random_state=0).fit(
        image[:40], text[:40], labels[:40])
    codes = np.load(tmp_path / "run" / "codes_16.npz")
    np.testing.assert_array_equal(codes["q_img"], direct.encode_image(image[80:]).packed)
