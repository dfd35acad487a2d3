"""A run's bundle encodes raw texts and images without the dataset to the codes the run gave the
same items: in this process, and in a fresh one after the dataset and the feature cache are
gone."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cmhash import load_model
from cmhash.bundle import HEADER_FILE
from cmhash.bundle._files import header_digest
from cmhash.bundle._model import dataset_key
from cmhash.codes import load_code_set
from cmhash.data import load_dataset, make_split
from cmhash.encoders import EfficientNetLite0
from cmhash.errors import InputError
from cmhash.pipeline import RunConfig, run
from tests.helpers import make_folder_dataset

SRC = Path(__file__).resolve().parents[2] / "src"
PROTOCOL = "random:query=6,train=12"
IMAGE_FEATURE = "efficientnet_lite0:image_size=32"

#: loads the bundle argv[1], encodes the texts and images listed in argv[2], writes argv[3]
ENCODE_IN_A_FRESH_PROCESS = """
import json, sys
import numpy as np
import cmhash

bundle, items, out = sys.argv[1:]
items = json.loads(open(items).read())
model = cmhash.load_model(bundle)
np.savez(out, text=model.encode_texts(items["texts"]).packed,
         image=model.encode_images(items["images"]).packed)
"""


def _train(folder: Path, out: Path, cache: Path, method: str, params: dict,
           text_feature: str) -> None:
    config = RunConfig(method=method, dataset=f"folder:{folder}", protocol=PROTOCOL, bits=[16],
                       params=params, image_feature=IMAGE_FEATURE, text_feature=text_feature,
                       cache_dir=str(cache), metrics=["map"])
    run(config, out, log=lambda _: None)


@pytest.fixture(scope="module")
def ridge_run(tmp_path_factory):
    """(run folder, dataset, database rows) of ridge_hash on the generated folder dataset
    (``photos`` beside the run folder) with EfficientNet-Lite0 (32 px) and BoW features."""
    root = tmp_path_factory.mktemp("ridge")
    folder = make_folder_dataset(root / "photos")
    _train(folder, root / "run", root / "cache", "ridge_hash", {"n_anchors": 16}, "bow")
    dataset = load_dataset(f"folder:{folder}")
    return root / "run", dataset, make_split(dataset, PROTOCOL).database


def test_raw_items_get_the_runs_database_codes(ridge_run):
    out, dataset, database = ridge_run
    model = load_model(out / "model_16")
    run_codes = load_code_set(out / "codes_16.npz")
    texts = [dataset.texts[i] for i in database]
    paths = [dataset.image_paths[i] for i in database]
    np.testing.assert_array_equal(model.encode_texts(texts).packed,
                                  run_codes.database_text.packed)
    np.testing.assert_array_equal(model.encode_images(paths).packed,
                                  run_codes.database_image.packed)
    pixels = [np.asarray(Image.open(p).convert("RGB")) for p in paths]  # decoded by the caller
    np.testing.assert_array_equal(model.encode_images(pixels).packed,
                                  run_codes.database_image.packed)
    one = model.encode_texts(texts[2:3])
    np.testing.assert_array_equal(one.packed[0], run_codes.database_text.packed[2])


def test_the_header_records_encoders_vocabulary_labels_and_training_pairs(ridge_run):
    out, dataset, _ = ridge_run
    header = load_model(out / "model_16").header
    image, text = header["inputs"]["image"], header["inputs"]["text"]
    assert image["encoder"] == "efficientnet_lite0" and image["options"] == {"image_size": 32}
    assert image["fingerprint"] == EfficientNetLite0(image_size=32).fingerprint()
    assert text["encoder"] == "bow" and image["form"] == text["form"] == "global"
    assert set(text["vocabulary"]) == {w for t in dataset.texts for w in t.split()}
    assert header["label_names"] == ["forest", "sea", "sunset"]
    train = make_split(dataset, PROTOCOL).train
    ids = "\n".join(dataset.ids[i] for i in train)
    key = dataset_key(dataset)
    assert header["training"] == {
        "dataset": f"folder:{out.parent / 'photos'}", "dataset_key": key,
        "protocol": PROTOCOL, "split_seed": 0, "pairs": 12,
        "fingerprint": hashlib.sha256(f"{key}\n{ids}".encode()).hexdigest()}
    assert "device" not in json.dumps(header["inputs"])


def test_an_encoder_that_differs_from_the_recorded_one_is_refused(ridge_run, tmp_path):
    out, dataset, _ = ridge_run
    bundle = Path(shutil.copytree(out / "model_16", tmp_path / "model_16"))
    header = json.loads((bundle / HEADER_FILE).read_text())
    header["inputs"]["image"]["fingerprint"]["weights_sha256"] = "0" * 64
    header["header_sha256"] = header_digest(header)
    (bundle / HEADER_FILE).write_text(json.dumps(header))
    model = load_model(bundle)
    with pytest.raises(InputError, match="the efficientnet_lite0 encoder here differs from the "
                                         r"one the model was trained with \(in weights_sha256\)"):
        model.encode_images(dataset.image_paths[:1])


def test_inputs_are_lists(ridge_run):
    out = ridge_run[0]
    model = load_model(out / "model_16")
    with pytest.raises(InputError, match="encode_texts takes a list of items, got one str"):
        model.encode_texts("red sky")
    with pytest.raises(InputError, match="empty text"):
        model.encode_texts(["red sky", " "])
    with pytest.raises(InputError, match=r"encode_images takes a list of items, got one "
                                         r"ndarray \(pass \[item\]\)"):
        model.encode_images(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(InputError, match="an image array must be uint8"):
        model.encode_images([np.zeros((8, 8, 3))])
    with pytest.raises(InputError, match=r"nowhere\.png: image file not found"):
        model.encode_images(["nowhere.png"])
    empty = model.encode_images([])
    assert empty.packed.shape == (0, 2) and empty.bits == 16


#: method → (parameters, text feature); MITH takes tokens of both encoders
FRESH_PROCESS_CASES = {
    "dadh": ({"hidden": 64, "epochs": 2, "batch_size": 6}, "bow"),
    "mith": ({"epochs": 1, "batch_size": 6}, "minilm:max_tokens=8"),
}


@pytest.mark.slow
@pytest.mark.parametrize("method", list(FRESH_PROCESS_CASES))
def test_in_a_fresh_process_without_the_dataset(tmp_path, folder_dataset, method):
    params, text_feature = FRESH_PROCESS_CASES[method]
    out, cache = tmp_path / "run", tmp_path / "cache"
    _train(folder_dataset, out, cache, method, params, text_feature)
    dataset = load_dataset(f"folder:{folder_dataset}")
    database = make_split(dataset, PROTOCOL).database
    unseen = tmp_path / "unseen"  # the database images, away from the dataset
    unseen.mkdir()
    images = [str(shutil.copy(dataset.image_paths[i], unseen / f"item{i}.png"))
              for i in database]
    (tmp_path / "items.json").write_text(json.dumps(
        {"texts": [dataset.texts[i] for i in database], "images": images}))
    shutil.rmtree(folder_dataset)
    shutil.rmtree(cache)

    env = {**os.environ, "PYTHONPATH": str(SRC), "CMHASH_DATA_ROOT": str(tmp_path / "none"),
           "CMHASH_CACHE_DIR": str(tmp_path / "none"), "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-c", ENCODE_IN_A_FRESH_PROCESS, str(out / "model_16"),
                    str(tmp_path / "items.json"), str(tmp_path / "codes.npz")],
                   env=env, check=True, cwd=tmp_path)
    encoded = np.load(tmp_path / "codes.npz")
    run_codes = load_code_set(out / "codes_16.npz")
    np.testing.assert_array_equal(encoded["text"], run_codes.database_text.packed)
    np.testing.assert_array_equal(encoded["image"], run_codes.database_image.packed)
    assert not (tmp_path / "none").exists()  # neither a dataset nor a feature cache was used
