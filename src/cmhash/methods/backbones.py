"""Where MITH and MATH get their 512-d global features and tokens from.

``FrozenBackbone``: cached token features of frozen encoders (:class:`Features`), each
modality through a LayerNorm and a learned linear projection — the frozen analogue of CLIP's
``ln_post``/``ln_final`` + projection that MITH reads its tokens from.  The LayerNorm matters:
the encoders' scales differ by an order of magnitude (EfficientNet-Lite0 tokens are ReLU6
outputs of norm ~25, MiniLM sentence embeddings have norm 1), and without it the text globals
start as the projection's bias alone (docs/benchmarks.md).
``ClipBackbone``: CLIP itself on raw inputs (image paths, texts), fine-tuned with the hashing
module at its own learning rate, as MITH does (MITH §2.1–2.2: bicubic resize to the CLIP input
size, CLIP mean/std, at most 32 BPE tokens).
Both turn rows of their inputs into a :class:`TokenBatch` on the device.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from cmhash.encoders.base import Features
from cmhash.encoders.clip import CLIP_MEAN_STD, ClipTokenModel, load_clip
from cmhash.encoders.images import read_image, to_unit_range
from cmhash.encoders.text import check_text
from cmhash.errors import InputError

WIDTH = 512


class TokenBatch:
    """A batch on the device: global (B, w), tokens (B, L, w), mask (B, L) bool."""

    def __init__(self, global_features: torch.Tensor, tokens: torch.Tensor,
                 mask: torch.Tensor | None) -> None:
        self.global_features = global_features
        self.tokens = tokens
        self.mask = (torch.ones(tokens.shape[:2], dtype=torch.bool, device=tokens.device)
                     if mask is None else mask)


def check_token_features(x: Any, name: str, n: int | None = None) -> Features:
    if not isinstance(x, Features) or x.tokens is None:
        got = "features without tokens" if isinstance(x, Features) else type(x).__name__
        raise InputError(f"{name} must be token features (global, tokens, mask), got {got}")
    if x.tokens.ndim != 3 or x.global_features.ndim != 2 or len(x.tokens) != len(x):
        raise InputError(f"{name}: tokens {x.tokens.shape} and global {x.global_features.shape}"
                         " do not describe the same items")
    if n is not None and len(x) != n:
        raise InputError(f"{name} has {len(x)} rows, expected {n}")
    if x.mask is not None and x.mask.shape != x.tokens.shape[:2]:
        raise InputError(f"{name}: mask {x.mask.shape} does not match tokens {x.tokens.shape}")
    return x


def hide_last_token(mask: torch.Tensor) -> torch.Tensor:
    """Hide each text's last real token (a text encoder's end token, as MITH hides CLIP's EOS)
    besides the padding; a one-token text keeps its token."""
    hidden = mask.clone()
    last = mask.long().sum(dim=1) - 1
    rows = torch.arange(len(mask), device=mask.device)
    hidden[rows[last >= 1], last[last >= 1]] = False
    return hidden


class NormalizedProjection(nn.Linear):
    """x ↦ W LN(x) + b: Linear(d → 512) after a LayerNorm (with its own affine parameters)."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__(in_features, out_features)
        self.norm = nn.LayerNorm(in_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(self.norm(x))


class FrozenBackbone(nn.Module):
    """Cached token features, a learned LayerNorm + Linear(d_m → 512) per modality (without
    the LayerNorm if not ``normalize``: the ablation of docs/benchmarks.md)."""

    def __init__(self, widths: dict[str, int], normalize: bool = True) -> None:
        super().__init__()
        projection = NormalizedProjection if normalize else nn.Linear
        self.projections = nn.ModuleDict({m: projection(d, WIDTH) for m, d in widths.items()})

    @staticmethod
    def check(x: Any, name: str, n: int | None = None) -> int:
        """The token width of valid inputs."""
        return check_token_features(x, name, n).tokens.shape[2]

    def _tensor(self, values: np.ndarray, modality: str, part: str) -> torch.Tensor:
        device = self.projections[modality].weight.device
        tensor = torch.as_tensor(values, dtype=torch.float32, device=device)
        if not torch.isfinite(tensor).all():
            raise InputError(f"{modality} {part} hold NaN or Inf values")
        return tensor

    def embed(self, x: Features, rows: np.ndarray, modality: str) -> TokenBatch:
        chosen = x.rows(rows)
        project = self.projections[modality]
        mask = None if chosen.mask is None else torch.as_tensor(chosen.mask,
                                                                device=project.weight.device)
        if mask is not None and modality == "text":
            mask = hide_last_token(mask)
        return TokenBatch(project(self._tensor(chosen.global_features, modality,
                                               "global features")),
                          project(self._tensor(chosen.tokens, modality, "token features")), mask)

    def embed_global(self, x: Features, rows: np.ndarray, modality: str) -> torch.Tensor:
        """The projected global features (B, 512) of the rows ``rows``, without the tokens."""
        global_features = np.asarray(x.global_features[rows])
        return self.projections[modality](self._tensor(global_features, modality,
                                                       "global features"))


class ClipBackbone(nn.Module):
    """CLIP on raw inputs: image paths and texts (see the module docstring)."""

    def __init__(self, path: str | Path, tokenizer_dir: str | Path | None = None,
                 max_tokens: int = 32) -> None:
        super().__init__()
        model, self.tokenizer = load_clip(path, tokenizer_dir)
        self.clip = ClipTokenModel(model)
        self.max_tokens = max_tokens
        if self.clip.embed_dim != WIDTH:
            raise InputError(f"{path}: CLIP projects to {self.clip.embed_dim} dimensions; the "
                             f"hashing module expects {WIDTH}")

    @staticmethod
    def check(x: Any, name: str, n: int | None = None) -> int:
        if not isinstance(x, np.ndarray | list) or np.ndim(x) != 1:
            raise InputError(f"{name} must be a list of image paths or texts")
        if n is not None and len(x) != n:
            raise InputError(f"{name} has {len(x)} rows, expected {n}")
        return WIDTH

    def embed(self, x: np.ndarray, rows: np.ndarray, modality: str) -> TokenBatch:
        device = next(self.clip.parameters()).device
        items = [x[int(r)] for r in rows]
        if modality == "image":
            size = self.clip.clip.config.vision_config.image_size
            # training: shorter side + centre crop; encoding: square resize (MITH's transforms)
            images = [read_image(p, size, crop=self.training) for p in items]
            pixels = (to_unit_range(images) - CLIP_MEAN_STD[0]) / CLIP_MEAN_STD[1]
            global_features, tokens = self.clip.image(pixels.to(device))
            return TokenBatch(global_features, tokens, None)
        encoded = self.tokenizer([check_text(t) for t in items], padding="max_length",
                                 truncation=True, max_length=self.max_tokens,
                                 return_tensors="pt")
        global_features, tokens, mask = self.clip.text(encoded["input_ids"].to(device),
                                                       encoded["attention_mask"].to(device))
        return TokenBatch(global_features, tokens, mask)
