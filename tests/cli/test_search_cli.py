"""``cmhash index build``, ``index info`` and ``search`` end to end: a ridge_hash model trained on a
generated folder dataset (EfficientNet-Lite0 at 32 px, BoW), its collection, and queries whose
rankings are checked against a brute-force Hamming ranking of the same codes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cmhash import load_model
from cmhash.cli.main import main
from cmhash.data import load_dataset
from tests.helpers import make_folder_dataset, one_torch_thread

BITS = 16


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(photos folder, model bundle, collection folder, cache) after `run` and `index build`."""
    root = tmp_path_factory.mktemp("search")
    photos = make_folder_dataset(root / "photos")
    common = ["--cache-dir", str(root / "cache"), "--threads", "1"]
    with one_torch_thread():
        assert main(["run", "--method", "ridge_hash", "--dataset", f"folder:{photos}",
                     "--protocol", "random:query=6,train=12", "--bits", str(BITS),
                     "--image-feature", "efficientnet_lite0:image_size=32",
                     "--text-feature", "bow", "--set", "n_anchors=16", "--metrics", "map",
                     "--out", str(root / "run"), *common]) == 0
        assert main(["index", "build", str(root / "run" / f"model_{BITS}"), f"folder:{photos}",
                     "--out", str(root / "collection"), *common]) == 0
    return photos, root / "run" / f"model_{BITS}", root / "collection", root / "cache"


def _hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances between packed codes a (1, bytes) and b (n, bytes), bit by bit."""
    return np.unpackbits(a ^ b, axis=1).sum(axis=1)


def test_the_collection_holds_every_pair_and_the_model(built):
    photos, _, collection, _ = built
    for name in ("manifest.json", "image.index", "text.index", "payload.sqlite",
                 "model/model.json"):
        assert (collection / name).is_file()
    assert not collection.with_name("collection.partial").exists()
    manifest = json.loads((collection / "manifest.json").read_text())
    assert manifest["count"] == len(load_dataset(f"folder:{photos}").ids) == 18


def test_a_text_query_ranks_the_images_by_hamming_distance(built, capsys):
    photos, bundle, collection, cache = built
    dataset = load_dataset(f"folder:{photos}")
    query = dataset.texts[4]
    capsys.readouterr()
    with one_torch_thread():
        assert main(["search", str(collection), "--text", query, "-k", "18", "--json"]) == 0
        model = load_model(bundle)
        image_codes, _ = model.encode_dataset(dataset, "image", cache)
        text_code = model.encode_texts([query])
    hits = json.loads(capsys.readouterr().out)
    distances = _hamming(text_code.packed, image_codes.packed)
    expected = np.lexsort((np.arange(len(distances)), distances))  # ties by id
    assert [h["id"] for h in hits] == expected.tolist()
    assert [h["distance"] for h in hits] == distances[expected].tolist()
    top = hits[0]
    assert top["image"] == dataset.image_paths[top["id"]]
    assert top["text"] == dataset.texts[top["id"]]
    assert top["labels"] == [dataset.label_names[j]
                             for j in np.flatnonzero(dataset.labels[top["id"]])]


def test_an_image_query_searches_the_texts(built, capsys):
    photos, _, collection, _ = built
    image = str(photos / "07.png")
    capsys.readouterr()
    with one_torch_thread():
        assert main(["search", str(collection), "--image", image, "-k", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[0].lstrip().startswith("1")


def test_index_info_names_the_backend_the_count_and_the_model(built, capsys):
    _, _, collection, _ = built
    capsys.readouterr()
    assert main(["index", "info", str(collection)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["model"]["method"] == "ridge_hash" and info["model"]["bits"] == BITS
    assert info["image"]["count"] == info["text"]["count"] == 18


def test_a_killed_build_is_replaced_and_an_existing_folder_refused(built, tmp_path, capsys):
    photos, bundle, collection, cache = built
    out = tmp_path / "again"
    partial = tmp_path / "again.partial"
    partial.mkdir()
    (partial / "image.index").write_bytes(b"half written")
    with one_torch_thread():
        assert main(["index", "build", str(bundle), f"folder:{photos}", "--out", str(out),
                     "--cache-dir", str(cache)]) == 0
    assert not partial.exists()
    assert (out / "manifest.json").read_text() == (collection / "manifest.json").read_text()
    before = sorted(p.name for p in out.iterdir())
    capsys.readouterr()
    assert main(["index", "build", str(bundle), f"folder:{photos}", "--out", str(out),
                 "--cache-dir", str(cache)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already exists" in err[0]
    assert sorted(p.name for p in out.iterdir()) == before


@pytest.mark.parametrize("argv, message", [
    (["search", "{collection}", "--text", "red", "-k", "0"], "-k"),
    (["search", "{missing}", "--text", "red"], "manifest"),
    (["search", "{collection}", "--image", "{missing}"], "missing"),
    (["index", "build", "{missing}", "folder:{photos}", "--out", "{out}"], "missing"),
    (["index", "build", "{bundle}", "folder:{photos}", "--out", "{out}", "--backend", "nope"],
     "backend"),
    (["index", "info", "{missing}"], "manifest"),
])
def test_bad_input_is_one_line_and_writes_nothing(built, tmp_path, capsys, argv, message):
    photos, bundle, collection, _ = built
    names = {"collection": collection, "missing": tmp_path / "missing", "photos": photos,
             "bundle": bundle, "out": tmp_path / "out"}
    capsys.readouterr()
    assert main([a.format(**names) for a in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cmhash: error:") and message in err[0]
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()
