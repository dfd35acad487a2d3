"""MIRFlickr-25K as the line-per-pair lists of the CLIP-era hashing code.

Files (one line per pair, same order): ``all_imgs.txt`` (``mirflickr/imN.jpg``),
``all_tags.txt`` (comma-separated tags), ``all_labels.txt`` (24 space-separated 0/1) and
``TagList.txt`` (the 1,386-tag vocabulary; BoW column j = line j).  Images are looked up as
``images128/imN.jpg`` beside the lists; ``glove300_taglist.npy`` (one 300-d GloVe row per tag),
where present, becomes the dataset's ``vocabulary_vectors``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cmhash.data.dataset import PairedDataset
from cmhash.errors import InputError
from cmhash.utils.validation import check_folder, read_utf8

MIRFLICKR_LABELS = ["animals", "baby", "bird", "car", "clouds", "dog", "female", "flower",
                    "food", "indoor", "lake", "male", "night", "people", "plant_life",
                    "portrait", "river", "sea", "sky", "structures", "sunset", "transport",
                    "tree", "water"]


def _lines(path: Path) -> list[str]:
    return read_utf8(path, "MIRFlickr list").splitlines()


def _labels(lines: list[str], path: Path) -> np.ndarray:
    try:
        labels = np.array([[int(v) for v in line.split()] for line in lines], dtype=np.int64)
    except ValueError as e:
        raise InputError(f"{path}: labels must be space-separated integers ({e})") from e
    if labels.ndim != 2 or labels.shape[1] != len(MIRFLICKR_LABELS):
        raise InputError(f"{path}: expected {len(MIRFLICKR_LABELS)} labels per line, "
                         f"got shape {labels.shape}")
    return labels


def bag_of_words(tag_lists: list[list[str]], vocabulary: list[str]) -> np.ndarray:
    """Binary occurrence matrix (n, len(vocabulary)); tags outside the vocabulary are ignored."""
    column = {word: j for j, word in enumerate(vocabulary)}
    bow = np.zeros((len(tag_lists), len(vocabulary)), dtype=np.uint8)
    for i, tags in enumerate(tag_lists):
        bow[i, [column[t] for t in tags if t in column]] = 1
    return bow


def read_mirflickr(root: str | Path, require_images: bool = False) -> PairedDataset:
    """Read the MIRFlickr lists in ``root``.

    Parameters
    ----------
    require_images : keep only the pairs whose image file exists under ``images128/``.
    """
    root = check_folder(root, "MIRFlickr folder")
    images = _lines(root / "all_imgs.txt")
    tags = _lines(root / "all_tags.txt")
    labels = _labels(_lines(root / "all_labels.txt"), root / "all_labels.txt")
    vocabulary = [w.strip() for w in _lines(root / "TagList.txt") if w.strip()]
    if not len(images) == len(tags) == len(labels):
        raise InputError(f"{root}: list lengths differ (all_imgs.txt: {len(images)}, "
                         f"all_tags.txt: {len(tags)}, all_labels.txt: {len(labels)})")
    ids = [Path(name).stem for name in images]
    paths = [str((root / "images128" / f"{i}.jpg").resolve()) for i in ids]
    tag_lists = [[t.strip() for t in line.split(",") if t.strip()] for line in tags]
    keep = np.arange(len(ids))
    if require_images:
        keep = np.array([i for i, p in enumerate(paths) if Path(p).is_file()], dtype=np.int64)
        if len(keep) == 0:
            raise InputError(f"{root / 'images128'}: no image files found")
    glove = root / "glove300_taglist.npy"
    return PairedDataset(
        name="mirflickr-images" if require_images else "mirflickr",
        ids=[ids[i] for i in keep],
        labels=labels[keep],
        label_names=list(MIRFLICKR_LABELS),
        image_paths=[paths[i] for i in keep],
        texts=[" ".join(tag_lists[i]) for i in keep],
        text_features={"bow": bag_of_words([tag_lists[i] for i in keep], vocabulary)},
        vocabulary=vocabulary,
        vocabulary_vectors=np.load(glove) if glove.is_file() else None,
    )
