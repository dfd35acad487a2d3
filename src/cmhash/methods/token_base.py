"""Base of the token-based methods (MITH, MATH).

Their 512-d global features and tokens come from a backbone (:mod:`cmhash.methods.backbones`):
by default cached token features of frozen encoders, each modality linearly projected
(``fit`` takes :class:`~cmhash.encoders.base.Features`); with ``clip_path`` set, CLIP itself
on raw inputs (``fit`` takes arrays of image paths and of texts), fine-tuned at ``clip_lr``.
Batches are formed one at a time on the device, so a training set never has to be held in
float32 or decoded all at once.

Shared training options: ``precision = "bfloat16"`` runs the forward pass of each training step
under bf16 autocast (:meth:`cmhash.training.TrainState.autocast`; the losses, the optimiser and
encoding stay in float32), for CPUs with AMX-BF16 and GPUs; on a CPU without bf16 matrix units
it is slower (``benchmarks.speed.train_speed`` measures both).  BertAdam's schedule spans
``epochs`` unless ``warmup_steps`` fixes the warm-up length in steps (a labelled short
schedule that keeps the authors' warm-up: 5 % of their 30 epochs).

The aligned frozen backbone (a labelled variant, not the authors'; ``align_epochs > 0``): MITH's
concept layer and MATH's batch attention assume that images and texts share one embedding space,
as CLIP's do; two unrelated frozen encoders do not.  A first phase, ``backbone_align``, trains
only the two projections, on the training pairs' global features, with the symmetric InfoNCE
NCE(W_i LN(g^i), W_t LN(g^t)) (τ = 0.07; Adam at ``align_lr`` for ``align_epochs`` epochs, in
float32 whatever ``precision``, not validated); the method then trains as usual.  The
projections train in the method's phase at ``backbone_lr``, or at ``lr`` when it is None (the
default, as without alignment); give the variant a small ``backbone_lr`` to keep the alignment.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from cmhash.errors import InputError
from cmhash.losses.contrastive import info_nce
from cmhash.methods.backbones import WIDTH, ClipBackbone, FrozenBackbone, TokenBatch
from cmhash.methods.base import FitContext, ParameterTable
from cmhash.methods.torch_base import (
    FRACTION,
    NON_NEGATIVE,
    POSITIVE,
    POSITIVE_INT,
    TorchHashingMethod,
    TrainingPairs,
)
from cmhash.training import BertAdam, Phase, TrainState
from cmhash.training.state import PRECISIONS
from cmhash.utils.validation import Interval, Options


def float32_outputs(outputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A branch's outputs in float32, for the losses (after a bf16 autocast forward)."""
    return {name: value.float() for name, value in outputs.items()}


class TokenHashingMethod(TorchHashingMethod):
    """A deep method on token features (see the module docstring)."""

    #: token features, or with ``clip_path`` set the raw image paths and texts
    input_spec = replace(TorchHashingMethod.input_spec, form="tokens", raw_with="clip_path")

    #: a forward pass costs ~1/3 of a training step per pair, so validating against all 9,000
    #: MIRFlickr training pairs would add ~40 % to each float32 epoch on a CPU; 3,000 add ~15 %
    #: (more under bf16 autocast, whose steps are faster while validation encodes in float32)
    validation_database_size = 3000
    #: the memory banks of the training pairs' hashes the method keeps (the loop's row buffers)
    bank_names: ClassVar[tuple[str, ...]]
    _parameter_constraints: ClassVar[ParameterTable] = {
        **TorchHashingMethod._parameter_constraints,
        "epochs": POSITIVE_INT, "batch_size": POSITIVE_INT, "lr": POSITIVE,
        "warmup": FRACTION,  # of the schedule's steps
        "warmup_steps": [Interval(int, 0), None],
        "weight_decay": NON_NEGATIVE,
        "precision": [Options(*PRECISIONS)],
        "clip_path": [str, None], "tokenizer_dir": [str, None], "clip_lr": POSITIVE,
        "normalize_features": [bool],
        "align_epochs": [Interval(int, 0)], "align_lr": POSITIVE, "backbone_lr": [*POSITIVE, None],
    }

    def __init__(self, bits: int = 64, *, epochs: int = 30, batch_size: int = 128,
                 lr: float = 1e-3, warmup: float = 0.05, warmup_steps: int | None = None,
                 weight_decay: float = 0.01, precision: str = "float32",
                 clip_path: str | None = None, tokenizer_dir: str | None = None,
                 clip_lr: float = 2e-6, normalize_features: bool = True,
                 align_epochs: int = 0, align_lr: float = 1e-3, backbone_lr: float | None = None,
                 device: str = "cpu", random_state: int | None = None) -> None:
        self._store_params(locals())

    @property
    def optimizer_names(self) -> tuple[str, ...]:  # type: ignore[override]
        """The method's BertAdam and, with alignment, the alignment phase's Adam."""
        return ("optimizer_", "align_optimizer_") if self.align_epochs else ("optimizer_",)

    def validate_params(self) -> None:
        super().validate_params()
        if self.clip_path and (self.align_epochs or self.backbone_lr is not None):
            raise InputError(f"method {self.name!r}: parameters 'align_epochs' and "
                             "'backbone_lr' apply to the frozen backbone's projections; with "
                             "'clip_path' CLIP trains at 'clip_lr'")

    def _backbone_class(self) -> type[FrozenBackbone] | type[ClipBackbone]:
        return ClipBackbone if self.clip_path else FrozenBackbone

    def networks(self) -> dict[str, nn.Module]:
        """Both methods hold a backbone, a concept-learning module and per-branch
        transformers, built by their ``_build``."""
        return {"backbone": self.backbone_, "concept_learning": self.concept_learning_,
                "transformers": self.transformers_}

    def _build_backbone(self, dims: dict[str, Any]) -> None:
        """``backbone_`` and, with alignment, its optimiser ``align_optimizer_``."""
        if self.clip_path:
            self.backbone_ = ClipBackbone(self.clip_path,
                                          self.tokenizer_dir).to(self.torch_device_)
            return
        self.backbone_ = FrozenBackbone({m: dims[m] for m in ("image", "text")},
                                        self.normalize_features).to(self.torch_device_)
        if self.align_epochs:
            self.align_optimizer_ = torch.optim.Adam(self.backbone_.parameters(),
                                                     lr=self.align_lr)

    def phases(self) -> list[Phase]:
        """With ``align_epochs``, the alignment phase first; then one phase of ``epochs`` over
        the training pairs, whose row buffers are the memory banks."""
        method = Phase(self.name, self.epochs, self.batch_size, self._step,
                       row_buffers=self._banks)
        if not self.align_epochs:
            return [method]
        return [Phase("backbone_align", self.align_epochs, self.batch_size, self._align_step,
                      validate=False), method]

    def _align_step(self, state: TrainState, rows: torch.Tensor) -> dict[str, float]:
        """NCE between the projected global features of the pairs ``rows``."""
        self.backbone_.train()
        indices = rows.cpu().numpy()
        loss = info_nce(self.backbone_.embed_global(state.data.image, indices, "image"),
                        self.backbone_.embed_global(state.data.text, indices, "text"))
        state.optimise(self.align_optimizer_, loss)
        return {"nce": loss.item()}

    def _banks(self, state: TrainState) -> dict[str, torch.Tensor]:
        """The memory banks (:attr:`bank_names`): one standard normal draw of shape
        (banks, n_train, bits), as the authors' ``randn`` initialisation."""
        banks = torch.randn(len(self.bank_names), len(state.data), self.bits,
                            device=state.device)
        return dict(zip(self.bank_names, banks.unbind(), strict=True))

    def _optimizer(self, hashing: list[nn.Module]) -> BertAdam:
        """BertAdam over the hashing modules at ``lr`` and the backbone: a frozen one's
        projections at ``backbone_lr`` (None: ``lr``), CLIP's weights at ``clip_lr``."""
        steps = -(-self.dims_["n_train"] // self.batch_size) * max(self.epochs, 1)
        warmup = self.warmup if self.warmup_steps is None else min(self.warmup_steps / steps, 1)
        groups = [{"params": [p for m in hashing for p in m.parameters()], "lr": self.lr}]
        backbone_lr = self.clip_lr if self.clip_path else (self.backbone_lr or self.lr)
        groups.append({"params": list(self.backbone_.parameters()), "lr": backbone_lr})
        return BertAdam(groups, lr=self.lr, t_total=steps, warmup=warmup,
                        weight_decay=self.weight_decay)

    def training_precision(self) -> str:
        return self.precision

    def batch(self, inputs: Any, rows: torch.Tensor, modality: str) -> TokenBatch:
        """The rows ``rows`` of training inputs of one modality as a device batch."""
        return self.backbone_.embed(inputs, rows.cpu().numpy(), modality)

    def _forward_tokens(self, batch: TokenBatch, modality: str) -> torch.Tensor:
        """Real-valued codes (n, bits) of a batch, networks in eval mode."""
        raise NotImplementedError

    def _check_input(self, x: Any, name: str, n_rows: int | None = None) -> Any:
        self._backbone_class().check(x, name, n_rows)
        return x

    def _input_width(self, x: Any) -> int:
        return self._backbone_class().check(x, "inputs")

    def _training_pairs(self, image: Any, text: Any, labels: np.ndarray,
                        context: FitContext) -> TrainingPairs:
        """The inputs as given (embedded batch by batch) and the labels on the device."""
        return TrainingPairs(image, text, self._tensor(labels), context.label_text)

    def _check_width(self, x: Any, modality: str) -> None:
        width = self._backbone_class().check(x, f"{modality} inputs")
        if width != self.dims_[modality]:
            raise InputError(f"{modality} tokens have width {width}, the model was fitted on "
                             f"{self.dims_[modality]}")

    def _forward_rows(self, x: Any, rows: np.ndarray, modality: str) -> torch.Tensor:
        return self._forward_tokens(self.backbone_.embed(x, rows, modality), modality)

    def _database_inputs(self, pairs: TrainingPairs) -> tuple[Any, Any]:
        return pairs.image, pairs.text


__all__ = ["WIDTH", "TokenBatch", "TokenHashingMethod", "float32_outputs"]
