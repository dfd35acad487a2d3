"""Atomic output: write to a temporary file beside the target, then rename over it.

A reader never sees a half-written file; an interrupted writer leaves only a ``.tmp-*`` file,
which the next write of the same target replaces.  A folder is written the same way
(:func:`atomic_folder`).  Files and folders get the mode an ordinary ``open(target, "w")`` or
``mkdir`` would give them (0666 or 0777 less the umask), not the 0600 or 0700 of temporary ones.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _ordinary_mode(full: int) -> int:
    """``full`` (0o666 for a file, 0o777 for a folder) less the process's umask (read by setting
    it and setting it back: Python has no getter)."""
    umask = os.umask(0o077)
    os.umask(umask)
    return full & ~umask


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path; on success it is renamed to ``target``, on error removed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{target.name}.", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        tmp_path.chmod(_ordinary_mode(0o666))
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextmanager
def atomic_folder(target: str | Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it takes the place of ``target`` (a folder already
    there is moved aside, then removed), on error it is removed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}.", dir=target.parent))
    try:
        tmp.chmod(_ordinary_mode(0o777))
        yield tmp
        if target.exists():
            old = tempfile.mkdtemp(prefix=f".old-{target.name}.", dir=target.parent)
            os.replace(target, old)  # onto the empty folder just made
            os.replace(tmp, target)
            shutil.rmtree(old)
        else:
            os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_atomic(target: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` and move the result to ``target``."""
    with atomic_path(target) as tmp:
        write(tmp)
    return Path(target)


def write_json(target: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented, strict JSON (a NaN or infinity is a ValueError, not a
    ``NaN`` token that other JSON readers refuse), atomically."""
    text = json.dumps(obj, indent=2, sort_keys=False, allow_nan=False) + "\n"
    return write_atomic(target, lambda p: p.write_text(text))
