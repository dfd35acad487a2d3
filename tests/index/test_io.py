"""Index files: round trips for every backend, memory mapping, and every damaged or foreign
file refused with one line naming it."""

import json
import struct
import zlib

import numpy as np
import pytest

from cmhash.codes import Codes
from cmhash.errors import InputError
from cmhash.index import HammingIndex, list_backends
from cmhash.index.io import FORMAT_VERSION, MAGIC

BACKENDS = [b for b in list_backends() if not b.startswith("faiss")]
try:
    import faiss  # noqa: F401

    BACKENDS = list_backends()
except ImportError:
    pass


def sample_index(backend: str = "flat", bits: int = 72) -> tuple[HammingIndex, Codes]:
    rng = np.random.default_rng(0)
    index = HammingIndex(bits, backend)
    index.add(Codes(rng.integers(0, 256, (500, bits // 8), np.uint8), bits),
              ids=rng.permutation(10_000)[:500])
    index.remove(index.ids[::7])
    queries = Codes(rng.integers(0, 256, (6, bits // 8), np.uint8), bits)
    return index, queries


def one_line_error(excinfo, path) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and str(path) in message
    return message


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mmap", [True, False], ids=["mmap", "read"])
def test_round_trip(tmp_path, backend, mmap):
    index, queries = sample_index(backend)
    before = index.search(queries, 9)
    path = index.save(tmp_path / "codes.index")
    loaded = HammingIndex.load(path, mmap=mmap)
    assert (loaded.backend, loaded.bits, len(loaded)) == (backend, 72, len(index))
    assert loaded.info()["params"] == index.info()["params"]
    assert loaded.info()["memory_mapped"] is mmap
    np.testing.assert_array_equal(loaded.ids, index.ids)
    np.testing.assert_array_equal(loaded.words, index.words)
    for a, b in zip(loaded.search(queries, 9), before, strict=True):
        np.testing.assert_array_equal(a, b)
    # a saved copy of the loaded index is the same file; new codes get fresh ids
    assert loaded.save(tmp_path / "again.index").read_bytes() == path.read_bytes()
    new_ids = loaded.add(queries)
    assert new_ids.min() > index.ids.max()
    assert len(loaded) == len(index) + 6


def test_flat_loads_memory_mapped_and_copies_on_change(tmp_path):
    index, queries = sample_index()
    path = index.save(tmp_path / "codes.index")
    loaded = HammingIndex.load(path)
    assert isinstance(loaded._words, np.memmap) and not loaded.words.flags.writeable
    loaded.remove(loaded.ids[:3])
    assert not isinstance(loaded._words, np.memmap)
    assert HammingIndex.load(path).search(queries, 3)[0].shape == (6, 3)  # the file is intact


def test_empty_index_round_trip(tmp_path):
    path = HammingIndex(16, "mih").save(tmp_path / "empty.index")
    loaded = HammingIndex.load(path)
    assert len(loaded) == 0 and loaded.backend == "mih"
    assert (loaded.search(np.zeros((1, 2), np.uint8), 2)[1] == -1).all()


@pytest.fixture
def saved(tmp_path):
    index, _ = sample_index()
    return index.save(tmp_path / "codes.index")


def test_truncated_file(saved):
    data = saved.read_bytes()
    for size in (len(data) - 1, len(data) // 2, 30, 5, 0):
        saved.write_bytes(data[:size])
        with pytest.raises(InputError) as excinfo:
            HammingIndex.load(saved)
        message = one_line_error(excinfo, saved)
        assert "truncated" in message or "not a cmhash Hamming index" in message


def test_tampered_header(saved):
    data = bytearray(saved.read_bytes())
    start = data.index(b'"bits": 72')
    data[start:start + 10] = b'"bits": 64'
    saved.write_bytes(bytes(data))
    with pytest.raises(InputError, match="header is corrupted") as excinfo:
        HammingIndex.load(saved)
    one_line_error(excinfo, saved)


def test_header_with_a_valid_checksum_but_inconsistent_fields(saved):
    data = saved.read_bytes()
    _, version, length, _ = struct.unpack("<8sIII", data[:20])
    header = json.loads(data[24:24 + length])
    header["bits"] = 64  # the words section no longer matches
    text = json.dumps(header).encode().ljust(length)
    saved.write_bytes(struct.pack("<8sIII4x", MAGIC, version, length, zlib.crc32(text)) + text
                      + data[24 + length:])
    with pytest.raises(InputError, match="header is invalid") as excinfo:
        HammingIndex.load(saved)
    one_line_error(excinfo, saved)


def test_corrupted_data(saved):
    data = bytearray(saved.read_bytes())
    data[-3] ^= 0x10  # a bit of the last code
    saved.write_bytes(bytes(data))
    with pytest.raises(InputError, match="checksum mismatch in its words section") as excinfo:
        HammingIndex.load(saved)
    one_line_error(excinfo, saved)
    assert len(HammingIndex.load(saved, verify=False)) == 500 - 72  # loads unverified


def test_other_format_version_and_foreign_files(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    data[8:12] = struct.pack("<I", FORMAT_VERSION + 1)
    saved.write_bytes(bytes(data))
    with pytest.raises(InputError, match=f"format version {FORMAT_VERSION + 1}; this cmhash "
                                         f"reads version {FORMAT_VERSION}") as excinfo:
        HammingIndex.load(saved)
    one_line_error(excinfo, saved)
    other = tmp_path / "codes.npy"
    np.save(other, np.zeros(10))
    with pytest.raises(InputError, match="not a cmhash Hamming index") as excinfo:
        HammingIndex.load(other)
    one_line_error(excinfo, other)
    with pytest.raises(InputError, match="not found"):
        HammingIndex.load(tmp_path / "missing.index")


def test_wrong_bits(saved):
    with pytest.raises(InputError, match="holds 72-bit codes, 64-bit codes expected") as excinfo:
        HammingIndex.load(saved, bits=64)
    one_line_error(excinfo, saved)
    loaded = HammingIndex.load(saved)
    with pytest.raises(InputError, match="query codes have 64 bits; the index loaded from") as e:
        loaded.search(Codes(np.zeros((1, 8), np.uint8), 64), 1)
    one_line_error(e, saved)


def test_unknown_backend_in_a_file_names_the_file(saved):
    data = saved.read_bytes()
    length = struct.unpack("<I", data[12:16])[0]
    header = json.loads(data[24:24 + length])
    header["backend"] = "annoy"
    text = json.dumps(header).encode().ljust(length)
    saved.write_bytes(data[:12] + struct.pack("<II", length, zlib.crc32(text)) + data[20:24]
                      + text + data[24 + length:])
    with pytest.raises(InputError, match="unknown index backend 'annoy'") as excinfo:
        HammingIndex.load(saved)
    one_line_error(excinfo, saved)
