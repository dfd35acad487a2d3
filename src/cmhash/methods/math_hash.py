"""MATH — Multi-label Augmentation Transformer Hashing.

MITH's line plus a label-text branch, used in training only.  Inputs per pair: image and caption
tokens from the backbone (:mod:`cmhash.methods.backbones`; frozen encoders projected to w = 512,
or CLIP), and the tokens of the pair's label text (its label names joined by spaces), encoded
like a caption.

MMEA (no parameters; label branch): with ℓ, g_i, g_t the (B × w) global features of the batch,
    ℓ' = ℓ + softmax(ℓ g_iᵀ / √w) g_i + softmax(ℓ g_tᵀ / √w) g_t      (softmax over the batch)
GCL (MITH's, one module for image, caption and label): r^m = ResMLP(g^m), h^m_g = tanh(W_c r^m),
the label using ℓ'.
LCT (one per image, caption, label; no concept tokens, no mask): sinusoidal positions (max 64)
added to the projected tokens, 2-layer pre-LN transformer, bitwise hashing averaged over the
positions, h_k = tanh(mean_l (w_kᵀ x_l + b_k)) → h^m_l.
Code (no labels): b = sign(½ h_l + ½ h_g) for image and caption.

Loss, with memory banks U^m_g (N × K) of the global hashes and S = 1[L_train L_batchᵀ > 0]:
  intra  Σ_{m ∈ i,l,t} ℓ(U^m_g, h^m_g, S)                                          × 4
  inter  ℓ(U^i,h^l) + ℓ(U^l,h^i) + ℓ(U^t,h^l) + ℓ(U^l,h^t) + ℓ(U^i,h^t) + ℓ(U^t,h^i)  × 13
  mse    (1/B) Σ_m ‖sg(h^m_g) − h^m_l‖²                                             × 5
  quant  Σ_m ‖½h^m_g + ½h^m_l − B‖² / (B K), B = sign(h^i_g + h^l_g + h^t_g) (detached) × 7
  align  NCE(r̂^i, r̂^l) + NCE(r̂^t, r̂^l) + NCE(r̂^i, r̂^t)                            × 57
(The authors' code also updates banks of the local hashes that no loss reads; they are left out.)
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from cmhash.encoders.base import Features
from cmhash.errors import InputError
from cmhash.losses.contrastive import info_nce
from cmhash.losses.global_local import blended_quantization, global_local_distillation
from cmhash.losses.likelihood import pairwise_likelihood_loss
from cmhash.losses.similarity import hard_similarity
from cmhash.methods.base import FitContext, HashingMethod, ParameterTable
from cmhash.methods.mith import ConceptLearning
from cmhash.methods.token_base import WIDTH, TokenBatch, TokenHashingMethod, float32_outputs
from cmhash.methods.torch_base import NON_NEGATIVE
from cmhash.nn.transformer import BitwiseHashing, PreLNBlock, sinusoidal_positions
from cmhash.training import TrainState

MAX_POSITIONS = 64
BRANCHES = ("image", "text", "label")


def modality_enhanced_attention(label: torch.Tensor, image: torch.Tensor,
                                text: torch.Tensor) -> torch.Tensor:
    """ℓ' of the module docstring, for (B, w) batch matrices."""
    scale = math.sqrt(label.shape[1])
    return (label + torch.softmax(label @ image.T / scale, dim=1) @ image
            + torch.softmax(label @ text.T / scale, dim=1) @ text)


class TokenTransformer(nn.Module):
    """MATH's LCT: positions, 2 pre-LN blocks without a mask, bits averaged over positions."""

    def __init__(self, bits: int, width: int = WIDTH, layers: int = 2, heads: int = 8) -> None:
        super().__init__()
        self.register_buffer("positions", sinusoidal_positions(MAX_POSITIONS, width),
                             persistent=False)
        self.blocks = nn.ModuleList(PreLNBlock(width, heads) for _ in range(layers))
        self.hashing = BitwiseHashing(bits, width, mode="mean_over_positions")

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = tokens + self.positions[: tokens.shape[1]]
        for block in self.blocks:
            x = block(x)
        return torch.tanh(self.hashing(x))


class MATH(TokenHashingMethod):
    """MATH with the authors' defaults (see the module docstring)."""

    name = "math"
    bank_names = BRANCHES  # each branch's global hash U^m_g
    input_spec = replace(TokenHashingMethod.input_spec, label_texts=True)
    _parameter_constraints: ClassVar[ParameterTable] = {
        **TokenHashingMethod._parameter_constraints,
        "intra_weight": NON_NEGATIVE, "inter_weight": NON_NEGATIVE, "mse_weight": NON_NEGATIVE,
        "quantization_weight": NON_NEGATIVE, "contrastive_weight": NON_NEGATIVE,
    }

    def __init__(self, bits: int = 64, *, epochs: int = 30, batch_size: int = 128,
                 lr: float = 1e-3, warmup: float = 0.05, warmup_steps: int | None = None,
                 weight_decay: float = 0.01, precision: str = "float32",
                 intra_weight: float = 4.0, inter_weight: float = 13.0, mse_weight: float = 5.0,
                 quantization_weight: float = 7.0, contrastive_weight: float = 57.0,
                 clip_path: str | None = None, tokenizer_dir: str | None = None,
                 clip_lr: float = 2e-6, normalize_features: bool = True, align_epochs: int = 0,
                 align_lr: float = 1e-3, backbone_lr: float | None = None, device: str = "cpu",
                 random_state: int | None = None) -> None:
        self._store_params(locals())

    def fit(self, image: Features, text: Features, labels: np.ndarray | None = None,
            context: FitContext | None = None) -> HashingMethod:
        context = context or FitContext()
        if context.label_text is None:
            raise InputError("math needs the token features of each training pair's label text")
        if len(context.label_text) != len(image):
            raise InputError(f"label text features have {len(context.label_text)} rows, "
                             f"expected {len(image)}")
        return super().fit(image, text, labels, context)

    # -- networks -----------------------------------------------------------------------------
    def _build(self, dims: dict[str, Any], word_vectors: np.ndarray | None) -> None:
        device = self.torch_device_
        self._build_backbone(dims)
        self.concept_learning_ = ConceptLearning(self.bits).to(device)
        self.transformers_ = nn.ModuleDict(
            {m: TokenTransformer(self.bits) for m in BRANCHES}).to(device)
        self.optimizer_ = self._optimizer([self.concept_learning_, self.transformers_])

    # -- forward ------------------------------------------------------------------------------
    def _branch(self, batch: TokenBatch, branch: str,
                global_features: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        if global_features is None:
            global_features = batch.global_features
        r, h_global = self.concept_learning_(global_features)
        h_local = self.transformers_[branch](batch.tokens)
        return {"global": h_global, "local": h_local, "r": r}

    def _forward_tokens(self, batch: TokenBatch, modality: str) -> torch.Tensor:
        out = self._branch(batch, modality)
        return 0.5 * out["global"] + 0.5 * out["local"]

    # -- training -----------------------------------------------------------------------------
    def _step(self, state: TrainState, rows: torch.Tensor) -> dict[str, float]:
        data = state.data
        for net in self.networks().values():
            net.train()
        with state.autocast():
            image_batch = self.batch(data.image, rows, "image")
            text_batch = self.batch(data.text, rows, "text")
            label_batch = self.batch(data.label_text, rows, "text")
            image = self._branch(image_batch, "image")
            text = self._branch(text_batch, "text")
            enhanced = modality_enhanced_attention(label_batch.global_features,
                                                   image_batch.global_features,
                                                   text_batch.global_features)
            label = self._branch(label_batch, "label", enhanced)
        image, text, label = float32_outputs(image), float32_outputs(text), float32_outputs(label)
        outputs = {"image": image, "text": text, "label": label}
        for branch in BRANCHES:
            state.store(branch, rows, outputs[branch]["global"])
        similarity = hard_similarity(data.labels, data.labels[rows])

        def likelihood(bank: str, codes: str) -> torch.Tensor:
            return pairwise_likelihood_loss(state.buffers[bank], outputs[codes]["global"],
                                            similarity)

        intra = sum(likelihood(m, m) for m in BRANCHES)
        inter = sum(likelihood(a, b) + likelihood(b, a)
                    for a, b in (("image", "label"), ("text", "label"), ("image", "text")))
        mse = sum(global_local_distillation(m["global"], m["local"], feedback=0.0)
                  for m in outputs.values())
        target = torch.sign(image["global"] + label["global"] + text["global"])
        quantization = sum(blended_quantization(m["global"], m["local"], target)
                           for m in outputs.values())
        alignment = (info_nce(image["r"], label["r"]) + info_nce(text["r"], label["r"])
                     + info_nce(image["r"], text["r"]))
        loss = (self.intra_weight * intra + self.inter_weight * inter + self.mse_weight * mse
                + self.quantization_weight * quantization
                + self.contrastive_weight * alignment)
        state.optimise(self.optimizer_, loss)
        return {"total": loss.item(), "intra": intra.item(), "inter": inter.item(),
                "mse": mse.item(),
                "quant": quantization.item(), "align": alignment.item()}
