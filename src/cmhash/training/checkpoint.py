"""Checkpoint files: written atomically, read with ``torch.load(weights_only=True)``.

A checkpoint is a dict of tensors, numbers, strings, lists and dicts only.  Its ``header`` names
the method and its code length, so a checkpoint of another method or bit length is refused with
a message rather than loaded into the wrong network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from cmhash.errors import InputError
from cmhash.utils.atomic import write_atomic
from cmhash.utils.validation import check_file

CHECKPOINT_FORMAT = 1


def save_checkpoint(path: str | Path, header: dict[str, Any], payload: dict[str, Any]) -> Path:
    """Write ``{"header": {..., "format"}, **payload}`` to ``path`` atomically."""
    content = {"header": {**header, "format": CHECKPOINT_FORMAT}, **payload}
    return write_atomic(path, lambda tmp: torch.save(content, tmp))


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read any cmhash checkpoint (tensors and plain values only)."""
    path = check_file(path, "checkpoint")
    try:
        content = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises several types for a file that is not a checkpoint
        raise InputError(f"{path}: not a cmhash checkpoint ({type(e).__name__})") from e
    header = content.get("header") if isinstance(content, dict) else None
    if not isinstance(header, dict) or "method" not in header:
        raise InputError(f"{path}: not a cmhash checkpoint (no header)")
    return content


def load_checkpoint(path: str | Path, method: str, bits: int) -> dict[str, Any]:
    """Read a checkpoint of ``method`` at ``bits`` bits; anything else is an InputError."""
    content = read_checkpoint(path)
    header = content["header"]
    if header["method"] != method or header.get("bits") != bits:
        raise InputError(f"{path}: checkpoint of {header['method']} at {header.get('bits')} "
                         f"bits, expected {method} at {bits} bits")
    return content
