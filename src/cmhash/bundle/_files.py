"""The files of a model bundle: the header ``model.json`` and the weights
``weights.safetensors``, checked on reading.

Writing saves the named tensors with safetensors, records the weights file's size and SHA-256
in the header's ``files``, and the SHA-256 of the header itself (its canonical JSON without that
key) in ``header_sha256``; the folder appears in one step
(:func:`cmhash.utils.atomic.atomic_folder`).  Reading checks, in this order, each failure one
:class:`InputError` naming the file: the folder and the header exist and the header is JSON of
this format and version; the header's checksum; each listed file's presence, size and
checksum; that safetensors reads the weights.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from cmhash.encoders.base import file_sha256
from cmhash.errors import InputError
from cmhash.utils.atomic import atomic_folder
from cmhash.utils.validation import check_file
from cmhash.version import __version__

FORMAT = "cmhash-model"
FORMAT_VERSION = 1
HEADER_FILE = "model.json"
WEIGHTS_FILE = "weights.safetensors"


def header_digest(header: dict[str, Any]) -> str:
    """SHA-256 of the header's canonical JSON (sorted keys), ``header_sha256`` left out."""
    content = {key: value for key, value in header.items() if key != "header_sha256"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def write_bundle(folder: str | Path, header: dict[str, Any],
                 tensors: dict[str, torch.Tensor]) -> Path:
    """Write ``tensors`` and ``header`` (JSON-ready; format, file checksums and the header's
    checksum are added) as the bundle ``folder``, replacing any bundle there."""
    with atomic_folder(folder) as tmp:
        weights = tmp / WEIGHTS_FILE
        save_file({name: t.detach().cpu().contiguous() for name, t in tensors.items()}, weights)
        header = {"format": FORMAT, "format_version": FORMAT_VERSION, **header,
                  "files": {WEIGHTS_FILE: {"bytes": weights.stat().st_size,
                                           "sha256": file_sha256(weights)}}}
        # what a reader will see (tuples → lists); strict JSON, as every file cmhash writes
        header = json.loads(json.dumps(header, allow_nan=False))
        header["header_sha256"] = header_digest(header)
        (tmp / HEADER_FILE).write_text(json.dumps(header, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    return Path(folder)


def read_bundle(folder: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """The checked header and the tensors (on the CPU) of the bundle ``folder``."""
    folder = check_file(folder, "model bundle")
    if not folder.is_dir():
        raise InputError(f"{folder}: a model bundle is a folder holding {HEADER_FILE}, "
                         "not a file")
    header_path = check_file(folder / HEADER_FILE, "model bundle header")
    try:
        header = json.loads(header_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{header_path}: not valid JSON ({e})") from e
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InputError(f"{header_path}: not a cmhash model header (no format {FORMAT!r})")
    if header.get("format_version") != FORMAT_VERSION:
        raise InputError(f"{header_path}: bundle format version "
                         f"{header.get('format_version')!r}; cmhash {__version__} reads "
                         f"version {FORMAT_VERSION}")
    if header.get("header_sha256") != header_digest(header):
        raise InputError(f"{header_path}: header checksum mismatch (the file was changed after "
                         "it was written)")
    files = header.get("files")
    if not isinstance(files, dict) or WEIGHTS_FILE not in files:
        raise InputError(f"{header_path}: lists no {WEIGHTS_FILE}")
    for name, record in files.items():
        _check_recorded_file(check_file(folder / name, "model weights"), record)
    try:
        tensors = load_file(folder / WEIGHTS_FILE)
    except (SafetensorError, OSError) as e:
        raise InputError(f"{folder / WEIGHTS_FILE}: not a safetensors file ({e})") from e
    return header, tensors


def _check_recorded_file(path: Path, record: dict[str, Any]) -> None:
    size = path.stat().st_size
    if size != record["bytes"]:
        raise InputError(f"{path}: {size} bytes, the header records {record['bytes']} "
                         "(truncated or replaced)")
    if file_sha256(path) != record["sha256"]:
        raise InputError(f"{path}: checksum mismatch (the file was changed after it was "
                         "written)")
