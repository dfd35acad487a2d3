"""Reading images from disk for the image encoders: decode, RGB, resize, scale to [0, 1]."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from cmhash.errors import InputError

RESAMPLING = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}


class ImageReadError(InputError):
    """An image file is missing, truncated or not an image."""


def read_image(path: str | Path, size: int, resample: str = "bicubic") -> np.ndarray:
    """The image at ``path`` as float32 (3, size, size) in [0, 1], resized to a square.

    Raises
    ------
    ImageReadError
        naming the file, if it is missing, truncated or not an image.
    """
    path = Path(path)
    try:
        with Image.open(path) as image:
            image = image.convert("RGB").resize((size, size), RESAMPLING[resample])
            pixels = np.asarray(image, dtype=np.float32)
    except FileNotFoundError as e:
        raise ImageReadError(f"{path}: image file not found") from e
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise ImageReadError(f"{path}: unreadable image ({e})") from e
    return pixels.transpose(2, 0, 1) / 255.0
