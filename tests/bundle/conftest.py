"""A tiny generated ``folder:`` dataset, and one torch thread for the tiny networks of these
tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import make_folder_dataset, one_torch_thread


@pytest.fixture
def folder_dataset(tmp_path) -> Path:
    return make_folder_dataset(tmp_path / "photos")


@pytest.fixture(autouse=True)
def one_thread():
    with one_torch_thread():
        yield
