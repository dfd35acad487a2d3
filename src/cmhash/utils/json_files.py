"""Reading a JSON object from a user's file: every way it can fail is one :class:`InputError`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cmhash.errors import InputError


def read_json_object(path: str | Path, what: str) -> dict[str, Any]:
    """The JSON object in ``path``; an unreadable file, bad UTF-8, bad JSON or another JSON value
    is an :class:`InputError` naming the file and ``what`` it should hold (e.g. "run
    configuration")."""
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: not a readable {what} ({e})") from None
    if not isinstance(value, dict):
        raise InputError(f"{path}: not a {what} (not a JSON object)")
    return value
