"""DADH — Deep Adversarial Discrete Hashing (ICMR 2020), as its authors' current code defines it.

Generator: per modality an MLP d → H → H/2 → H/4 (BN, ReLU, optional Dropout 0.5; H =
``hidden`` = 8192 gives the paper's 8192 → 4096 → 2048) to features f, then Linear(H/4 → K) + tanh
to codes h.  Discriminators (Kaiming-normal weights, zero bias, logits): D_f on features
(H/4 → H/8 → H/16 → 1, i.e. 2048 → 1024 → 512 → 1) and D_h on codes (K → 512 → 1).

Per batch (image = "real", text = "fake"; σ the sigmoid):
  1. D_f step: −γ mean log σ(D_f(f_i)) − γ mean log(1 − σ(D_f(f_t))) + 10·GP(f_i, f_t)
  2. D_h step: the same on h_i, h_t
  3. G step:  α (T(h_i→h_t) + T(h_t→h_i)) + β' (‖B_batch − h_i‖² + ‖B_batch − h_t‖²)
              + γ (−mean log σ(D_f(f_t)) − mean log σ(D_h(h̃_t))),  h̃_t = tanh(W_T sg(f̃_t) + b)
     with f̃_t a second forward pass of the text network on the batch (the authors' code)
     T is the cosine triplet of :mod:`cmhash.losses.triplet`; ‖·‖² are sums over the batch.
Epoch end: B ← sign(L P + ½ μ (H_i + H_t)), P = (LᵀL + λI)⁻¹ Lᵀ B, with H_i, H_t the codes of all
training pairs stored during the epoch (:mod:`cmhash.losses.discrete`).
Generator LR ← max(0.8 · LR, 1e-6) after every epoch with epoch % 100 == 0 (0-based; as the code).

Behaviour of the authors' code kept behind named options (their defaults):
  * ``beta_offset = 0.1``: the code adds 0.1 to ``beta`` at start, so β' = β + 0.1 = 1.1;
  * ``weighted_triplet = None``: as the code, at α == 10 the triplet terms carry the NDCG gains
    and the constant c = 10 (β γ + 0.1)² (= 12.1), at any other α no gains and c = β γ + 0.1;
    True / False force the weighted / unweighted form;
  * ``triplet_reduction = "sum"``: the training script sums the triplet terms
    (``TripletLoss(opt, reduction='sum')``); ``"mean_active"`` divides by the active triplets
    (the class's unused default, and cmhash's defect before step 5).
Image features are standardised by one scalar mean and standard deviation (the authors take them
over all splits; here over the training pairs, so the test features stay unseen).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from cmhash.losses.discrete import discrete_code_update
from cmhash.losses.gan import (
    gradient_penalty,
    logistic_discriminator_loss,
    logistic_generator_loss,
)
from cmhash.losses.triplet import TripletReduction, cosine_triplet_loss
from cmhash.methods.base import ParameterTable
from cmhash.methods.torch_base import (
    DECAY,
    NON_NEGATIVE,
    POSITIVE,
    POSITIVE_INT,
    TorchHashingMethod,
)
from cmhash.nn import mlp_stack
from cmhash.training import Phase, TrainState, decay_learning_rates
from cmhash.utils.validation import Interval, Options

GRADIENT_PENALTY_WEIGHT = 10.0


def _kaiming(module: nn.Module) -> nn.Module:
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_normal_(layer.weight)
            nn.init.zeros_(layer.bias)
    return module


class Generator(nn.Module):
    """Feature MLPs and hash layers of both modalities."""

    def __init__(self, image_dim: int, text_dim: int, hidden: int, bits: int,
                 dropout: bool) -> None:
        super().__init__()
        widths = [hidden, hidden // 2, hidden // 4]
        rate = 0.5 if dropout else 0.0
        self.image = mlp_stack([image_dim, *widths], "relu", rate)
        self.text = mlp_stack([text_dim, *widths], "relu", rate)
        self.image_hash = nn.Linear(widths[-1], bits)
        self.text_hash = nn.Linear(widths[-1], bits)


class DADH(TorchHashingMethod):
    """DADH with the authors' MIRFlickr defaults (see the module docstring)."""

    name = "dadh"
    min_batch_rows = 2  # BatchNorm in the MLPs
    optimizer_names = ("generator_optimizer_", "feature_d_optimizer_", "hash_d_optimizer_")
    _parameter_constraints: ClassVar[ParameterTable] = {
        **TorchHashingMethod._parameter_constraints,
        "hidden": [Interval(int, 16)],  # the feature critic narrows H/4 to H/16
        "epochs": POSITIVE_INT, "batch_size": POSITIVE_INT, "lr": POSITIVE,
        "alpha": NON_NEGATIVE, "beta": NON_NEGATIVE, "gamma": NON_NEGATIVE,
        "beta_offset": [Interval(float)],
        "weighted_triplet": [bool, None],
        "triplet_reduction": [Options("sum", "mean_active")],
        "margin": NON_NEGATIVE, "lam": POSITIVE, "mu": NON_NEGATIVE,
        "dropout": [bool],
        "lr_decay_every": POSITIVE_INT, "lr_decay": DECAY,
        "lr_floor": NON_NEGATIVE,
        "per_sample_penalty": [bool],
    }
    normalisation: ClassVar[dict[str, str]] = {
        "standardize": "(mean, std) of the training image features, which standardise them"}

    def __init__(self, bits: int = 64, *, hidden: int = 8192, epochs: int = 300,
                 batch_size: int = 128, lr: float = 5e-5, alpha: float = 10.0,
                 beta: float = 1.0, gamma: float = 1.0, beta_offset: float = 0.1,
                 weighted_triplet: bool | None = None,
                 triplet_reduction: TripletReduction = "sum", margin: float = 0.4,
                 lam: float = 1.0,
                 mu: float = 1e-5, dropout: bool = False, lr_decay_every: int = 100,
                 lr_decay: float = 0.8, lr_floor: float = 1e-6,
                 per_sample_penalty: bool = False, device: str = "cpu",
                 random_state: int | None = None) -> None:
        self._store_params(locals())

    @property
    def ndcg_weighted(self) -> bool:
        """Whether the triplet terms carry NDCG gains: at α == 10 unless forced."""
        return self.alpha == 10 if self.weighted_triplet is None else self.weighted_triplet

    @property
    def triplet_constant(self) -> float:
        """c = 10 (β γ + 0.1)² for the weighted triplet, β γ + 0.1 for the unweighted one."""
        c = self.beta * self.gamma + 0.1
        return 10 * c ** 2 if self.ndcg_weighted else c

    # -- networks -----------------------------------------------------------------------------
    def _build(self, dims: dict[str, Any], word_vectors: np.ndarray | None) -> None:
        device = self.torch_device_
        feature = self.hidden // 4
        self.generator_ = Generator(dims["image"], dims["text"], self.hidden, self.bits,
                                    self.dropout).to(device)
        self.feature_d_ = _kaiming(nn.Sequential(
            nn.Linear(feature, feature // 2), nn.ReLU(), nn.Linear(feature // 2, feature // 4),
            nn.ReLU(), nn.Linear(feature // 4, 1))).to(device)
        self.hash_d_ = _kaiming(nn.Sequential(nn.Linear(self.bits, 512), nn.ReLU(),
                                              nn.Linear(512, 1))).to(device)
        self.generator_optimizer_ = torch.optim.Adam(self.generator_.parameters(), lr=self.lr,
                                                     weight_decay=5e-4)
        self.feature_d_optimizer_ = torch.optim.Adam(self.feature_d_.parameters(), lr=self.lr,
                                                     betas=(0.5, 0.9), weight_decay=1e-4)
        self.hash_d_optimizer_ = torch.optim.Adam(self.hash_d_.parameters(), lr=self.lr,
                                                  betas=(0.5, 0.9), weight_decay=1e-4)
        self.standardize_ = torch.tensor([0.0, 1.0], device=device)

    def networks(self) -> dict[str, nn.Module]:
        return {"generator": self.generator_, "feature_d": self.feature_d_,
                "hash_d": self.hash_d_}

    def model_state(self) -> dict[str, Any]:
        return {**super().model_state(), "standardize": self.standardize_}

    def load_model_state(self, state: dict[str, Any]) -> None:
        super().load_model_state({k: v for k, v in state.items() if k != "standardize"})
        self.standardize_ = state["standardize"].to(self.torch_device_)

    # -- training -----------------------------------------------------------------------------
    def phases(self) -> list[Phase]:
        return [Phase("dadh", self.epochs, self.batch_size, self._step,
                      row_buffers=self._row_buffers, on_start=self._start,
                      on_epoch_end=self._epoch_end)]

    def _row_buffers(self, state: TrainState) -> dict[str, torch.Tensor]:
        """B = sign of a standard normal draw; H_i, H_t zeros."""
        n, device = len(state.data), state.device
        return {"codes": torch.sign(torch.randn(n, self.bits, device=device)),
                "image_codes": torch.zeros(n, self.bits, device=device),
                "text_codes": torch.zeros(n, self.bits, device=device)}

    def _start(self, state: TrainState) -> None:
        image = state.data.image
        self.standardize_ = torch.stack([image.mean(), image.std()])

    def _features(self, x: torch.Tensor, modality: str) -> torch.Tensor:
        g = self.generator_
        if modality == "image":
            return g.image((x - self.standardize_[0]) / self.standardize_[1])
        return g.text(x)

    def _step(self, state: TrainState, rows: torch.Tensor) -> dict[str, float]:
        g, data = self.generator_, state.data
        g.train()
        labels = data.labels[rows]
        f_image = self._features(data.image[rows], "image")
        f_text = self._features(data.text[rows], "text")
        h_image, h_text = torch.tanh(g.image_hash(f_image)), torch.tanh(g.text_hash(f_text))
        state.store("image_codes", rows, h_image)
        state.store("text_codes", rows, h_text)
        # h̃_t from a second pass of the text network, as the authors' generate_txt_code: its
        # BatchNorm statistics move twice per step and, with dropout, it draws its own mask
        h_text_detached = torch.tanh(g.text_hash(self._features(data.text[rows], "text")
                                                 .detach()))

        d_terms = {}
        for name, critic, optimizer, real, fake in (
                ("d_feature", self.feature_d_, self.feature_d_optimizer_, f_image, f_text),
                ("d_hash", self.hash_d_, self.hash_d_optimizer_, h_image, h_text)):
            loss = logistic_discriminator_loss(critic(real.detach()), critic(fake.detach()),
                                               self.gamma) + GRADIENT_PENALTY_WEIGHT * \
                gradient_penalty(critic, real, fake, per_sample=self.per_sample_penalty)
            state.optimise(optimizer, loss)
            d_terms[name] = loss.item()

        options = dict(margin=self.margin, constant=self.triplet_constant,
                       ndcg_weighted=self.ndcg_weighted, reduction=self.triplet_reduction)
        triplet = (cosine_triplet_loss(h_image, h_text, labels, **options)
                   + cosine_triplet_loss(h_text, h_image, labels, **options))
        codes = state.buffers["codes"][rows]
        quantization = ((codes - h_image) ** 2).sum() + ((codes - h_text) ** 2).sum()
        adversarial = logistic_generator_loss(self.feature_d_(f_text)) + \
            logistic_generator_loss(self.hash_d_(h_text_detached))
        loss = (self.alpha * triplet + (self.beta + self.beta_offset) * quantization
                + self.gamma * adversarial)
        state.optimise(self.generator_optimizer_, loss)
        return {**d_terms, "triplet": triplet.item(), "quantization": quantization.item(),
                "adversarial": adversarial.item()}

    def _epoch_end(self, state: TrainState) -> None:
        buffers = state.buffers
        buffers["codes"] = discrete_code_update(state.data.labels, buffers["codes"],
                                                buffers["image_codes"], buffers["text_codes"],
                                                self.lam, self.mu)
        if state.epoch % self.lr_decay_every == 0:
            decay_learning_rates(self.generator_optimizer_, self.lr_decay, self.lr_floor)

    # -- encoding -----------------------------------------------------------------------------
    def _forward(self, x: torch.Tensor, modality: str) -> torch.Tensor:
        head = self.generator_.image_hash if modality == "image" else self.generator_.text_hash
        return torch.tanh(head(self._features(x, modality)))
