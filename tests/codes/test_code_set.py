import numpy as np
import pytest
import scipy.io

from cmhash.codes import Codes, CodeSet, load_code_set, save_code_set
from cmhash.errors import InputError


def _arrays(rng, n_query=5, n_db=9, n_bits=16, n_labels=3):
    return {
        "q_img": rng.choice([-1, 1], size=(n_query, n_bits)),
        "q_txt": rng.choice([-1, 1], size=(n_query, n_bits)),
        "r_img": rng.choice([-1, 1], size=(n_db, n_bits)),
        "r_txt": rng.choice([-1, 1], size=(n_db, n_bits)),
        "q_l": rng.integers(0, 2, size=(n_query, n_labels)),
        "r_l": rng.integers(0, 2, size=(n_db, n_labels)),
    }


@pytest.mark.parametrize("form", ["signs", "bits", "signs_with_zero"])
@pytest.mark.parametrize("suffix", [".npz", ".mat"])
def test_load_accepts_the_fields_code_forms(tmp_path, rng, form, suffix):
    arrays = _arrays(rng)
    expected = Codes.from_real(arrays["q_img"])
    if form == "bits":
        arrays = {k: (v > 0).astype(np.uint8) if k[2] != "l" else v for k, v in arrays.items()}
    if form == "signs_with_zero":  # sign(0) = 0 as the PyTorch repos produce it
        arrays["q_img"] = np.where(arrays["q_img"] > 0, 0, -1)
        expected = Codes.from_real(arrays["q_img"])
    path = tmp_path / f"codes{suffix}"
    if suffix == ".npz":
        np.savez(path, **arrays)
    else:
        scipy.io.savemat(path, arrays)
    code_set = load_code_set(path)
    np.testing.assert_array_equal(code_set.query_image.packed, expected.packed)
    assert code_set.database_text.bits == 16


@pytest.mark.parametrize("suffix", [".npz", ".mat"])
def test_save_then_load_round_trip(tmp_path, rng, suffix):
    a = _arrays(rng)
    code_set = CodeSet(a["q_l"], a["r_l"], *(Codes.from_real(a[k]) for k in
                                            ("q_img", "q_txt", "r_img", "r_txt")))
    save_code_set(tmp_path / f"c{suffix}", code_set)
    back = load_code_set(tmp_path / f"c{suffix}")
    for key in ("q_img", "q_txt", "r_img", "r_txt"):
        np.testing.assert_array_equal(back.codes(key).packed, code_set.codes(key).packed)
    np.testing.assert_array_equal(back.database_labels, a["r_l"])
    assert [p.name for p in tmp_path.iterdir()] == [f"c{suffix}"]  # no temporary left behind


@pytest.mark.parametrize(("change", "message"), [
    (lambda a: a.pop("q_l"), "missing key 'q_l'"),
    (lambda a: a.update(r_txt=a["r_txt"][:4]), "'r_txt' has 4 rows but 'r_l' has 9"),
    (lambda a: a.update(q_img=a["q_img"] * 0.5), "not binary"),
    (lambda a: a.update(q_img=a["q_img"][:, :12], q_txt=a["q_txt"][:, :12],
                        r_img=a["r_img"][:, :12], r_txt=a["r_txt"][:, :12]), "multiple of 8"),
    (lambda a: a.update(q_l=a["q_l"] * 3), "only 0 and 1"),
])
def test_bad_code_files_name_the_key(tmp_path, rng, change, message):
    arrays = _arrays(rng)
    change(arrays)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(InputError, match=message):
        load_code_set(tmp_path / "bad.npz")


def test_packed_codes_need_uint8(tmp_path, rng):
    arrays = _arrays(rng)
    arrays = {k: v for k, v in arrays.items() if k in ("q_l", "r_l")}
    arrays |= {"q_img": np.zeros((5, 2), np.uint8), "r_txt": np.zeros((9, 2), np.int32),
               "bits": np.array(16)}
    np.savez(tmp_path / "p.npz", **arrays)
    with pytest.raises(InputError, match="'r_txt' must be packed uint8"):
        load_code_set(tmp_path / "p.npz")


@pytest.mark.parametrize("suffix", [".npz", ".mat"])
def test_ids_and_model_digest_round_trip_and_old_files_read_without_them(tmp_path, rng, suffix):
    a = _arrays(rng)
    codes = [Codes.from_real(a[k]) for k in ("q_img", "q_txt", "r_img", "r_txt")]
    query_ids, database_ids = [f"q{i}" for i in range(5)], [f"im{i:03d}.jpg" for i in range(9)]
    save_code_set(tmp_path / f"c{suffix}", CodeSet(a["q_l"], a["r_l"], *codes, query_ids,
                                                   database_ids, "ab" * 32))
    back = load_code_set(tmp_path / f"c{suffix}")
    assert back.query_ids.tolist() == query_ids and back.database_ids.tolist() == database_ids
    assert back.model_sha256 == "ab" * 32
    np.testing.assert_array_equal(back.database_text.packed, codes[3].packed)
    np.savez(tmp_path / "old.npz", **a)  # a file of the field's keys only
    old = load_code_set(tmp_path / "old.npz")
    assert (old.query_ids, old.database_ids, old.model_sha256) == (None, None, None)


@pytest.mark.parametrize(("ids", "message"), [
    (np.array(["a", "b"]),
     r"'q_id' must hold one id string per row \(5\), got <U1 of shape \(2,\)"),
    (np.arange(5), "'q_id' must hold one id string per row"),
])
def test_ids_must_be_one_string_per_row(tmp_path, rng, ids, message):
    np.savez(tmp_path / "bad.npz", **_arrays(rng), q_id=ids)
    with pytest.raises(InputError, match=message):
        load_code_set(tmp_path / "bad.npz")
