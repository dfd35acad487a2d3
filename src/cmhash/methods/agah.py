"""AGAH — Adversary Guided Asymmetric Hashing (ICMR 2019), as its authors' code defines it, on
frozen features.

Networks (PyTorch's default initialisation, as the code):
  image  Linear(d_image → E) + ReLU: the layer the authors put after CNN-F's fc7 (their
         ``full_conv8``, 4096 → 512); the fine-tuned CNN-F itself is replaced by the frozen feature.
  text   d_text → H → H/2 → E, ReLU after each (H = ``hidden`` = 8192 gives the authors'
         1386 → 8192 → 4096 → 512 of 1×1 convolutions); E = ``embedding`` = 512.
  Features f are divided by the Frobenius norm of their whole batch, a detached scalar (the
  code's ``f / sqrt(sum(f²))``; ``feature_norm="row"`` divides each row by its own norm), then
  mixed with the label feature map F (C × E):
      g = λ f + (1 − λ) a,   a = σ(5 f Fᵀ) F / Σ_c σ(5 f Fᵀ)_c       (:func:`label_attention`)
  Heads on g per modality: codes h = tanh(W_h g + b), label probabilities p = σ(W_c g + b).
  Critics D_I, D_T on features: E → E → 256 → 1 with ReLUs and no output activation.

Per batch (the text critic first; f_I, f_T features, h_I, h_T codes, T the cosine triplet of
:mod:`cmhash.losses.triplet`, summed; the other terms are in :mod:`cmhash.losses.quantization`,
:mod:`~cmhash.losses.classification`, :mod:`~cmhash.losses.label_maps` and
:mod:`~cmhash.losses.gan`):
  1. D_T step: −mean D_T(f_T) + mean D_T(f_I) + 10·GP(f_T, f_I)
  2. D_I step: −mean D_I(f_I) + mean D_I(f_T) + 10·GP(f_I, f_T)
  3. G step:   T(h_I→h_T) + T(h_T→h_I) + α Σ_m Q_cos(h_m) + β Σ_m L_cls(p_m) + γ Σ_m L_M(h_m)
               + η Σ_m Q_sign(h_m) + μ (−mean D_T(f_I) − mean D_I(f_T)),   m ∈ {I, T}
Epoch end: M ← update_code_map(U, V, M, L), then F ← update_feature_map(f^I, f^T, L), from the
codes U, V and features f^I, f^T of all training pairs stored during the epoch; then every LR of
the generator's optimiser ← max(0.6 · LR, 1e-6) after each epoch with epoch % 100 == 0 (0-based,
as the code).  F starts as a standard normal matrix (not normalised), M as its signs.

Optimisers (Adamax): the network with weight decay 5e-4, the image layer at ``lr`` (1e-4, the
authors' CNN rate) and the text network, hash and classifier heads at 10 · lr; each critic at
10 · lr with betas (0.5, 0.9) and weight decay 1e-4.

Variant (not in the authors' code): ``standardize_inputs=True`` standardises every input column
by the mean and deviation of the training pairs before the networks (a column of deviation 0
is only centred), and the model keeps them.  On Wiki's stored features (non-negative SIFT BoVW
histograms and LDA topic proportions) the authors' AGAH gives every training item the same
code from 32 bits on; this alone lets it learn (``benchmarks.studies.agah_collapse``).

Codes: sign(h) from the features of consecutive ``batch_size`` rows normalised together (the
authors' test loader batches, aligned to them when ``batch_size`` divides cmhash's encoding block
of 4,096 rows) and the feature map of the selected epoch, which the saved model holds.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from cmhash.inputs import MODALITIES
from cmhash.losses.classification import label_bce_loss
from cmhash.losses.gan import (
    gradient_penalty,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from cmhash.losses.label_maps import code_map_loss, update_code_map, update_feature_map
from cmhash.losses.quantization import cosine_quantization_loss, sign_quantization_loss
from cmhash.losses.triplet import cosine_triplet_loss
from cmhash.methods.base import ParameterTable
from cmhash.methods.torch_base import (
    DECAY,
    FRACTION,
    NON_NEGATIVE,
    POSITIVE,
    POSITIVE_INT,
    TorchHashingMethod,
)
from cmhash.training import Phase, TrainState, decay_learning_rates
from cmhash.utils.validation import Interval, Options

GRADIENT_PENALTY_WEIGHT = 10.0
ATTENTION_SCALE = 5.0
LR_MULTIPLIER = 10.0
CRITIC_WIDTH = 256
FEATURE_NORMS = ("batch", "row")


def normalize_features(features: torch.Tensor, mode: str = "batch") -> torch.Tensor:
    """f / ‖f‖_F over the whole batch ("batch", the authors' code) or f_i / ‖f_i‖₂ per row
    ("row"); the divisor is detached, and an all-zero divisor leaves zeros."""
    detached = features.detach()
    norm = detached.norm() if mode == "batch" else detached.norm(dim=1, keepdim=True)
    return features / norm.clamp_min(torch.finfo(features.dtype).tiny)


def label_attention(features: torch.Tensor, feature_map: torch.Tensor,
                    lam: float) -> torch.Tensor:
    """g = λ f + (1 − λ) σ(5 f Fᵀ) F / Σ_c σ(5 f Fᵀ)_c for features (B, E), feature map (C, E)."""
    weights = torch.sigmoid(ATTENTION_SCALE * features @ feature_map.T)  # (B, C)
    attended = weights @ feature_map / weights.sum(dim=1, keepdim=True)
    return lam * features + (1 - lam) * attended


class Network(nn.Module):
    """Feature layers, hash heads and classifier heads of both modalities."""

    def __init__(self, image_dim: int, text_dim: int, hidden: int, embedding: int, bits: int,
                 n_labels: int) -> None:
        super().__init__()
        self.image = nn.Sequential(nn.Linear(image_dim, embedding), nn.ReLU())
        self.text = nn.Sequential(nn.Linear(text_dim, hidden), nn.ReLU(),
                                  nn.Linear(hidden, hidden // 2), nn.ReLU(),
                                  nn.Linear(hidden // 2, embedding), nn.ReLU())
        self.hash = nn.ModuleDict({m: nn.Linear(embedding, bits) for m in ("image", "text")})
        self.classifier = nn.ModuleDict({m: nn.Linear(embedding, n_labels)
                                         for m in ("image", "text")})


def _critic(embedding: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(embedding, embedding), nn.ReLU(),
                         nn.Linear(embedding, CRITIC_WIDTH), nn.ReLU(),
                         nn.Linear(CRITIC_WIDTH, 1), nn.Flatten(0))


class AGAH(TorchHashingMethod):
    """AGAH with the authors' MIRFlickr defaults (see the module docstring)."""

    name = "agah"
    optimizer_names = ("optimizer_", "image_critic_optimizer_", "text_critic_optimizer_")
    _parameter_constraints: ClassVar[ParameterTable] = {
        **TorchHashingMethod._parameter_constraints,
        "hidden": [Interval(int, 2)],  # the text network narrows H to H/2
        "embedding": POSITIVE_INT, "epochs": POSITIVE_INT, "batch_size": POSITIVE_INT,
        "lr": POSITIVE,
        "alpha": NON_NEGATIVE, "beta": NON_NEGATIVE, "gamma": NON_NEGATIVE,
        "eta": NON_NEGATIVE, "mu": NON_NEGATIVE,
        "lam": FRACTION,  # the attention mix
        "margin": NON_NEGATIVE,
        "lr_decay_every": POSITIVE_INT, "lr_decay": DECAY,
        "lr_floor": NON_NEGATIVE,
        "feature_norm": [Options(*FEATURE_NORMS)],
        "standardize_inputs": [bool],
    }
    normalisation: ClassVar[dict[str, str]] = {
        f"input_scale_{m}": f"(mean, deviation) of every training {m} column, which "
                            "standardise the inputs (identity unless standardize_inputs)"
        for m in MODALITIES}

    def __init__(self, bits: int = 64, *, hidden: int = 8192, embedding: int = 512,
                 epochs: int = 300, batch_size: int = 128, lr: float = 1e-4,
                 alpha: float = 1.0, beta: float = 0.0, gamma: float = 1e-3, eta: float = 1.0,
                 mu: float = 1.0, lam: float = 0.8, margin: float = 0.3,
                 lr_decay_every: int = 100, lr_decay: float = 0.6, lr_floor: float = 1e-6,
                 feature_norm: str = "batch", standardize_inputs: bool = False,
                 device: str = "cpu",
                 random_state: int | None = None) -> None:
        self._store_params(locals())

    # -- networks -----------------------------------------------------------------------------
    def _build(self, dims: dict[str, Any], word_vectors: np.ndarray | None) -> None:
        device = self.torch_device_
        self.network_ = Network(dims["image"], dims["text"], self.hidden, self.embedding,
                                self.bits, dims["labels"]).to(device)
        self.image_critic_ = _critic(self.embedding).to(device)
        self.text_critic_ = _critic(self.embedding).to(device)
        net, fast = self.network_, self.lr * LR_MULTIPLIER
        self.optimizer_ = torch.optim.Adamax([
            {"params": net.image.parameters(), "lr": self.lr},
            {"params": net.text.parameters()},
            {"params": net.hash.parameters()},
            {"params": net.classifier.parameters()}], lr=fast, weight_decay=5e-4)
        self.image_critic_optimizer_ = torch.optim.Adamax(
            self.image_critic_.parameters(), lr=fast, betas=(0.5, 0.9), weight_decay=1e-4)
        self.text_critic_optimizer_ = torch.optim.Adamax(
            self.text_critic_.parameters(), lr=fast, betas=(0.5, 0.9), weight_decay=1e-4)
        self.feature_map_ = torch.zeros(dims["labels"], self.embedding, device=device)
        self.input_scale_ = {m: torch.stack([torch.zeros(dims[m], device=device),
                                             torch.ones(dims[m], device=device)])
                             for m in MODALITIES}

    def networks(self) -> dict[str, nn.Module]:
        return {"network": self.network_, "image_critic": self.image_critic_,
                "text_critic": self.text_critic_}

    def model_state(self) -> dict[str, Any]:
        return {**super().model_state(), "feature_map": self.feature_map_,
                **{f"input_scale_{m}": scale for m, scale in self.input_scale_.items()}}

    def load_model_state(self, state: dict[str, Any]) -> None:
        super().load_model_state(state)
        device = self.torch_device_
        self.feature_map_ = state["feature_map"].to(device)
        # a model saved before standardize_inputs existed has no scales: it fed inputs as given,
        # as the identity scales that _build set
        self.input_scale_ = {m: state[f"input_scale_{m}"].to(device)
                             if f"input_scale_{m}" in state else self.input_scale_[m]
                             for m in MODALITIES}

    def buffers(self) -> dict[str, torch.Tensor]:
        return {"code_map": self.code_map_}

    # -- training -----------------------------------------------------------------------------
    def phases(self) -> list[Phase]:
        return [Phase("agah", self.epochs, self.batch_size, self._step,
                      row_buffers=self._row_buffers, on_start=self._start,
                      on_epoch_end=self._epoch_end)]

    def _row_buffers(self, state: TrainState) -> dict[str, torch.Tensor]:
        """The features and codes of every training pair, zeros until its batch stores them."""
        n, device = len(state.data), state.device
        return {"image_features": torch.zeros(n, self.embedding, device=device),
                "text_features": torch.zeros(n, self.embedding, device=device),
                "image_codes": torch.zeros(n, self.bits, device=device),
                "text_codes": torch.zeros(n, self.bits, device=device)}

    def _start(self, state: TrainState) -> None:
        n_labels = self.dims_["labels"]
        self.feature_map_ = torch.randn(n_labels, self.embedding, device=state.device)
        self.code_map_ = torch.sign(torch.randn(n_labels, self.bits, device=state.device))
        if self.standardize_inputs:
            for m, x in (("image", state.data.image), ("text", state.data.text)):
                deviation = x.std(dim=0)
                self.input_scale_[m] = torch.stack(
                    [x.mean(dim=0), torch.where(deviation > 0, deviation, 1.0)])

    def _features(self, x: torch.Tensor, modality: str) -> torch.Tensor:
        layers = self.network_.image if modality == "image" else self.network_.text
        mean, deviation = self.input_scale_[modality]
        return normalize_features(layers((x - mean) / deviation), self.feature_norm)

    def _mixed(self, features: torch.Tensor) -> torch.Tensor:
        return label_attention(features, self.feature_map_, self.lam)

    def _step(self, state: TrainState, rows: torch.Tensor) -> dict[str, float]:
        net, data = self.network_, state.data
        labels = data.labels[rows]
        f_image = self._features(data.image[rows], "image")
        f_text = self._features(data.text[rows], "text")
        g_image, g_text = self._mixed(f_image), self._mixed(f_text)
        h_image = torch.tanh(net.hash["image"](g_image))
        h_text = torch.tanh(net.hash["text"](g_text))
        for name, values in (("image_features", f_image), ("text_features", f_text),
                             ("image_codes", h_image), ("text_codes", h_text)):
            state.store(name, rows, values)

        terms = {}
        for name, critic, optimizer, real, fake in (
                ("d_text", self.text_critic_, self.text_critic_optimizer_, f_text, f_image),
                ("d_image", self.image_critic_, self.image_critic_optimizer_, f_image, f_text)):
            loss = wasserstein_critic_loss(critic(real.detach()), critic(fake.detach())) + \
                GRADIENT_PENALTY_WEIGHT * gradient_penalty(critic, real, fake)
            state.optimise(optimizer, loss)
            terms[name] = loss.item()

        p_image = torch.sigmoid(net.classifier["image"](g_image))
        p_text = torch.sigmoid(net.classifier["text"](g_text))
        generator_terms = {
            "triplet": cosine_triplet_loss(h_image, h_text, labels, margin=self.margin,
                                           reduction="sum")
            + cosine_triplet_loss(h_text, h_image, labels, margin=self.margin, reduction="sum"),
            "cosine_quantization": cosine_quantization_loss(h_image)
            + cosine_quantization_loss(h_text),
            "classification": label_bce_loss(p_image, labels) + label_bce_loss(p_text, labels),
            "code_map": code_map_loss(h_image, self.code_map_, labels)
            + code_map_loss(h_text, self.code_map_, labels),
            "quantization": sign_quantization_loss(h_image) + sign_quantization_loss(h_text),
            "adversarial": wasserstein_generator_loss(self.text_critic_(f_image))
            + wasserstein_generator_loss(self.image_critic_(f_text)),
        }
        weights = {"triplet": 1.0, "cosine_quantization": self.alpha,
                   "classification": self.beta, "code_map": self.gamma,
                   "quantization": self.eta, "adversarial": self.mu}
        loss = sum(weights[name] * term for name, term in generator_terms.items())
        state.optimise(self.optimizer_, loss)
        return {**terms, **{name: term.item() for name, term in generator_terms.items()}}

    def _epoch_end(self, state: TrainState) -> None:
        buffers, labels = state.buffers, state.data.labels
        self.code_map_ = update_code_map(buffers["image_codes"], buffers["text_codes"],
                                         self.code_map_, labels)
        self.feature_map_ = update_feature_map(buffers["image_features"],
                                               buffers["text_features"], labels)
        if state.epoch % self.lr_decay_every == 0:
            decay_learning_rates(self.optimizer_, self.lr_decay, self.lr_floor)

    # -- encoding -----------------------------------------------------------------------------
    def _forward(self, x: torch.Tensor, modality: str) -> torch.Tensor:
        head = self.network_.hash[modality]
        return torch.cat([torch.tanh(head(self._mixed(self._features(chunk, modality))))
                          for chunk in x.split(self.batch_size)])
