"""Base of the token-based methods (MITH, MATH) on a frozen backbone.

Inputs are :class:`~cmhash.encoders.base.TokenFeatures` per modality (a global feature, tokens
and a token mask, typically float16 memory maps from the feature cache); each modality is passed
through a learned linear projection to the hashing module's width.  Batches are gathered from
the inputs and converted to float32 tensors on the device one at a time, so a training set of
token features never has to be held in float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from cmhash.codes import Codes
from cmhash.encoders.base import TokenFeatures
from cmhash.errors import InputError, NotFittedError
from cmhash.methods.base import FitContext, HashingMethod
from cmhash.methods.torch_base import ENCODE_BATCH, TorchHashingMethod
from cmhash.metrics import mean_average_precision
from cmhash.utils.validation import check_labels


def _check_tokens(x: Any, name: str, n: int | None = None) -> TokenFeatures:
    if not isinstance(x, TokenFeatures):
        raise InputError(f"{name} must be token features (global, tokens, mask), got "
                         f"{type(x).__name__}")
    if x.tokens.ndim != 3 or x.global_features.ndim != 2 or len(x.tokens) != len(x):
        raise InputError(f"{name}: tokens {x.tokens.shape} and global {x.global_features.shape}"
                         " do not describe the same items")
    if n is not None and len(x) != n:
        raise InputError(f"{name} has {len(x)} rows, expected {n}")
    if x.mask is not None and x.mask.shape != x.tokens.shape[:2]:
        raise InputError(f"{name}: mask {x.mask.shape} does not match tokens {x.tokens.shape}")
    return x


class TokenBatch:
    """A batch on the device: global (B, d), tokens (B, L, d), mask (B, L) bool."""

    def __init__(self, features: TokenFeatures, device: torch.device) -> None:
        self.global_features = torch.as_tensor(features.global_features, dtype=torch.float32,
                                               device=device)
        self.tokens = torch.as_tensor(features.tokens, dtype=torch.float32, device=device)
        self.mask = (torch.ones(self.tokens.shape[:2], dtype=torch.bool, device=device)
                     if features.mask is None else torch.as_tensor(features.mask, device=device))
        if not (torch.isfinite(self.global_features).all() and torch.isfinite(self.tokens).all()):
            raise InputError("token features hold NaN or Inf values")


class TokenHashingMethod(TorchHashingMethod):
    """A deep method whose inputs are token features (see the module docstring)."""

    uses_word_vectors = False
    input_kind = "tokens"

    def fit(self, image: TokenFeatures, text: TokenFeatures, labels: np.ndarray | None = None,
            context: FitContext | None = None) -> HashingMethod:
        self._validate_params()
        _check_tokens(image, "training image features")
        _check_tokens(text, "training text features", len(image))
        if labels is None:
            raise InputError(f"method {self.name!r} is supervised and needs labels")
        labels = check_labels(labels, "training labels", len(image))
        context = context or FitContext()
        self.torch_device_ = torch.device(self.device)
        self.dims_ = {"image": image.tokens.shape[2], "text": text.tokens.shape[2],
                      "labels": labels.shape[1], "image_tokens": image.tokens.shape[1],
                      "text_tokens": text.tokens.shape[1], "n_train": len(image)}
        torch.manual_seed(self.random_state or 0)
        self._build(self.dims_, None)
        self.train_image_, self.train_text_ = image, text
        self.labels_ = torch.as_tensor(labels, dtype=torch.float32, device=self.torch_device_)
        self._train(len(image), context)
        del self.train_image_, self.train_text_, self.labels_
        self.is_fitted_ = True
        return self

    def batch(self, modality: str, rows: torch.Tensor) -> TokenBatch:
        """Training rows of one modality as a device batch."""
        features = self.train_image_ if modality == "image" else self.train_text_
        return TokenBatch(features.rows(rows.cpu().numpy()), self.torch_device_)

    def _forward_tokens(self, batch: TokenBatch, modality: str) -> torch.Tensor:
        """Real-valued codes (n, bits) of a batch, networks in eval mode."""
        raise NotImplementedError

    def _project(self, x: TokenFeatures, modality: str) -> np.ndarray:
        _check_tokens(x, f"{modality} features")
        if x.tokens.shape[2] != self.dims_[modality]:
            raise InputError(f"{modality} tokens have width {x.tokens.shape[2]}, the model was "
                             f"fitted on {self.dims_[modality]}")
        for net in self.networks().values():
            net.eval()
        outputs = []
        with torch.no_grad():
            for start in range(0, len(x), ENCODE_BATCH):
                rows = np.arange(start, min(start + ENCODE_BATCH, len(x)))
                batch = TokenBatch(x.rows(rows), torch.device(self.device))
                outputs.append(self._forward_tokens(batch, modality).cpu().numpy())
        return np.concatenate(outputs) if outputs else np.zeros((0, self.bits))

    def _encode(self, x: TokenFeatures, modality: str) -> Codes:
        if not getattr(self, "is_fitted_", False):
            raise NotFittedError(f"method {self.name!r} must be fitted before encoding")
        return Codes.from_real(self._project(x, modality))

    def validation_scores(self) -> dict[str, float]:
        image, text, labels = self.validation_
        db_labels = self.labels_.cpu().numpy()
        def codes(x: TokenFeatures, modality: str) -> Codes:
            return Codes.from_real(self._project(x, modality))

        i2t = mean_average_precision(codes(image, "image"), codes(self.train_text_, "text"),
                                     labels, db_labels)
        t2i = mean_average_precision(codes(text, "text"), codes(self.train_image_, "image"),
                                     labels, db_labels)
        return {"i2t_map": i2t, "t2i_map": t2i, "score": (i2t + t2i) / 2}

    def projections(self, dims: dict[str, Any], width: int) -> nn.ModuleDict:
        """The learned linear projections of each modality's frozen features to ``width``."""
        return nn.ModuleDict({m: nn.Linear(dims[m], width) for m in ("image", "text")})
