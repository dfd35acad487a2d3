"""Atomic writes: whole files and folders only, with the mode an ordinary write would give."""

import json
import math
import os

import pytest

from cmhash.utils.atomic import atomic_folder, write_atomic, write_json


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_files_get_the_users_umask_not_0600(tmp_path, umask):
    previous = os.umask(umask)
    try:
        path = write_json(tmp_path / "a.json", {"x": 1})
        plain = tmp_path / "plain"
        plain.write_text("x")
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_folders_get_the_users_umask_not_0700(tmp_path, umask):
    previous = os.umask(umask)
    try:
        with atomic_folder(tmp_path / "model") as tmp:
            (tmp / "weights").write_text("x")
        (tmp_path / "plain").mkdir()
    finally:
        os.umask(previous)
    mode = (tmp_path / "model").stat().st_mode & 0o777
    assert mode == (tmp_path / "plain").stat().st_mode & 0o777 == 0o777 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "plain"]


def test_json_is_strict_and_a_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(ValueError, match="not JSON compliant"):
        write_json(tmp_path / "r.json", {"map": math.nan})
    assert list(tmp_path.iterdir()) == []
    write_json(tmp_path / "r.json", {"map": 0.5})

    def fail(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(tmp_path / "r.json", fail)
    assert json.loads((tmp_path / "r.json").read_text()) == {"map": 0.5}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
