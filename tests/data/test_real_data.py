"""Readers against the real files' known counts (../shared/data/README.md)."""

import numpy as np
import pytest

from cmhash.data import dataset_info, load_dataset, make_split
from cmhash.data._mirflickr import MIRFLICKR_LABELS


def test_wiki_counts_and_official_split(data_root):
    wiki = load_dataset("wiki", data_root)
    assert len(wiki) == 2866
    assert wiki.labels.shape == (2866, 10) and (wiki.labels.sum(1) == 1).all()
    assert wiki.labels.sum(0).tolist() == [172, 360, 340, 333, 267, 236, 237, 185, 285, 451]
    assert wiki.image_feature().shape == (2866, 128)
    assert wiki.text_feature().shape == (2866, 10)
    split = make_split(wiki, "wiki")
    assert split.sizes() == {"train": 2173, "query": 693, "database": 2173}
    np.testing.assert_array_equal(split.train, split.database)
    assert not set(split.query) & set(split.database)


@pytest.fixture(scope="module")
def mirflickr(data_root):
    return load_dataset("mirflickr", data_root)


def test_mirflickr_lists(mirflickr, data_root):
    assert len(mirflickr) == 20015
    assert mirflickr.labels.shape == (20015, 24) and mirflickr.labels.sum(1).min() >= 1
    assert mirflickr.label_names == MIRFLICKR_LABELS
    assert len(mirflickr.vocabulary) == 1386 and mirflickr.vocabulary[:3] == [
        "explore", "sky", "nikon"]
    bow = mirflickr.text_features["bow"]
    assert bow.shape == (20015, 1386)
    assert mirflickr.texts[0] == "cigarette tattoos smoke red dress sunglasses"
    assert bow[0].sum() == 6 and bow[0, mirflickr.vocabulary.index("smoke")] == 1
    # labels agree with the names in labels_annotation.txt, row by row
    annotations = (data_root / "mirflickr25k" / "labels_annotation.txt").read_text().splitlines()
    for i in range(0, 20015, 997):
        names = [MIRFLICKR_LABELS[j] for j in np.flatnonzero(mirflickr.labels[i])]
        assert sorted(names) == sorted(annotations[i].split(","))


def test_mirflickr_with_images_keeps_the_15677_present(data_root, mirflickr):
    with_images = load_dataset("mirflickr-images", data_root)
    assert len(with_images) == 15677
    assert with_images.images_present() == 15677
    assert mirflickr.images_present() == 15677
    assert with_images.image_paths[0].endswith("images128/im1.jpg")


def test_mirflickr_protocol_is_mith_split_data(mirflickr):
    split = make_split(mirflickr, "mirflickr")
    order = np.random.RandomState(1).permutation(20015)
    np.testing.assert_array_equal(split.query, order[:2000])
    np.testing.assert_array_equal(split.train, order[2000:12000])
    assert split.sizes() == {"train": 10000, "query": 2000, "database": 18015}
    assert set(split.train) <= set(split.database)
    other = make_split(mirflickr, "mirflickr", seed=7)
    assert not np.array_equal(other.query, split.query) and other.seed == 7


@pytest.mark.parametrize(("protocol", "query", "train", "database"), [
    ("dadh_mir", (18015, 20015), (0, 10000), (0, 18015)),
    ("agah_mir", (0, 2000), (2000, 12000), (2000, 20015)),
])
def test_slice_protocols(mirflickr, protocol, query, train, database):
    split = make_split(mirflickr, protocol)
    for got, (start, stop) in ((split.query, query), (split.train, train),
                               (split.database, database)):
        np.testing.assert_array_equal(got, np.arange(start, stop))


def test_info_summarises(data_root):
    info = dataset_info(load_dataset("mirflickr-images", data_root), "mirflickr")
    assert info["pairs"] == 15677 and info["labels"] == 24 and info["text_vocabulary"] == 1386
    assert info["images_present"] == 15677
    assert info["split"]["database"] == 13677


def test_label_texts_match_the_annotation_file(mirflickr, data_root):
    texts = mirflickr.label_texts()
    annotations = (data_root / "mirflickr25k" / "labels_annotation.txt").read_text().splitlines()
    assert texts[0] == "female people portrait sky structures"
    for i in range(0, 20015, 1234):
        assert texts[i].split() == annotations[i].split(",")
