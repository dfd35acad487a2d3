"""HMAH — Hierarchical Message Aggregation Hashing (teacher–student; IEEE TMM 2022).

Teacher (HGCN), per batch of B pairs with labels L:
  U = image MLP(x) ∈ R^512 (→2048→1024→512, BN, tanh);  V = text MLP(E t) ∈ R^512 with E a
  GloVe-initialised Linear(d_text → 300) (→512→512, BN, tanh).
  A = tanh(½ L Lᵀ), Â = D⁻¹A;  C = [[I, A], [A, I]], Ĉ = D⁻¹C.
  GC(X, Â) = Â · (dropout(X) · W), W ∈ R^{512 × K/4}: intra-modal GC_img(U, Â), GC_txt(V, Â) and
  a cross-modal GC([U; V], Ĉ) whose two halves are Z_I^x, Z_T^x; four Linear(K/4 → K/4) + tanh
  heads give H = [h_I | h_I^x | h_T | h_T^x] ∈ (−1, 1)^{B × K}.
  Discriminator D: K → 64 → 32 → 1.  Per batch one D step then ``generator_steps`` G steps:
    L_D = mse(D(z), 1) + mse(D(H), 0),  z ~ N(0, I_K)
    L_G = g·mse(D(H), 1) + b·mse(H, sign H) + s·mse(Ĥ Ĥᵀ, A)
Teacher codes H^T of every training pair: eval mode, training order, batches of ``batch_size``.
Students: image MLP (→2048→512→K, BN, tanh), text (own GloVe Linear → 512 → K, BN, tanh),
  fusion f = w ⊙ h^I + (1 − w) ⊙ h^T with w ∈ R^K initialised to 0.5.  With Bt = sign(H^T),
  H^T_I / H^T_T its first / second half of bits and cos(X, Y) = X̂ Ŷᵀ:
    L_b = mse(h^I, Bt) + mse(h^T, Bt) + mse(f, Bt)
    L_s = mse(cos h^I, cos H^T_I) + mse(cos h^T, cos H^T_T) + mse(cos f, cos H^T)
          + mse(cos(h^I, h^T), cos H^T)
    L = b_stu·L_b + s_stu·L_s;  BatchNorm frozen (eval) from epoch ``freeze_bn_epoch`` on.
Codes: query image sign(h^I(x)), query text sign(h^T(t)); database either per modality the
same way (``database="standard"``) or HMAH's own ``"fused"``: sign(f(x, t)) of the pair for both
directions, so I→T and T→I rank the same fused codes.

Inputs here are any image feature (the paper: 4096-d CNN features) and a text feature; word
vectors initialise E when the text feature is a bag of words with a vocabulary (MIRFlickr: the
dataset's 300-d GloVe rows; other vocabularies: GloVe 50-d, so E has width 50); otherwise E is
a randomly initialised Linear(d_text → 300).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from cmhash.codes import Codes
from cmhash.errors import InputError
from cmhash.losses.gan import lsgan_discriminator_loss, lsgan_generator_loss
from cmhash.losses.mse_terms import code_mse, quantization_mse, similarity_mse
from cmhash.losses.similarity import (
    cosine_matrix,
    cross_adjacency,
    row_normalize,
    tanh_affinity,
)
from cmhash.methods.base import ParameterTable
from cmhash.methods.torch_base import (
    NON_NEGATIVE,
    POSITIVE,
    POSITIVE_INT,
    TorchHashingMethod,
)
from cmhash.nn import GraphConvolution, mlp_stack, word_embedding
from cmhash.training import Phase, TrainState
from cmhash.utils.validation import Interval, Options

EMBEDDING_WIDTH = 300
COMMON_WIDTH = 512


class TextBranch(nn.Module):
    """Word embedding E (Linear over the text feature, ``width`` wide, initialised with the
    word vectors where there are some) followed by an MLP stack."""

    def __init__(self, text_dim: int, width: int, word_vectors: np.ndarray | None,
                 widths: list[int]) -> None:
        super().__init__()
        self.embedding = word_embedding(text_dim, width, word_vectors)
        self.mlp = mlp_stack([width, *widths], "tanh")

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.embedding(t))


class Teacher(nn.Module):
    """HGCN: modality MLPs, intra- and cross-modal GCNs, four tanh hash heads."""

    def __init__(self, image_dim: int, text_dim: int, bits: int, word_width: int,
                 word_vectors: np.ndarray | None, dropout: float) -> None:
        super().__init__()
        quarter = bits // 4
        self.image = mlp_stack([image_dim, 2048, 1024, COMMON_WIDTH], "tanh")
        self.text = TextBranch(text_dim, word_width, word_vectors, [COMMON_WIDTH, COMMON_WIDTH])
        self.gcn_image = GraphConvolution(COMMON_WIDTH, quarter, dropout)
        self.gcn_text = GraphConvolution(COMMON_WIDTH, quarter, dropout)
        self.gcn_cross = GraphConvolution(COMMON_WIDTH, quarter, dropout)
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Linear(quarter, quarter), nn.Tanh()) for _ in range(4))

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        affinity = tanh_affinity(labels)
        adjacency = row_normalize(affinity)
        u, v = self.image(x), self.text(t)
        cross = self.gcn_cross(torch.cat([u, v]), row_normalize(cross_adjacency(affinity)))
        parts = [self.gcn_image(u, adjacency), cross[: len(x)], self.gcn_text(v, adjacency),
                 cross[len(x):]]
        return torch.cat([head(z) for head, z in zip(self.heads, parts, strict=True)], dim=1)


def discriminator(bits: int) -> nn.Sequential:
    """K → 64 → ReLU → 32 → ReLU → 1 (a score, no sigmoid)."""
    return nn.Sequential(nn.Linear(bits, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
                         nn.Linear(32, 1))


class Students(nn.Module):
    """Image and text students with the per-bit fusion weight."""

    def __init__(self, image_dim: int, text_dim: int, bits: int, word_width: int,
                 word_vectors: np.ndarray | None) -> None:
        super().__init__()
        self.image = mlp_stack([image_dim, 2048, 512, bits], "tanh")
        self.text = TextBranch(text_dim, word_width, word_vectors, [512, bits])
        self.fusion = nn.Parameter(torch.full((bits,), 0.5))

    def fuse(self, h_image: torch.Tensor, h_text: torch.Tensor) -> torch.Tensor:
        return self.fusion * h_image + (1 - self.fusion) * h_text


class HMAH(TorchHashingMethod):
    """HMAH with the authors' defaults (see the module docstring)."""

    name = "hmah"
    input_spec = replace(TorchHashingMethod.input_spec, word_vectors=True)
    min_batch_rows = 2  # BatchNorm in the MLPs
    optimizer_names = ("teacher_optimizer_", "discriminator_optimizer_", "student_optimizer_")
    _parameter_constraints: ClassVar[ParameterTable] = {
        **TorchHashingMethod._parameter_constraints,
        "teacher_epochs": POSITIVE_INT, "student_epochs": POSITIVE_INT,
        "batch_size": POSITIVE_INT, "lr": POSITIVE, "student_lr": POSITIVE,
        "embedding_lr_factor": NON_NEGATIVE, "fusion_lr_factor": NON_NEGATIVE,
        "generator_steps": POSITIVE_INT, "g_weight": NON_NEGATIVE, "b_weight": NON_NEGATIVE,
        "s_weight": NON_NEGATIVE, "b_student": NON_NEGATIVE, "s_student": NON_NEGATIVE,
        "dropout": [Interval(float, 0, 1, closed="left")],
        "freeze_bn_epoch": [Interval(int, 0)],
        "database": [Options("standard", "fused")],
    }

    def __init__(self, bits: int = 64, *, teacher_epochs: int = 20, student_epochs: int = 20,
                 batch_size: int = 1024, lr: float = 1e-4, student_lr: float = 1e-4,
                 embedding_lr_factor: float = 10.0, fusion_lr_factor: float = 0.01,
                 generator_steps: int = 5, g_weight: float = 1.0, b_weight: float = 0.001,
                 s_weight: float = 100.0, b_student: float = 1.0, s_student: float = 1.0,
                 dropout: float = 0.5, freeze_bn_epoch: int = 5, database: str = "standard",
                 device: str = "cpu", random_state: int | None = None) -> None:
        self._store_params(locals())

    # -- networks -----------------------------------------------------------------------------
    def _build(self, dims: dict[str, Any], word_vectors: np.ndarray | None) -> None:
        if word_vectors is not None and len(word_vectors) != dims["text"]:
            raise InputError(f"hmah: {len(word_vectors)} word vectors for a {dims['text']}-d "
                             "text feature")
        device = self.torch_device_
        # the word vectors' width (recorded in dims, so a saved model rebuilds without them)
        word_width = dims.get("word_vectors", EMBEDDING_WIDTH)
        self.teacher_ = Teacher(dims["image"], dims["text"], self.bits, word_width,
                                word_vectors, self.dropout).to(device)
        self.discriminator_ = discriminator(self.bits).to(device)
        self.students_ = Students(dims["image"], dims["text"], self.bits, word_width,
                                  word_vectors).to(device)
        self.teacher_optimizer_ = torch.optim.Adam(self.teacher_.parameters(), lr=self.lr)
        self.discriminator_optimizer_ = torch.optim.Adam(self.discriminator_.parameters(),
                                                         lr=self.lr)
        s = self.students_
        self.student_optimizer_ = torch.optim.Adam([
            {"params": s.text.mlp.parameters(), "lr": self.student_lr},
            {"params": s.text.embedding.parameters(),
             "lr": self.student_lr * self.embedding_lr_factor},
            {"params": s.image.parameters(), "lr": self.student_lr},
            {"params": [s.fusion], "lr": self.student_lr * self.fusion_lr_factor},
        ])

    def networks(self) -> dict[str, nn.Module]:
        return {"teacher": self.teacher_, "discriminator": self.discriminator_,
                "students": self.students_}

    # -- training -----------------------------------------------------------------------------
    def phases(self) -> list[Phase]:
        return [
            Phase("teacher", self.teacher_epochs, self.batch_size, self._teacher_step,
                  validate=False),
            Phase("students", self.student_epochs, self.batch_size, self._student_step,
                  shuffle=False, row_buffers=self._teacher_codes,
                  on_epoch_start=self._student_epoch_start),
        ]

    def _teacher_step(self, state: TrainState, rows: torch.Tensor) -> dict[str, float]:
        data = state.data
        x, t, labels = data.image[rows], data.text[rows], data.labels[rows]
        self.teacher_.train()
        self.discriminator_.train()
        codes = self.teacher_(x, t, labels)
        prior = torch.randn_like(codes)
        d_loss = lsgan_discriminator_loss(self.discriminator_(prior),
                                          self.discriminator_(codes.detach()))
        state.optimise(self.discriminator_optimizer_, d_loss)
        affinity = tanh_affinity(labels)
        terms: dict[str, float] = {"d": d_loss.item()}
        for _ in range(self.generator_steps):
            codes = self.teacher_(x, t, labels)
            adversarial = lsgan_generator_loss(self.discriminator_(codes))
            quantization = quantization_mse(codes)
            similarity = similarity_mse(codes, affinity)
            g_loss = (self.g_weight * adversarial + self.b_weight * quantization
                      + self.s_weight * similarity)
            state.optimise(self.teacher_optimizer_, g_loss)
        terms |= {"g_adv": adversarial.item(), "g_quant": quantization.item(),
                  "g_sim": similarity.item()}
        return terms

    def _teacher_codes(self, state: TrainState) -> dict[str, torch.Tensor]:
        """H^T for every training pair: eval mode, training order, the training batches."""
        data = state.data
        self.teacher_.eval()
        with torch.no_grad():
            return {"teacher_codes": torch.cat([
                self.teacher_(data.image[rows], data.text[rows], data.labels[rows])
                for rows in torch.arange(len(data)).split(self.batch_size)])}

    def _student_epoch_start(self, state: TrainState) -> None:
        self.students_.train()
        if state.epoch >= self.freeze_bn_epoch:
            for module in self.students_.modules():
                if isinstance(module, nn.BatchNorm1d):
                    module.eval()

    def _student_step(self, state: TrainState, rows: torch.Tensor) -> dict[str, float]:
        s, data = self.students_, state.data
        h_image, h_text = s.image(data.image[rows]), s.text(data.text[rows])
        fused = s.fuse(h_image, h_text)
        teacher = state.buffers["teacher_codes"][rows]
        half = self.bits // 2
        binary = torch.sign(teacher)
        code_terms = code_mse(h_image, binary) + code_mse(h_text, binary) + \
            code_mse(fused, binary)
        similarity_terms = (
            similarity_mse(h_image, cosine_matrix(teacher[:, :half]))
            + similarity_mse(h_text, cosine_matrix(teacher[:, half:]))
            + similarity_mse(fused, cosine_matrix(teacher))
            + similarity_mse(h_image, cosine_matrix(teacher), h_text))
        loss = self.b_student * code_terms + self.s_student * similarity_terms
        state.optimise(self.student_optimizer_, loss)
        return {"codes": code_terms.item(), "similarity": similarity_terms.item()}

    # -- encoding -----------------------------------------------------------------------------
    def _forward(self, x: torch.Tensor, modality: str) -> torch.Tensor:
        student = self.students_.image if modality == "image" else self.students_.text
        return student(x)

    def database_codes(self, image: np.ndarray, text: np.ndarray) -> tuple[Codes, Codes]:
        """Standard: each modality on its own.  Fused (HMAH's evaluation): sign(f(x, t)) of
        each database pair for both modalities."""
        if self.database == "standard":
            return super().database_codes(image, text)
        fused = Codes.from_real(self._project_pairs(image, text))
        return fused, fused

    def _project_pairs(self, image: np.ndarray, text: np.ndarray) -> np.ndarray:
        h_image = self._project(np.asarray(image, np.float32), "image")
        h_text = self._project(np.asarray(text, np.float32), "text")
        with torch.no_grad():
            return self.students_.fuse(torch.as_tensor(h_image, device=self.torch_device_),
                                       torch.as_tensor(h_text, device=self.torch_device_)
                                       ).cpu().numpy()
