"""Reading images for the image encoders: decode (a file, or pixels given as an array), RGB,
resize.

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


def read_image(source: str | Path | np.ndarray, size: int, resample: str = "bicubic",
               crop: bool = False) -> np.ndarray:
    """The image at ``source`` as uint8 (3, size, size): resized to a square, or with ``crop``
    its shorter side resized to ``size`` (aspect kept) and the centre size × size cut out
    (MITH's and MATH's training transform; the same pixels for a square image).

    ``source`` is a file path, or decoded pixels: a uint8 array (H, W, 3) RGB or (H, W) grey,
    which then go through the same conversion and resizing as a decoded file.

    Raises
    ------
    ImageReadError
        naming the file, if it is missing, truncated or not an image (or the array's shape
        and dtype, if they are not an image's).
    """
    if isinstance(source, np.ndarray):
        return _prepared(_from_pixels(source), size, resample, crop)
    path = Path(source)
    try:
        with Image.open(path) as image:
            return _prepared(image, size, resample, crop)
    except FileNotFoundError as e:
        raise ImageReadError(f"{path}: image file not found") from e
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise ImageReadError(f"{path}: unreadable image ({e})") from e


def _from_pixels(pixels: np.ndarray) -> Image.Image:
    if pixels.dtype != np.uint8 or not (pixels.ndim == 2 or (pixels.ndim == 3
                                                             and pixels.shape[2] == 3)):
        raise ImageReadError(f"an image array must be uint8 of shape (H, W, 3) or (H, W), "
                             f"got {pixels.dtype} {pixels.shape}")
    return Image.fromarray(pixels)


def _prepared(image: Image.Image, size: int, resample: str, crop: bool) -> np.ndarray:
    image = image.convert("RGB")
    if crop:
        image = _shorter_side_then_centre(image, size, RESAMPLING[resample])
    else:
        image = image.resize((size, size), RESAMPLING[resample])
    pixels = np.asarray(image, dtype=np.uint8)
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
