"""The index file: a versioned header, then the ids, the code words and a backend's structure.

Layout (all integers little-endian)::

    offset 0   8 bytes   magic b"CMHINDEX"
    offset 8   uint32    format version (FORMAT_VERSION)
    offset 12  uint32    header length h (bytes of UTF-8 JSON)
    offset 16  uint32    CRC-32 of the header bytes
    offset 20  uint32    0 (reserved)
    offset 24  h bytes   header: JSON object (below)
    ...        sections, each starting at a multiple of 64 bytes

The header holds ``bits``, ``count``, ``backend``, ``params``, ``next_id``, ``bit_order``
("lsb-first": bit j of a code is bit j % 8 of byte j // 8, as in FAISS and MATLAB's
``compactbit``), ``word_bytes`` (8: codes are stored zero-padded to 64-bit little-endian
words, so bit j is bit j % 64 of word j // 64) and ``sections``: for each of ``ids`` (int64,
count), ``words`` (uint64, count × ceil(bits / 64)) and ``state`` (bytes) its ``offset``,
``nbytes`` and ``crc32``.  The file is written to a temporary file and renamed (atomic).

Reading checks, each failure being one :class:`~cmhash.errors.InputError` naming the file: the
magic, the version, the header's checksum and fields, the file's length (truncation), and — unless
``verify=False`` — each section's checksum.  ``ids`` and ``words`` can be memory-mapped
(read-only; nothing is read until searched, except by the checksum pass).
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from cmhash.codes._words import WORD_DTYPE, words_per_code
from cmhash.errors import InputError
from cmhash.utils.atomic import write_atomic
from cmhash.utils.validation import check_bits, check_file

MAGIC = b"CMHINDEX"
FORMAT_VERSION = 1
_PREFIX = struct.Struct("<8sIII4x")
_ALIGN = 64
_CHUNK = 64 * 2**20  # bytes checksummed at a time
_SECTIONS = ("ids", "words", "state")


@dataclass
class IndexFile:
    """What an index file holds: its header fields and its three sections."""

    bits: int
    backend: str
    params: dict[str, Any]
    next_id: int
    ids: np.ndarray
    words: np.ndarray
    state: bytes


def _crc32(data: memoryview | bytes) -> int:
    crc = 0
    for start in range(0, len(data), _CHUNK):
        crc = zlib.crc32(data[start:start + _CHUNK], crc)
    return crc


def _as_bytes(array: np.ndarray) -> memoryview:
    return memoryview(array.reshape(-1).view(np.uint8))


def _padding(offset: int) -> int:
    return -offset % _ALIGN


def write_index_file(path: str | Path, content: IndexFile) -> Path:
    """Write ``content`` to ``path`` atomically."""
    sections = {
        "ids": _as_bytes(np.ascontiguousarray(content.ids, "<i8")),
        "words": _as_bytes(np.ascontiguousarray(content.words, WORD_DTYPE)),
        "state": memoryview(content.state),
    }
    # offsets depend on the header's length, which depends on the offsets' digits: lay the
    # sections out after a header with room to spare, then pad the real header up to it
    table = {name: {"offset": 0, "nbytes": len(data), "crc32": _crc32(data)}
             for name, data in sections.items()}
    header = {"bits": content.bits, "count": len(content.ids), "backend": content.backend,
              "params": content.params, "next_id": content.next_id, "bit_order": "lsb-first",
              "word_bytes": WORD_DTYPE.itemsize, "sections": table}
    room = len(json.dumps(header)) + 64 * len(_SECTIONS)
    offset = _PREFIX.size + room
    for name in _SECTIONS:
        offset += _padding(offset)
        table[name]["offset"] = offset
        offset += table[name]["nbytes"]
    header_bytes = json.dumps(header).encode()
    assert len(header_bytes) <= room, "the header outgrew the room laid out for it"
    header_bytes = header_bytes.ljust(room)

    def write(tmp: Path) -> None:
        with tmp.open("wb") as f:
            f.write(_PREFIX.pack(MAGIC, FORMAT_VERSION, len(header_bytes),
                                 zlib.crc32(header_bytes)))
            f.write(header_bytes)
            for name in _SECTIONS:
                f.write(b"\0" * (table[name]["offset"] - f.tell()))
                f.write(sections[name])

    return write_atomic(path, write)


def _read_header(f: BinaryIO, path: Path, size: int) -> dict[str, Any]:
    prefix = f.read(_PREFIX.size)
    if len(prefix) < _PREFIX.size or prefix[:8] != MAGIC:
        raise InputError(f"{path}: not a cmhash Hamming index file")
    _, version, header_length, header_crc = _PREFIX.unpack(prefix)
    if version != FORMAT_VERSION:
        raise InputError(f"{path}: index file format version {version}; this cmhash reads "
                         f"version {FORMAT_VERSION}")
    header_bytes = f.read(header_length)
    if len(header_bytes) < header_length:
        raise InputError(f"{path}: truncated index file ({size} bytes, header incomplete)")
    if zlib.crc32(header_bytes) != header_crc:
        raise InputError(f"{path}: index file header is corrupted (checksum mismatch)")
    try:
        header = json.loads(header_bytes)
        bits = check_bits(header["bits"])
        count = int(header["count"])
        table = {name: {key: int(header["sections"][name][key])
                        for key in ("offset", "nbytes", "crc32")} for name in _SECTIONS}
        if header["bit_order"] != "lsb-first" or header["word_bytes"] != WORD_DTYPE.itemsize:
            raise ValueError(f"bit order {header['bit_order']!r}, {header['word_bytes']}-byte "
                             "words")
        str(header["backend"])
        dict(header["params"])
        int(header["next_id"])
    except (ValueError, KeyError, TypeError) as e:
        raise InputError(f"{path}: index file header is invalid ({e})") from e
    expected = {"ids": 8 * count, "words": 8 * count * words_per_code(bits)}
    for name, nbytes in expected.items():
        if table[name]["nbytes"] != nbytes:
            raise InputError(f"{path}: index file header is invalid (section {name!r} has "
                             f"{table[name]['nbytes']} bytes for {count} codes of {bits} bits)")
    end = max(s["offset"] + s["nbytes"] for s in table.values())
    if size < end:
        raise InputError(f"{path}: truncated index file ({size} bytes, {end} expected)")
    header["sections"] = table
    return header


def read_index_file(path: str | Path, mmap: bool = True, verify: bool = True) -> IndexFile:
    """Read an index file; ``ids`` and ``words`` memory-mapped read-only if ``mmap``."""
    path = check_file(path, "index file")
    size = path.stat().st_size
    with path.open("rb") as f:
        header = _read_header(f, path, size)
    table = header["sections"]
    count = header["count"]
    n_words = words_per_code(header["bits"])
    whole = np.memmap(path, np.uint8, mode="r") if size else np.zeros(0, np.uint8)

    def section(name: str) -> np.ndarray:
        s = table[name]
        data = whole[s["offset"]:s["offset"] + s["nbytes"]]
        if verify and _crc32(memoryview(data)) != s["crc32"]:
            raise InputError(f"{path}: index file is corrupted (checksum mismatch in its "
                             f"{name} section)")
        return data if mmap else np.array(data)

    ids = section("ids").view("<i8")
    words = section("words").view(WORD_DTYPE).reshape(count, n_words)
    state = section("state").tobytes()
    return IndexFile(header["bits"], header["backend"], header["params"], header["next_id"],
                     ids, words, state)
