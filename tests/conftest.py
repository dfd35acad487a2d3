"""Shared fixtures: where the real data lives, and a seed every randomised test uses.

Tests that read the real data take the ``data_root`` fixture (or one built on it, such as
``image_folder``): they are skipped, saying why, where the data is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import make_image_folder, make_tiny_clip

DATA_ROOT = Path(os.environ.get("CMHASH_DATA_ROOT",
                                Path(__file__).resolve().parents[1].parent / "shared" / "data"))


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real data ($CMHASH_DATA_ROOT, else ../shared/data beside the repository)."""
    if not (DATA_ROOT / "wiki" / "wikiData.mat").is_file() or not (
            DATA_ROOT / "mirflickr25k").is_dir():
        pytest.skip(f"needs the real data, not found under {DATA_ROOT} (set CMHASH_DATA_ROOT)")
    return DATA_ROOT


@pytest.fixture(params=[0, 1, 2])
def rng(request) -> np.random.Generator:
    return np.random.default_rng(request.param)


@pytest.fixture(scope="session")
def image_folder(tmp_path_factory, data_root) -> Path:
    """24 real MIRFlickr photos with their tags and labels, as a ``folder:`` dataset."""
    return make_image_folder(tmp_path_factory.mktemp("folder") / "photos", data_root, 24)


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory):
    """(folder, model, tokenizer) of a tiny random CLIP saved in Hugging Face format."""
    return make_tiny_clip(tmp_path_factory.mktemp("tiny_clip"))
