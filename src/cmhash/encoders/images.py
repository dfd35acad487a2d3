"""Reading images from disk for the image encoders: decode, RGB, resize.

Pixels stay uint8 until the batch is formed in the main process (4× less to pass from the
loader processes than float32); :func:`to_unit_range` then scales them to [0, 1].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from cmhash.errors import InputError

RESAMPLING = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}


class ImageReadError(InputError):
    """An image file is missing, truncated or not an image."""


def read_image(path: str | Path, size: int, resample: str = "bicubic",
               crop: bool = False) -> np.ndarray:
    """The image at ``path`` as uint8 (3, size, size): resized to a square, or with ``crop``
    its shorter side resized to ``size`` (aspect kept) and the centre size × size cut out
    (MITH's and MATH's training transform; the same pixels for a square image).

    Raises
    ------
    ImageReadError
        naming the file, if it is missing, truncated or not an image.
    """
    path = Path(path)
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
            if crop:
                image = _shorter_side_then_centre(image, size, RESAMPLING[resample])
            else:
                image = image.resize((size, size), RESAMPLING[resample])
            pixels = np.asarray(image, dtype=np.uint8)
    except FileNotFoundError as e:
        raise ImageReadError(f"{path}: image file not found") from e
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise ImageReadError(f"{path}: unreadable image ({e})") from e
    return np.ascontiguousarray(pixels.transpose(2, 0, 1))


def _shorter_side_then_centre(image: Image.Image, size: int,
                              resample: Image.Resampling) -> Image.Image:
    width, height = image.size
    scale = size / min(width, height)
    width, height = max(size, int(width * scale)), max(size, int(height * scale))
    image = image.resize((width, height), resample)
    left, top = round((width - size) / 2), round((height - size) / 2)
    return image.crop((left, top, left + size, top + size))


def to_unit_range(pixels: list[np.ndarray]) -> torch.Tensor:
    """A list of uint8 (3, S, S) images → float32 tensor (B, 3, S, S) in [0, 1]."""
    return torch.from_numpy(np.stack(pixels)).float().div_(255.0)
