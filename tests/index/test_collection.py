"""A collection folder: image index, text index and payload store saved and opened together."""

import json

import numpy as np
import pytest

from cmhash.codes import Codes
from cmhash.errors import InputError
from cmhash.index import Collection, HammingIndex, Hit, Item


def pairs(n: int = 40):
    rng = np.random.default_rng(0)
    image = Codes(rng.integers(0, 256, (n, 8), np.uint8), 64)
    # each text code is its image's code with one byte changed: pairs are near each other
    text_bytes = image.packed.copy()
    text_bytes[:, 0] ^= 0x0F
    items = [Item(100 + i, f"photos/{i}.jpg", f"caption {i}", ("tag",)) for i in range(n)]
    return image, Codes(text_bytes, 64), items


def test_build_save_open_and_search_both_ways(tmp_path):
    image, text, items = pairs()
    folder = tmp_path / "collection"
    with Collection.create(folder, bits=64, backend="mih") as collection:
        collection.add(image[:25], text[:25], items[:25])
        collection.add(image[25:], text[25:], items[25:])
        hits = collection.search(text[:3], k=2, target="image")  # images by text
        collection.save()
    assert sorted(p.name for p in folder.iterdir()) == [
        "image.index", "manifest.json", "payload.sqlite", "text.index"]
    assert json.loads((folder / "manifest.json").read_text())["count"] == 40
    assert [h[0] for h in hits] == [Hit(4, items[0]), Hit(4, items[1]), Hit(4, items[2])]
    with Collection.open(folder) as collection:
        assert len(collection) == 40
        assert collection.indexes["text"].backend == "mih"
        assert collection.search(text[:3], k=2, target="image") == hits
        by_image = collection.search(image[5:6], k=50, target="text")
        assert by_image[0][0] == Hit(4, items[5]) and len(by_image[0]) == 40
        with pytest.raises(InputError, match="target must be one of image, text"):
            collection.search(image[:1], 1, "audio")


def test_a_failed_add_leaves_both_indexes_as_they_were(tmp_path):
    image, _, items = pairs()
    with Collection.create(tmp_path / "c", bits=64) as collection:
        with pytest.raises(InputError, match="128 bits"):
            collection.add(image[:5], Codes(np.zeros((5, 16), np.uint8), 128), items[:5])
        assert len(collection.indexes["image"]) == 0 and len(collection.store) == 0


def test_opening_refuses_mismatched_or_existing_folders(tmp_path):
    image, text, items = pairs()
    folder = tmp_path / "c"
    with Collection.create(folder, bits=64) as collection:
        collection.add(image, text, items)
        collection.save()
    with pytest.raises(InputError, match="already holds a collection"):
        Collection.create(folder, bits=64)
    other = HammingIndex(64)
    other.add(text[:3])
    other.save(folder / "text.index")
    with pytest.raises(InputError, match="hold different ids"):
        Collection.open(folder)
    (folder / "manifest.json").write_text('{"format": "something else"}')
    with pytest.raises(InputError, match=r"manifest\.json: not a cmhash-collection manifest"):
        Collection.open(folder)
