"""The field's other layouts, on small files written here in each layout."""

import json

import h5py
import numpy as np
import pytest
import scipy.io

from cmhash.data import load_dataset, make_split
from cmhash.errors import InputError, MissingFileError


def _write_v73(path, arrays):
    """A MATLAB v7.3 file as MATLAB writes it: HDF5 with every array stored transposed."""
    with h5py.File(path, "w", userblock_size=512) as f:
        for key, value in arrays.items():
            f.create_dataset(key, data=np.asarray(value).T)
    with open(path, "r+b") as f:
        f.write(b"MATLAB 7.3 MAT-file".ljust(128, b" "))


def _triplet_arrays(rng, sizes=(6, 8, 3)):
    arrays = {}
    for part, n in zip(("tr", "db", "te"), sizes, strict=True):
        arrays[f"I_{part}"] = rng.random((n, 5))
        arrays[f"T_{part}"] = rng.integers(0, 2, (n, 7)).astype(float)
        arrays[f"L_{part}"] = rng.integers(0, 2, (n, 4)).astype(float)
    return arrays


@pytest.mark.parametrize("layout", ["v73_three_files", "v5_one_file"])
def test_triplet_files(tmp_path, rng, layout):
    arrays = _triplet_arrays(rng)
    if layout == "v73_three_files":
        for name, part in (("x_train", "tr"), ("x_retrieval", "db"), ("x_query", "te")):
            _write_v73(tmp_path / f"{name}.mat", {k: v for k, v in arrays.items()
                                                  if k.endswith(part)})
        spec = f"triplet:{tmp_path}"
    else:
        scipy.io.savemat(tmp_path / "mir_cnn.mat", arrays)
        spec = f"triplet:{tmp_path / 'mir_cnn.mat'}"
    dataset = load_dataset(spec)
    assert len(dataset) == 17
    np.testing.assert_allclose(dataset.image_feature()[6:14], arrays["I_db"])
    np.testing.assert_array_equal(dataset.labels[14:], arrays["L_te"])
    split = make_split(dataset, "presplit")
    assert split.sizes() == {"train": 6, "query": 3, "database": 8}
    assert split.database_contains_train is None


def test_triplet_missing_key_is_named(tmp_path, rng):
    arrays = _triplet_arrays(rng)
    del arrays["T_db"]
    scipy.io.savemat(tmp_path / "f.mat", arrays)
    with pytest.raises(InputError, match="missing key 'T_db'"):
        load_dataset(f"triplet:{tmp_path / 'f.mat'}")


def test_triplet_row_mismatch_is_named(tmp_path, rng):
    arrays = _triplet_arrays(rng)
    arrays["L_te"] = arrays["L_te"][:2]
    scipy.io.savemat(tmp_path / "f.mat", arrays)
    with pytest.raises(InputError, match=r"row counts differ.*L_te: 2"):
        load_dataset(f"triplet:{tmp_path / 'f.mat'}")


@pytest.mark.parametrize("version", ["v5", "v73"])
def test_dcmh_features_file(tmp_path, rng, version):
    arrays = {"images": rng.random((20, 6)), "YAll": rng.integers(0, 2, (20, 9)),
              "LAll": rng.integers(0, 2, (20, 3))}
    path = tmp_path / "FLICKR-25K.mat"
    (scipy.io.savemat if version == "v5" else _write_v73)(path, arrays)
    dataset = load_dataset(f"dcmh:{path}")
    np.testing.assert_allclose(dataset.image_feature(), arrays["images"])
    np.testing.assert_array_equal(dataset.text_feature("bow"), arrays["YAll"])


def test_dcmh_three_part_raw_images(tmp_path, rng):
    pixels = rng.integers(0, 256, (4, 4, 3, 5), dtype=np.uint8)  # H × W × C × n
    _write_v73(tmp_path / "mirflickr25k-iall.mat", {"IAll": pixels})
    _write_v73(tmp_path / "mirflickr25k-yall.mat", {"YAll": rng.integers(0, 2, (5, 8))})
    _write_v73(tmp_path / "mirflickr25k-lall.mat", {"LAll": rng.integers(0, 2, (5, 3))})
    dataset = load_dataset(f"dcmh:{tmp_path / 'mirflickr25k-iall.mat'}")
    assert dataset.image_pixels.shape == (5, 4, 4, 3)
    np.testing.assert_array_equal(dataset.image_pixels[2], pixels[..., 2])


def test_dcmh_protocol_needs_enough_rows(tmp_path, rng):
    scipy.io.savemat(tmp_path / "f.mat", {"image": rng.random((30, 2)), "text": np.ones((30, 2)),
                                          "label": np.ones((30, 2))})
    with pytest.raises(InputError, match="needs at least 12100 pairs, the dataset has 30"):
        make_split(load_dataset(f"dcmh:{tmp_path / 'f.mat'}"), "dadh_nus")


def test_clip_era_mat_files(tmp_path, rng):
    paths = np.array(["/data/mirflickr/im1.jpg", "/data/mirflickr/im22.jpg", "rel/im3.jpg"])
    scipy.io.savemat(tmp_path / "index.mat", {"index": paths})  # char rows padded with spaces
    scipy.io.savemat(tmp_path / "caption.mat", {"caption": np.array(["sky,sea", "dog", "a b"])})
    labels = rng.integers(0, 2, (3, 24)).astype(np.float32)
    scipy.io.savemat(tmp_path / "label.mat", {"label": labels})
    dataset = load_dataset(f"clipmat:{tmp_path}")
    assert dataset.texts == ["sky,sea", "dog", "a b"]
    assert dataset.image_paths[:2] == ["/data/mirflickr/im1.jpg", "/data/mirflickr/im22.jpg"]
    assert dataset.image_paths[2] == str(tmp_path.resolve() / "rel" / "im3.jpg")
    np.testing.assert_array_equal(dataset.labels, labels)


def test_folder_with_csv_jsonl_and_sidecar_texts(tmp_path):
    for name in ("a.jpg", "b.jpg"):
        (tmp_path / name).write_bytes(b"\xff\xd8")
    (tmp_path / "pairs.csv").write_text("image,text,labels\na.jpg,a red car,car;red\n"
                                        "b.jpg,a dog,dog\n")
    dataset = load_dataset(f"folder:{tmp_path}")
    assert dataset.label_names == ["car", "dog", "red"]
    assert dataset.labels.tolist() == [[1, 0, 1], [0, 1, 0]]
    assert dataset.images_present() == 2

    (tmp_path / "pairs.csv").unlink()
    (tmp_path / "pairs.jsonl").write_text(
        json.dumps({"image": "a.jpg", "text": "x", "labels": ["p"]}) + "\n"
        + json.dumps({"image": "b.jpg", "text": "y", "labels": ["q", "p"]}) + "\n")
    assert load_dataset(f"folder:{tmp_path}").labels.tolist() == [[1, 0], [1, 1]]

    (tmp_path / "pairs.jsonl").unlink()
    (tmp_path / "a.txt").write_text("first caption\n")
    with pytest.raises(InputError, match=r"b\.jpg: no text file b\.txt"):
        load_dataset(f"folder:{tmp_path}")
    (tmp_path / "b.txt").write_text("second")
    dataset = load_dataset(f"folder:{tmp_path}")
    assert dataset.texts == ["first caption", "second"] and dataset.labels is None


def test_folder_empty_text_is_an_error(tmp_path):
    (tmp_path / "pairs.jsonl").write_text(json.dumps({"image": "a.jpg", "text": " "}) + "\n")
    with pytest.raises(InputError, match=r"empty text for image 'a\.jpg'"):
        load_dataset(f"folder:{tmp_path}")


def test_missing_paths_and_unknown_specs(tmp_path):
    with pytest.raises(MissingFileError, match=r"wikiData\.mat"):
        load_dataset("wiki", tmp_path)
    with pytest.raises(InputError, match="unknown dataset 'nus'"):
        load_dataset("nus", tmp_path)
    (tmp_path / "broken.mat").write_bytes(b"not a mat file at all")
    with pytest.raises(InputError, match=r"broken\.mat: not a readable MATLAB file"):
        load_dataset(f"dcmh:{tmp_path / 'broken.mat'}")


def test_nan_features_are_reported_with_their_row(tmp_path, rng):
    arrays = _triplet_arrays(rng)
    arrays["I_tr"][4, 2] = np.nan
    scipy.io.savemat(tmp_path / "f.mat", arrays)
    dataset = load_dataset(f"triplet:{tmp_path / 'f.mat'}")
    with pytest.raises(InputError, match=r"NaN or Inf values \(first in row 4\)"):
        dataset.image_feature()
