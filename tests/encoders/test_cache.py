"""The feature cache: keyed by content, reuse, bit-identical resume after a kill, unreadable
items."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cmhash.data import PairedDataset, load_dataset
from cmhash.encoders import BagOfWords, EfficientNetLite0, FeatureCache, create_encoder
from cmhash.errors import InputError
from tests.helpers import make_image_folder


def test_second_encode_reads_the_cache(tmp_path, image_folder):
    dataset = load_dataset(f"folder:{image_folder}")
    cache = FeatureCache(tmp_path)
    encoder = EfficientNetLite0(image_size=64)
    first = cache.encode(dataset, encoder, batch_size=8, num_workers=0, progress=False)
    assert first.global_features.dtype == np.float16 and first.valid.all()
    started = time.perf_counter()
    again = cache.encode(dataset, EfficientNetLite0(image_size=64), batch_size=8, progress=False)
    assert time.perf_counter() - started < 2.0
    assert again.path == first.path
    np.testing.assert_array_equal(again.tokens, first.tokens)
    other = cache.path_for(dataset, EfficientNetLite0(image_size=96))
    assert other != first.path  # preprocessing is part of the key


def test_text_features_keep_their_rows_despite_length_ordering(tmp_path, image_folder):
    dataset = load_dataset(f"folder:{image_folder}")
    features = FeatureCache(tmp_path).encode(dataset, create_encoder("minilm:max_tokens=8"),
                                             batch_size=5, progress=False)
    direct = create_encoder("minilm:max_tokens=8").encode(dataset.texts[7:8])
    np.testing.assert_allclose(features.global_features[7], direct.global_features[0],
                               atol=2e-3)  # float16 storage
    assert features.mask[7].sum() == direct.mask[0].sum()


def _encode_command(folder, cache_dir):
    return [sys.executable, "-m", "cmhash", "encode", f"folder:{folder}", "--image-encoder",
            "efficientnet_lite0:image_size=224", "--batch-size", "2", "--workers", "0",
            "--no-compile", "--cache-dir", str(cache_dir)]


@pytest.mark.slow
def test_killed_encode_resumes_to_bit_identical_arrays(tmp_path, data_root):
    folder = make_image_folder(tmp_path / "photos", data_root, 40)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(_encode_command(folder, tmp_path / "killed"), env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    progress = None
    while time.monotonic() < deadline and process.poll() is None:
        found = list((tmp_path / "killed").glob("*/*.partial/progress.json"))
        if found and json.loads(found[0].read_text())["items_done"] >= 8:
            progress = found[0]
            break
        time.sleep(0.05)
    assert progress is not None, "the encode finished or stalled before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_at_kill = json.loads(progress.read_text())["items_done"]
    assert 8 <= done_at_kill < 40

    for cache_dir in ("killed", "clean"):
        subprocess.run(_encode_command(folder, tmp_path / cache_dir), env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    [resumed] = (tmp_path / "killed").glob("*/efficientnet_lite0-*")  # .partial is gone
    [clean] = (tmp_path / "clean").glob("*/efficientnet_lite0-*")
    assert json.loads((resumed / "meta.json").read_text())["rows_last_run"] == 40 - done_at_kill
    for name in ("global.npy", "tokens.npy"):
        assert (resumed / name).read_bytes() == (clean / name).read_bytes()


def test_unreadable_image_is_named_or_recorded_and_skipped(tmp_path, data_root):
    folder = make_image_folder(tmp_path / "photos", data_root, 6)
    victim = sorted(folder.glob("*.jpg"))[2]
    victim.write_bytes(victim.read_bytes()[:300])  # truncated JPEG
    dataset = load_dataset(f"folder:{folder}")
    row = [os.path.basename(p) for p in dataset.image_paths].index(victim.name)
    cache = FeatureCache(tmp_path / "cache")
    with pytest.raises(InputError, match=rf"item {row} \({victim.stem}\): .*{victim.name}: "
                                         r"unreadable image.*--skip-unreadable"):
        cache.encode(dataset, EfficientNetLite0(image_size=64), batch_size=4, progress=False)
    features = cache.encode(dataset, EfficientNetLite0(image_size=64), batch_size=4,
                            skip_unreadable=True, progress=False)
    assert features.valid.tolist() == [i != row for i in range(6)]
    assert np.isnan(features.global_features[row]).all()
    assert np.isfinite(features.global_features[features.valid]).all()
    assert features.meta["skipped"][0]["id"] == victim.stem


def test_missing_image_file_is_named(tmp_path, data_root):
    folder = make_image_folder(tmp_path / "photos", data_root, 3)
    gone = sorted(folder.glob("*.jpg"))[0]
    gone.unlink()
    with pytest.raises(InputError, match=rf"{gone.name}: image file not found"):
        FeatureCache(tmp_path / "cache").encode(load_dataset(f"folder:{folder}"),
                                                EfficientNetLite0(image_size=64),
                                                progress=False)


WORDS = ["red", "car", "sky", "blue", "dog", "tree"]
CAPTIONS = ["red car", "blue sky", "dog", "tree sky", "red dog", "car tree"]


def _folder(path, captions):
    """A ``folder:`` collection named ``photos`` (image files need not exist to encode texts)."""
    path.mkdir(parents=True)
    with (path / "pairs.csv").open("w", newline="") as f:
        csv.writer(f).writerows([["image", "text"], *([f"im{i}.jpg", c]
                                                      for i, c in enumerate(captions))])
    return load_dataset(f"folder:{path}")


def _bow(cache, dataset, **options):
    return cache.encode(dataset, BagOfWords(WORDS), batch_size=2, progress=False, **options)


def test_an_edited_caption_is_encoded_again_and_only_it(tmp_path):
    cache = FeatureCache(tmp_path / "cache")
    first = _bow(cache, _folder(tmp_path / "v1" / "photos", CAPTIONS))
    edited = [*CAPTIONS[:2], "red sky", *CAPTIONS[3:]]
    second = _bow(cache, _folder(tmp_path / "v2" / "photos", edited))
    assert second.path != first.path  # same folder name and file names, other content
    assert second.path.parent.name.startswith("photos-")
    assert second.meta["rows_reused"] == 5 and second.meta["rows_last_run"] == 1
    expected = np.isin(WORDS, ["red", "sky"])
    np.testing.assert_array_equal(second.global_features[2], expected)
    others = [0, 1, 3, 4, 5]
    np.testing.assert_array_equal(second.global_features[others], first.global_features[others])
    again = _bow(cache, _folder(tmp_path / "v3" / "photos", CAPTIONS))
    assert again.path == first.path  # the content decides, not the folder it lives in


def test_a_resumed_encode_keeps_the_reused_rows_and_its_plan(tmp_path, monkeypatch):
    cache = FeatureCache(tmp_path / "cache")
    _bow(cache, PairedDataset(name="d", ids=list("abcdef"), texts=CAPTIONS))
    changed = PairedDataset(name="d", ids=list("abcdef"),
                            texts=["car", *CAPTIONS[1:3], "sky", "blue dog", "red"])
    calls = []

    def interrupted(self, batch):
        if len(calls) == 1:
            raise KeyboardInterrupt  # killed after the first batch of two items
        calls.append(batch)
        return original(self, batch)

    original = BagOfWords.encode_loaded
    monkeypatch.setattr(BagOfWords, "encode_loaded", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _bow(cache, changed)
    monkeypatch.setattr(BagOfWords, "encode_loaded", original)
    resumed = _bow(cache, changed)
    assert resumed.meta["rows_reused"] == 2 and resumed.meta["rows_last_run"] == 2
    clean = _bow(FeatureCache(tmp_path / "clean"), changed)
    np.testing.assert_array_equal(resumed.global_features, clean.global_features)


def test_a_replaced_photo_is_encoded_again(tmp_path, image_folder):
    from PIL import Image

    copy = shutil.copytree(image_folder, tmp_path / image_folder.name)
    photo = sorted(copy.glob("*.jpg"))[0]
    with Image.open(photo) as image:
        image.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(photo)  # same name, new image
    cache = FeatureCache(tmp_path / "cache")
    encoder = EfficientNetLite0(image_size=32)
    original = cache.encode(load_dataset(f"folder:{image_folder}"), encoder, batch_size=8,
                            num_workers=0, progress=False)
    replaced = cache.encode(load_dataset(f"folder:{copy}"), encoder, batch_size=8,
                            num_workers=0, progress=False)
    assert replaced.path != original.path
    assert replaced.meta["rows_reused"] == 23 and replaced.meta["rows_last_run"] == 1
    row = [Path(p).name for p in load_dataset(f"folder:{copy}").image_paths].index(photo.name)
    others = np.arange(24) != row
    assert not np.array_equal(replaced.global_features[row], original.global_features[row])
    np.testing.assert_array_equal(replaced.global_features[others],
                                  original.global_features[others])
