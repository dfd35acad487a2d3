"""Settings for the Hugging Face libraries: offline, and quiet."""

from __future__ import annotations

import os


def offline() -> None:
    """Forbid the Hugging Face libraries any network access (set before they load a model) and
    turn off their weight-loading progress bars."""
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[variable] = "1"
    from transformers.utils import logging

    logging.disable_progress_bar()
