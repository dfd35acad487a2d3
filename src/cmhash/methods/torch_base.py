"""Base of the deep methods: networks in PyTorch, trained by :func:`cmhash.training.train`.

A subclass builds its networks from the input widths (``_build``), describes its training as
phases (``phases``) whose steps read the training pairs from ``state.data``
(:class:`TrainingPairs`), names its networks and other training tensors (``networks``,
``buffers``) and projects features to real-valued codes (``_forward``).  This base owns the
rest: the checks of ``fit``, tensors on the chosen device, validation scoring, encoding in
batches under ``no_grad``, and saving to one ``.pt`` file (read back with
``weights_only=True``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from cmhash.codes import Codes
from cmhash.errors import InputError
from cmhash.inputs import InputSpec
from cmhash.methods.base import FitContext, HashingMethod, ParameterTable
from cmhash.metrics import mean_average_precision
from cmhash.training import Phase, save_checkpoint, seeded_rng, train
from cmhash.utils.validation import Device, Interval

#: constraints shared by the deep methods' tables
POSITIVE_INT = [Interval(int, 1)]
POSITIVE = [Interval(float, 0, closed="neither")]
NON_NEGATIVE = [Interval(float, 0)]
FRACTION = [Interval(float, 0, 1)]
DECAY = [Interval(float, 0, 1, closed="right")]  # a learning-rate factor in (0, 1]

ENCODE_BATCH = 4096


@dataclass(frozen=True)
class TrainingPairs:
    """The training pairs a deep method's steps read, row-aligned.

    Attributes
    ----------
    image, text : the inputs of each modality: float32 tensors (n, d) on the training device,
        or, for the token methods, the inputs as given to ``fit`` (embedded batch by batch).
    labels : float32 tensor (n, n_labels) on the training device.
    label_text : token features of each pair's label text (MATH), or None.
    """

    image: Any
    text: Any
    labels: torch.Tensor
    label_text: Any = None

    def __len__(self) -> int:
        return len(self.labels)


class TorchHashingMethod(HashingMethod):
    """A supervised deep hashing method (see the module docstring)."""

    input_spec = InputSpec(labels=True, validation=True)
    file_suffix = ".pt"
    #: names of the optimiser attributes that checkpoints hold
    optimizer_names: ClassVar[tuple[str, ...]] = ()
    #: the fewest pairs a training batch may hold: 2 for networks with BatchNorm, which cannot
    #: normalise one row in training mode
    min_batch_rows: ClassVar[int] = 1
    #: validation ranks against this many training pairs (None: all); the training rows come
    #: in the random order of the split, so the first ones are a random sample
    validation_database_size: ClassVar[int | None] = None
    _parameter_constraints: ClassVar[ParameterTable] = {
        **HashingMethod._parameter_constraints, "device": [Device()]}

    def __init__(self, bits: int = 64, *, device: str = "cpu",
                 random_state: int | None = None) -> None:
        self._store_params(locals())

    # -- what a subclass provides -------------------------------------------------------------
    def _build(self, dims: dict[str, Any], word_vectors: np.ndarray | None) -> None:
        """Create the networks (and optimisers) for the input widths in ``dims``."""
        raise NotImplementedError

    def networks(self) -> dict[str, nn.Module]:
        """The trained modules by name."""
        raise NotImplementedError

    def buffers(self) -> dict[str, torch.Tensor]:
        """Training-time tensors other than the networks and the row buffers (which the loop
        holds) that a resumed run needs, e.g. a label map; each held in the attribute of its
        name plus ``_``."""
        return {}

    def phases(self) -> list[Phase]:
        raise NotImplementedError

    def _forward(self, x: torch.Tensor, modality: str) -> torch.Tensor:
        """Real-valued codes (n, bits) of a batch, networks in eval mode."""
        raise NotImplementedError

    # -- fitting ------------------------------------------------------------------------------
    def _fit(self, image: Any, text: Any, labels: np.ndarray | None,
             context: FitContext) -> None:
        """Build the networks on the device (seeded), then train on the pairs."""
        self._check_batches(len(image))
        self.torch_device_ = torch.device(self.device)
        self.dims_ = {"image": self._input_width(image), "text": self._input_width(text),
                      "labels": labels.shape[1], "n_train": len(image)}
        if context.word_vectors is not None:  # their width shapes the networks (HMAH)
            self.dims_["word_vectors"] = context.word_vectors.shape[1]
        with seeded_rng(self.random_state_, self.torch_device_):  # network initialisation
            self._build(self.dims_, context.word_vectors)
        self.validation_ = context.validation
        result = train(self, self._training_pairs(image, text, labels, context),
                       seed=self.random_state_, header={"method": self.name, "bits": self.bits},
                       workdir=context.workdir, resume=context.resume,
                       progress=context.progress, has_validation=context.validation is not None,
                       device=self.torch_device_, precision=self.training_precision())
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch

    def _check_batches(self, n_train: int) -> None:
        """Refuse a training set whose batches (a last partial one included) would hold fewer
        than ``min_batch_rows`` pairs."""
        for phase in self.phases():
            size = n_train % phase.batch_size or min(phase.batch_size, n_train)
            if size < self.min_batch_rows:
                raise InputError(f"method {self.name!r}: {n_train} training pairs in batches of "
                                 f"{phase.batch_size} leave a batch of {size} pair, which "
                                 f"BatchNorm cannot train on; choose another batch_size")

    def _input_width(self, x: Any) -> int:
        """The width of checked inputs: the columns of a feature matrix."""
        return x.shape[1]

    def _training_pairs(self, image: Any, text: Any, labels: np.ndarray,
                        context: FitContext) -> TrainingPairs:
        """The checked training pairs as the steps read them: float32 tensors on the device."""
        return TrainingPairs(self._tensor(image), self._tensor(text), self._tensor(labels),
                             context.label_text)

    def training_precision(self) -> str:
        """The precision of the training steps' forward pass (see
        :class:`~cmhash.training.TrainState`): float32."""
        return "float32"

    def _tensor(self, x: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(x), dtype=torch.float32, device=self.torch_device_)

    def _database_inputs(self, pairs: TrainingPairs) -> tuple[Any, Any]:
        """The training pairs' (image, text) inputs in the form ``_project`` takes."""
        return pairs.image.cpu().numpy(), pairs.text.cpu().numpy()

    def validation_scores(self, data: TrainingPairs) -> dict[str, float]:
        """mAP of validation queries against the training pairs ``data`` (the first
        ``validation_database_size`` of them, if set), both directions."""
        image, text, labels = self.validation_
        db_image, db_text = self._database_inputs(data)
        n = self.validation_database_size or len(data)
        db_labels = data.labels[:n].cpu().numpy()
        i2t = mean_average_precision(self._codes(image, "image"),
                                     self._codes(db_text, "text", n), labels, db_labels)
        t2i = mean_average_precision(self._codes(text, "text"),
                                     self._codes(db_image, "image", n), labels, db_labels)
        return {"i2t_map": i2t, "t2i_map": t2i, "score": (i2t + t2i) / 2}

    # -- checkpoints ----------------------------------------------------------------------------
    def model_state(self) -> dict[str, Any]:
        return {name: net.state_dict() for name, net in self.networks().items()}

    def load_model_state(self, state: dict[str, Any]) -> None:
        for name, net in self.networks().items():
            net.load_state_dict(state[name])

    def training_state(self) -> dict[str, Any]:
        return {"model": self.model_state(), "buffers": dict(self.buffers()),
                "optimizers": {n: getattr(self, n).state_dict() for n in self.optimizer_names}}

    def load_training_state(self, state: dict[str, Any]) -> None:
        self.load_model_state(state["model"])
        for name, value in state["buffers"].items():
            setattr(self, f"{name}_", value.to(self.torch_device_))
        for name in self.optimizer_names:
            getattr(self, name).load_state_dict(state["optimizers"][name])

    # -- encoding -----------------------------------------------------------------------------
    def _check_width(self, x: Any, modality: str) -> None:
        if x.shape[1] != self.dims_[modality]:
            raise InputError(f"{modality} features have {x.shape[1]} columns, the model was "
                             f"fitted on {self.dims_[modality]}")

    def _forward_rows(self, x: Any, rows: np.ndarray, modality: str) -> torch.Tensor:
        """Real-valued codes of the rows ``rows`` of ``x``."""
        batch = torch.as_tensor(np.asarray(x[rows], np.float32), device=self.torch_device_)
        return self._forward(batch, modality)

    def _project(self, x: Any, modality: str, n: int | None = None) -> np.ndarray:
        """Real-valued codes of the first ``n`` rows of ``x`` (all by default)."""
        self._check_width(x, modality)
        for net in self.networks().values():
            net.eval()
        n = len(x) if n is None else min(n, len(x))
        outputs = []
        with torch.no_grad():
            for start in range(0, n, ENCODE_BATCH):
                rows = np.arange(start, min(start + ENCODE_BATCH, n))
                outputs.append(self._forward_rows(x, rows, modality).cpu().numpy())
        return np.concatenate(outputs) if outputs else np.zeros((0, self.bits))

    def _codes(self, x: Any, modality: str, n: int | None = None) -> Codes:
        return Codes.from_real(self._project(x, modality, n))

    # -- persistence --------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Parameters, input widths and networks in one ``.pt`` file, atomically."""
        self._check_save(path)
        header = {"method": self.name, "bits": self.bits, "params": self.get_params(),
                  "random_state_": self.random_state_, "dims": self.dims_}
        return save_checkpoint(path, header, {"model": self.model_state()})

    def restore(self, header: dict[str, Any], model: dict[str, Any]) -> None:
        """Rebuild the networks from a saved file's header and load their weights."""
        self.dims_ = dict(header["dims"])
        self.random_state_ = header.get("random_state_")  # None: saved before it was recorded
        self.torch_device_ = torch.device(self.device)
        with seeded_rng(0, self.torch_device_):  # initial weights, replaced by the saved ones
            self._build(self.dims_, None)
        self.load_model_state(model)
        self.is_fitted_ = True
