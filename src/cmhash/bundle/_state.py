"""A fitted method as named tensors plus a few facts, and back.

Feature methods keep their learned arrays (``learned_arrays``) under their own names, in their
own dtype.  Deep methods keep ``model_state()`` flattened to ``<part>/<key>`` names (e.g.
``generator/image.0.weight``; a tensor of its own such as DADH's ``standardize`` keeps its name)
and their input widths as the fact ``dims``.  Parameters are saved without the device: a method
is rebuilt on the device chosen when it is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from cmhash.errors import InputError
from cmhash.methods import METHODS, HashingMethod, TorchHashingMethod, create_method

#: parameters chosen when a model is loaded, never saved
LOAD_TIME_PARAMS = ("device",)
#: how many numbers of a normalisation statistic the header shows
SHOWN_VALUES = 8


def saved_params(method: HashingMethod) -> dict[str, Any]:
    """The method's parameters without the load-time ones."""
    return {k: v for k, v in method.get_params().items() if k not in LOAD_TIME_PARAMS}


def method_state(method: HashingMethod) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(facts, named tensors) of a fitted method."""
    if isinstance(method, TorchHashingMethod):
        return ({"dims": method.dims_, "random_state_": method.random_state_},
                _flatten(method.model_state()))
    return ({"random_state_": method.random_state_},
            {name: torch.from_numpy(np.asarray(getattr(method, name)).copy(order="C"))
             for name in method.learned_arrays})


def restore_method(name: str, params: dict[str, Any], facts: dict[str, Any],
                   tensors: dict[str, torch.Tensor], device: str,
                   source: Path) -> HashingMethod:
    """The fitted method ``name`` rebuilt from its saved parameters, facts and tensors, with its
    load-time parameters (the device) set to ``device``."""
    if name not in METHODS:
        raise InputError(f"{source}: unknown method {name!r}; available: {', '.join(METHODS)}")
    if "device" in METHODS[name]._param_names():
        params = {**params, "device": device}  # whatever the saved parameters say
    try:
        method = create_method(name, **params)
    except InputError as e:
        raise InputError(f"{source}: {e}") from e
    if isinstance(method, TorchHashingMethod):
        try:
            method.restore(facts, _unflatten(tensors))
        except (KeyError, RuntimeError) as e:  # what load_state_dict raises for other shapes
            lines = [line.strip() for line in str(e).splitlines() if line.strip()]
            raise InputError(f"{source}: the weights do not fit method {name!r} "
                             f"({' '.join(lines[:2])})") from e
    else:
        method.restore_arrays({k: t.numpy() for k, t in tensors.items()}, source)
        method.random_state_ = facts.get("random_state_")  # the seed the codes derive from
    return method


def normalisation_entries(method: HashingMethod,
                          tensors: dict[str, torch.Tensor]) -> dict[str, dict[str, Any]]:
    """Header entries of the saved tensors that are statistics of the training features: the
    method's declared ``normalisation`` and every BatchNorm layer's running mean and variance;
    each with what it is, its shape and, if it has at most ``SHOWN_VALUES`` numbers, its values
    (the weights file holds them all)."""
    entries = {}
    for key, tensor in tensors.items():
        about = method.normalisation.get(key)
        if about is None and key.endswith(".running_mean"):
            about = "BatchNorm running mean of the training batches"
        if about is None and key.endswith(".running_var"):
            about = "BatchNorm running variance of the training batches"
        if about is None:
            continue
        entries[key] = {"about": about, "shape": list(tensor.shape)}
        if tensor.numel() <= SHOWN_VALUES:
            entries[key]["values"] = tensor.tolist()
    return entries


def _flatten(state: dict[str, Any]) -> dict[str, torch.Tensor]:
    flat = {}
    for part, value in state.items():
        if isinstance(value, torch.Tensor):
            flat[part] = value
        else:
            flat |= {f"{part}/{key}": tensor for key, tensor in value.items()}
    return flat


def _unflatten(flat: dict[str, torch.Tensor]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for name, tensor in flat.items():
        part, separator, key = name.partition("/")
        if separator:
            state.setdefault(part, {})[key] = tensor
        else:
            state[part] = tensor
    return state
