"""MITH — Multi-granularity Interactive Transformer Hashing (ACM MM 2023).

Inputs per modality: a global feature g and tokens x_1..x_L with a mask, from a backbone
(:mod:`cmhash.methods.backbones`): frozen encoders' cached tokens (EfficientNet-Lite0 7 × 7
grid, MiniLM word pieces), each modality layer-normalised and linearly projected to the width
w = 512, or CLIP fine-tuned end to end (``clip_path``).  For a text the mask hides padding and
the end token.

GCL (one module shared by both modalities): r = ResMLP(g), h_g = tanh(W_c r) with a bias-free
concept embedding W_c ∈ R^{K×w}; concept scores of every token s_l = tanh(W_c ResMLP(x_l)),
without gradient.
LTA: K concept tokens from the tokens (:func:`localized_token_aggregation`, top-8 scores per token,
softmax over tokens, masked tokens excluded).
LCT (per modality): + sinusoidal positions (÷√w), 2-layer pre-LN transformer (8 heads, QuickGELU),
bitwise hashing h_l,k = tanh(w_kᵀ c_k + b_k) as one einsum; p_k = normalize(P c_k) for the
token-wise contrastive term.  Code: b = sign(h_g + h_l).

Loss per batch, with memory banks U (N × K, initialised randn, batch rows overwritten with the
detached outputs before the loss), S = 1[L_train L_batchᵀ > 0] and ℓ the pairwise likelihood
(:mod:`cmhash.losses.likelihood`, θ = ½ U hᵀ; ``likelihood_scale`` replaces the ½, for ablations):
  intra  ℓ(U^i_l, h^i_l, S) + ℓ(U^t_l, h^t_l, S)                                    × 1
  inter  ℓ(U^i_g, h^t_g, S) + ℓ(U^t_g, h^i_g, S)                                    × 10
  quant  (‖H^i − B‖² + ‖H^t − B‖²) / (B K), H = ½h_g + ½h_l,
         B = sign(λ h^i_g + (1 − λ) h^i_l + λ h^t_g + (1 − λ) h^t_l), λ = 0.99 (detached) × 8
  align  NCE(r̂^i, r̂^t) + α NCE_tok(p^i, p^t), α = 0.01                              × 50
  distil (1/B) Σ_m [‖sg(h^m_g) − h^m_l‖² + 0.1 ‖h^m_g − sg(h^m_l)‖²]                 × 1
Optimiser: BertAdam (lr 1e-3, warm-up 5 % then cosine on absolute progress, weight decay 0.01,
per-tensor clipping at 1), 30 epochs, batch 128.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cmhash.losses.contrastive import info_nce, token_info_nce
from cmhash.losses.global_local import blended_quantization, global_local_distillation
from cmhash.losses.likelihood import pairwise_likelihood_loss
from cmhash.losses.similarity import hard_similarity
from cmhash.methods.base import ParameterTable
from cmhash.methods.token_base import WIDTH, TokenBatch, TokenHashingMethod, float32_outputs
from cmhash.methods.torch_base import FRACTION, NON_NEGATIVE, POSITIVE, POSITIVE_INT
from cmhash.nn.transformer import (
    BitwiseHashing,
    PreLNBlock,
    ResMLP,
    localized_token_aggregation,
    sinusoidal_positions,
)
from cmhash.training import TrainState

#: the memory banks (modality, level of the hash), in the order of their one random draw
BANKS = ("image_global", "text_global", "image_local", "text_local")


class ConceptLearning(nn.Module):
    """GCL: ResMLP + bias-free concept embedding, shared by the modalities."""

    def __init__(self, bits: int, width: int = WIDTH) -> None:
        super().__init__()
        self.resmlp = ResMLP(width)
        self.concepts = nn.Linear(width, bits, bias=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (…, w) → (ResMLP output r, tanh(W_c r))."""
        r = self.resmlp(x)
        return r, torch.tanh(self.concepts(r))


class ConceptTransformer(nn.Module):
    """LCT of one modality: positions, 2 pre-LN blocks, bitwise hashing, token projection."""

    def __init__(self, bits: int, width: int = WIDTH, layers: int = 2, heads: int = 8) -> None:
        super().__init__()
        self.register_buffer("positions", sinusoidal_positions(bits, width), persistent=False)
        self.blocks = nn.ModuleList(PreLNBlock(width, heads) for _ in range(layers))
        self.hashing = BitwiseHashing(bits, width)
        self.token_projection = nn.Linear(width, width)

    def forward(self, concept_tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = concept_tokens + self.positions[: concept_tokens.shape[1]]
        for block in self.blocks:
            x = block(x)
        return torch.tanh(self.hashing(x)), F.normalize(self.token_projection(x), dim=2)


class MITH(TokenHashingMethod):
    """MITH with the authors' defaults (see the module docstring)."""

    name = "mith"
    bank_names = BANKS
    _parameter_constraints: ClassVar[ParameterTable] = {
        **TokenHashingMethod._parameter_constraints,
        "top_k": POSITIVE_INT,  # concept scores kept per token
        "intra_weight": NON_NEGATIVE, "inter_weight": NON_NEGATIVE,
        "quantization_weight": NON_NEGATIVE, "quantization_lambda": FRACTION,
        "contrastive_weight": NON_NEGATIVE, "token_contrastive_alpha": NON_NEGATIVE,
        "distillation_weight": NON_NEGATIVE, "feedback": NON_NEGATIVE,
        "likelihood_scale": POSITIVE,
    }

    def __init__(self, bits: int = 64, *, epochs: int = 30, batch_size: int = 128,
                 lr: float = 1e-3, warmup: float = 0.05, warmup_steps: int | None = None,
                 weight_decay: float = 0.01, precision: str = "float32",
                 top_k: int = 8, intra_weight: float = 1.0, inter_weight: float = 10.0,
                 quantization_weight: float = 8.0, quantization_lambda: float = 0.99,
                 contrastive_weight: float = 50.0, token_contrastive_alpha: float = 0.01,
                 distillation_weight: float = 1.0, feedback: float = 0.1,
                 likelihood_scale: float = 0.5, clip_path: str | None = None,
                 tokenizer_dir: str | None = None, clip_lr: float = 2e-6,
                 normalize_features: bool = True, align_epochs: int = 0,
                 align_lr: float = 1e-3, backbone_lr: float | None = None, device: str = "cpu",
                 random_state: int | None = None) -> None:
        self._store_params(locals())

    # -- networks -----------------------------------------------------------------------------
    def _build(self, dims: dict[str, Any], word_vectors: np.ndarray | None) -> None:
        device = self.torch_device_
        self._build_backbone(dims)
        self.concept_learning_ = ConceptLearning(self.bits).to(device)
        self.transformers_ = nn.ModuleDict(
            {m: ConceptTransformer(self.bits) for m in ("image", "text")}).to(device)
        self.optimizer_ = self._optimizer([self.concept_learning_, self.transformers_])

    # -- the forward pass ---------------------------------------------------------------------
    def _hashes(self, batch: TokenBatch, modality: str) -> dict[str, torch.Tensor]:
        """h_g, h_l, r (ResMLP output of the global feature) and p (concept tokens)."""
        r, h_global = self.concept_learning_(batch.global_features)
        with torch.no_grad():
            scores = self.concept_learning_(batch.tokens)[1]
        concept_tokens = localized_token_aggregation(scores, batch.tokens, batch.mask,
                                                     self.top_k)
        h_local, p = self.transformers_[modality](concept_tokens)
        return {"global": h_global, "local": h_local, "r": r, "p": p}

    def _forward_tokens(self, batch: TokenBatch, modality: str) -> torch.Tensor:
        out = self._hashes(batch, modality)
        return out["global"] + out["local"]

    # -- training -----------------------------------------------------------------------------
    def _step(self, state: TrainState, rows: torch.Tensor) -> dict[str, float]:
        data = state.data
        for net in self.networks().values():
            net.train()
        with state.autocast():
            image = self._hashes(self.batch(data.image, rows, "image"), "image")
            text = self._hashes(self.batch(data.text, rows, "text"), "text")
        image, text = float32_outputs(image), float32_outputs(text)
        outputs = {"image": image, "text": text}
        for name in BANKS:
            modality, level = name.split("_")
            state.store(name, rows, outputs[modality][level])
        bank_image_g, bank_text_g, bank_image_l, bank_text_l = (state.buffers[name]
                                                                for name in BANKS)
        similarity = hard_similarity(data.labels, data.labels[rows])

        def likelihood(bank: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
            return pairwise_likelihood_loss(bank, codes, similarity, self.likelihood_scale)

        intra = likelihood(bank_image_l, image["local"]) + likelihood(bank_text_l, text["local"])
        inter = likelihood(bank_image_g, text["global"]) + likelihood(bank_text_g, image["global"])
        lam = self.quantization_lambda
        with torch.no_grad():
            target = torch.sign(lam * image["global"] + (1 - lam) * image["local"]
                                + lam * text["global"] + (1 - lam) * text["local"])
        quantization = sum(blended_quantization(m["global"], m["local"], target)
                           for m in (image, text))
        alignment = info_nce(image["r"], text["r"]) + \
            self.token_contrastive_alpha * token_info_nce(image["p"], text["p"])
        distillation = sum(global_local_distillation(m["global"], m["local"], self.feedback)
                           for m in (image, text))
        loss = (self.intra_weight * intra + self.inter_weight * inter
                + self.quantization_weight * quantization
                + self.contrastive_weight * alignment
                + self.distillation_weight * distillation)
        state.optimise(self.optimizer_, loss)
        return {"total": loss.item(), "intra": intra.item(), "inter": inter.item(),
                "quant": quantization.item(),
                "align": alignment.item(), "distil": distillation.item()}
