"""Bundle files: written in one step, and every damaged or foreign bundle refused with one line
naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cmhash.bundle import HEADER_FILE, WEIGHTS_FILE, load_model, save_model
from cmhash.bundle._files import header_digest
from cmhash.errors import InputError, MissingFileError
from cmhash.methods import create_method
from tests.helpers import labelled_pairs


@pytest.fixture(scope="module")
def fitted():
    image, text, labels = labelled_pairs(60)
    return create_method("ridge_hash", bits=16, n_anchors=20, random_state=0).fit(
        image, text, labels)


@pytest.fixture
def bundle(tmp_path, fitted) -> Path:
    return save_model(tmp_path / "model_16", fitted)


def _rewrite_header(bundle: Path, change, keep_checksum: bool = True) -> None:
    """Change the header; with ``keep_checksum`` its checksum is recomputed (a bundle written
    that way, not a tampered one)."""
    header = json.loads((bundle / HEADER_FILE).read_text())
    change(header)
    if keep_checksum:
        header["header_sha256"] = header_digest(header)
    (bundle / HEADER_FILE).write_text(json.dumps(header))


def _refused(bundle: Path, match: str, error: type[InputError] = InputError) -> str:
    with pytest.raises(error, match=match) as caught:
        load_model(bundle)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_folder_holds_the_header_and_the_weights_and_nothing_is_left_beside_it(
        tmp_path, fitted, bundle):
    assert sorted(p.name for p in bundle.iterdir()) == [HEADER_FILE, WEIGHTS_FILE]
    save_model(bundle, fitted.set_params(random_state=0))  # over an existing bundle
    assert [p.name for p in tmp_path.iterdir()] == ["model_16"]
    header = json.loads((bundle / HEADER_FILE).read_text())
    assert header["format_version"] == 1 and header["method"] == "ridge_hash"
    assert header["bits"] == 16 and header["params"]["n_anchors"] == 20
    assert header["files"][WEIGHTS_FILE]["bytes"] == (bundle / WEIGHTS_FILE).stat().st_size


def test_a_header_that_is_not_strict_json_is_refused_and_nothing_is_written(tmp_path, fitted):
    with pytest.raises(ValueError, match="not JSON compliant"):
        save_model(tmp_path / "model_16", fitted, training={"pairs": float("nan")})
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_header_and_weights(tmp_path, bundle):
    _refused(tmp_path / "nowhere", "model bundle not found: .*nowhere", MissingFileError)
    (tmp_path / "file").write_text("x")
    _refused(tmp_path / "file", "file: a model bundle is a folder")
    (bundle / WEIGHTS_FILE).unlink()
    _refused(bundle, f"model weights not found: .*{WEIGHTS_FILE}", MissingFileError)
    (bundle / HEADER_FILE).unlink()
    _refused(bundle, f"model bundle header not found: .*{HEADER_FILE}", MissingFileError)


def test_truncated_weights(bundle):
    weights = (bundle / WEIGHTS_FILE).read_bytes()
    (bundle / WEIGHTS_FILE).write_bytes(weights[: len(weights) // 2])
    _refused(bundle, rf"{WEIGHTS_FILE}: {len(weights) // 2} bytes, the header records "
                     rf"{len(weights)} \(truncated or replaced\)")


def test_changed_weights(bundle):
    weights = bytearray((bundle / WEIGHTS_FILE).read_bytes())
    weights[-1] ^= 1
    (bundle / WEIGHTS_FILE).write_bytes(bytes(weights))
    _refused(bundle, f"{WEIGHTS_FILE}: checksum mismatch")


def test_tampered_header(bundle):
    _rewrite_header(bundle, lambda h: h.update(bits=32), keep_checksum=False)
    _refused(bundle, f"{HEADER_FILE}: header checksum mismatch")


def test_other_format_version_and_foreign_json(bundle):
    _rewrite_header(bundle, lambda h: h.update(format_version=2))
    _refused(bundle, f"{HEADER_FILE}: bundle format version 2; cmhash .* reads version 1")
    (bundle / HEADER_FILE).write_text('{"method": "ridge_hash"}')
    _refused(bundle, f"{HEADER_FILE}: not a cmhash model header")
    (bundle / HEADER_FILE).write_text("{not json")
    _refused(bundle, f"{HEADER_FILE}: not valid JSON")


def test_unknown_method_and_weights_of_another_shape(bundle, tmp_path):
    _rewrite_header(bundle, lambda h: h.update(method="dcmh"))
    _refused(bundle, "model_16: unknown method 'dcmh'")
    image, text, labels = labelled_pairs(60)
    dadh = create_method("dadh", bits=16, hidden=32, epochs=1, batch_size=30).fit(
        image, text, labels)
    other = save_model(tmp_path / "dadh", dadh)
    _rewrite_header(other, lambda h: h["params"].update(hidden=64))
    _refused(other, "dadh: the weights do not fit method 'dadh'")


def test_saving_needs_a_fitted_method(tmp_path):
    with pytest.raises(InputError, match="must be fitted before saving"):
        save_model(tmp_path / "m", create_method("ridge_hash"))
    assert not (tmp_path / "m").exists()


def test_an_interrupted_save_leaves_the_previous_bundle(bundle, fitted, monkeypatch):
    before = {p.name: p.read_bytes() for p in bundle.iterdir()}

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("cmhash.bundle._files.save_file", fail)
    with pytest.raises(OSError, match="disk full"):
        save_model(bundle, fitted)
    assert {p.name: p.read_bytes() for p in bundle.iterdir()} == before
    assert [p.name for p in bundle.parent.iterdir()] == ["model_16"]
    np.testing.assert_array_equal(load_model(bundle).hashing_method.text_projection_,
                                  fitted.text_projection_)
