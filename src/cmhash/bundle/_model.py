"""A trained model as one folder: :func:`save_model` writes it, :func:`load_model` reads it on any
machine and gives a :class:`TrainedModel` that encodes raw texts and images."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cmhash.bundle._files import read_bundle, write_bundle
from cmhash.bundle._inputs import FEATURES_ONLY, RawInputs
from cmhash.bundle._state import method_state, normalisation_entries, restore_method, saved_params
from cmhash.codes import Codes
from cmhash.data import PairedDataset, Split
from cmhash.errors import InputError, NotFittedError
from cmhash.inputs import MODALITIES
from cmhash.methods import HashingMethod
from cmhash.version import __version__


class TrainedModel:
    """A fitted hashing method with what it needs to encode raw texts and images.

    Attributes
    ----------
    hashing_method : HashingMethod
        The fitted method, on the device the model was loaded to; its ``encode_image`` /
        ``encode_text`` take feature rows.
    header : dict
        The bundle's ``model.json``.
    path : Path
        The bundle folder.
    """

    def __init__(self, hashing_method: HashingMethod, header: dict[str, Any], path: Path,
                 device: str) -> None:
        self.hashing_method = hashing_method
        self.header = header
        self.path = path
        self._inputs = {m: RawInputs(header["inputs"][m], m, device, path) for m in MODALITIES}

    @property
    def bits(self) -> int:
        return self.hashing_method.bits

    @property
    def method(self) -> str:
        """The method's registry name."""
        return self.hashing_method.name

    @property
    def label_names(self) -> list[str] | None:
        return self.header["label_names"]

    def encode_texts(self, texts: Sequence[str]) -> Codes:
        """Codes of raw texts, one per text."""
        return self._encode(texts, "text")

    def encode_images(self, images: Sequence[str | Path | np.ndarray]) -> Codes:
        """Codes of raw images: file paths, or uint8 pixel arrays (H, W, 3) RGB or (H, W)."""
        return self._encode(images, "image")

    def encode_dataset(self, dataset: PairedDataset, modality: str,
                       cache_dir: str | Path | None = None) -> tuple[Codes, np.ndarray]:
        """Codes of every pair's ``modality`` ("image" or "text") in ``dataset``, with features
        from the feature cache (computed there, resumably, if missing), and the rows that could
        be read (the codes of the others mean nothing)."""
        if modality not in MODALITIES:
            raise InputError(f"modality must be one of {', '.join(MODALITIES)}, got {modality!r}")
        inputs, valid = self._inputs[modality].dataset_inputs(dataset, cache_dir)
        encode = (self.hashing_method.encode_image if modality == "image"
                  else self.hashing_method.encode_text)
        return encode(inputs), valid

    def _encode(self, items: Sequence[Any], modality: str) -> Codes:
        if isinstance(items, str | bytes | Path) or (isinstance(items, np.ndarray)
                                                     and items.ndim == 3 and modality == "image"):
            raise InputError(f"encode_{modality}s takes a list of items, got one "
                             f"{type(items).__name__} (pass [item])")
        items = list(items)
        if not items:
            return Codes(np.zeros((0, self.bits // 8), np.uint8), self.bits)
        inputs = self._inputs[modality].method_inputs(items)
        if modality == "image":
            return self.hashing_method.encode_image(inputs)
        return self.hashing_method.encode_text(inputs)


def dataset_key(dataset: PairedDataset) -> str:
    """``<name>-<12 hex digits of the ids' hash>``: the same pairs in the same order."""
    digest = hashlib.sha256("\n".join(dataset.ids).encode()).hexdigest()[:12]
    return f"{dataset.name}-{digest}"


def training_record(dataset: PairedDataset, dataset_spec: str, split: Split,
                    rows: np.ndarray) -> dict[str, Any]:
    """Where the model's training pairs came from: the dataset (as named, and its key: name +
    hash of all pair ids), the split, and ``fingerprint`` = SHA-256 of the dataset key and the
    ids of the training pairs ``rows`` (one per line)."""
    key = dataset_key(dataset)
    ids = "\n".join(dataset.ids[int(i)] for i in rows)
    return {"dataset": dataset_spec, "dataset_key": key, "protocol": split.protocol,
            "split_seed": split.seed, "pairs": len(rows),
            "fingerprint": hashlib.sha256(f"{key}\n{ids}".encode()).hexdigest()}


def save_model(folder: str | Path, method: HashingMethod, *,
               inputs: dict[str, dict[str, Any]] | None = None,
               label_names: list[str] | None = None,
               training: dict[str, Any] | None = None) -> Path:
    """Write a fitted method as the bundle ``folder`` (replacing any bundle there).

    Parameters
    ----------
    inputs : header entry per modality ("image", "text") from
        :func:`~cmhash.bundle.describe_input`; by default feature rows only (no raw inputs).
    label_names : the names of the label columns it was trained on.
    training : from :func:`training_record`.
    """
    if not getattr(method, "is_fitted_", False):
        raise NotFittedError(f"method {method.name!r} must be fitted before saving")
    facts, tensors = method_state(method)
    header = {"cmhash_version": __version__, "method": method.name, "bits": method.bits,
              "params": saved_params(method), "state": facts, "label_names": label_names,
              "inputs": inputs or {m: FEATURES_ONLY for m in MODALITIES},
              "normalisation": normalisation_entries(method, tensors), "training": training}
    return write_bundle(folder, header, tensors)


def load_model(path: str | Path, device: str | None = None) -> TrainedModel:
    """The model in the bundle folder ``path``, its networks and encoders on ``device`` (default
    ``"cpu"``: the device a model was trained on is not part of it)."""
    device = _available_device(device or "cpu")
    header, tensors = read_bundle(path)
    path = Path(path)
    method = restore_method(header["method"], header["params"], header["state"], tensors,
                            device, path)
    return TrainedModel(method, header, path, device)


def _available_device(device: str) -> str:
    try:
        kind = torch.device(device).type
    except RuntimeError as e:
        raise InputError(f"unknown device {device!r} ({e})") from e
    if kind == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {device!r}: CUDA is not available on this machine "
                         "(load with device='cpu')")
    return device
