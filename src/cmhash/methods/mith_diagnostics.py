"""What a MITH model's code is made of: its global and local hashes, separately.

MITH's code is b = sign(h_g + h_l) (:mod:`cmhash.methods.mith`): h_g = tanh(W_c r) from the
global feature (r = ResMLP(g)), h_l from the K concept tokens that LTA aggregates from the
tokens.  :func:`hash_parts` returns both hashes of some items, with r and the items' empty
concepts (a concept token that LTA leaves zero because no token of the item kept the concept
among its ``top_k`` positive scores), computed by the model's own forward pass in eval mode.
:func:`hash_statistics` summarises them:

- saturated: the share of entries with |h| > 0.9 (tanh near ±1, where its gradient vanishes);
- stuck bits: bits whose sign is the same for more than 95 % of the items (|mean sign| > 0.9),
  which carry almost no information;
- sign agreement: the share of entries where h_g and h_l have the same sign;
- empty concepts, and the sign agreement on them.

It also works on a model in the middle of ``fit`` (e.g. from a wrapped training step), on the
rows of its training inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from cmhash.codes import Codes
from cmhash.errors import InputError, NotFittedError
from cmhash.methods.mith import MITH
from cmhash.methods.torch_base import ENCODE_BATCH
from cmhash.nn.transformer import localized_token_aggregation

SATURATED = 0.9  #: |h| above this counts as saturated
STUCK = 0.9  #: |mean sign| above this (one sign for more than 95 % of the items) is stuck

PARTS = ("code", "global", "local")


@dataclass(frozen=True)
class HashParts:
    """MITH's hashes of n items.

    Attributes
    ----------
    global_hash, local_hash : ndarray of shape (n, bits), float32, in (−1, 1)
        h_g and h_l; the code is sign(h_g + h_l).
    global_embedding : ndarray of shape (n, width), float32
        r = ResMLP(g), from which h_g = tanh(W_c r).
    empty_concepts : ndarray of shape (n, bits), bool
        Concepts whose concept token LTA left zero.
    """

    global_hash: np.ndarray
    local_hash: np.ndarray
    global_embedding: np.ndarray
    empty_concepts: np.ndarray

    def codes(self, part: str) -> Codes:
        """Codes of ``part``: ``"code"`` sign(h_g + h_l) (what the model encodes),
        ``"global"`` sign(h_g) or ``"local"`` sign(h_l); a 0 counts as +1."""
        if part not in PARTS:
            raise InputError(f"unknown hash part {part!r}; known: {', '.join(PARTS)}")
        values = {"code": self.global_hash + self.local_hash, "global": self.global_hash,
                  "local": self.local_hash}[part]
        return Codes.from_real(values)


@torch.no_grad()
def hash_parts(method: MITH, x: Any, modality: str,
               rows: np.ndarray | None = None) -> HashParts:
    """The :class:`HashParts` of ``rows`` of ``x`` (all rows by default).

    Parameters
    ----------
    method : a MITH model (fitted, or inside ``fit``: its networks built)
    x : the model's inputs of ``modality``: token features (or raw inputs for a CLIP backbone)
    modality : "image" or "text"
    rows : ndarray of shape (n,), optional
    """
    if not isinstance(method, MITH):
        raise InputError(f"hash parts are MITH's; got a {type(method).__name__} model")
    if not hasattr(method, "concept_learning_"):
        raise NotFittedError("method 'mith' must be fitted before its hashes are read")
    if modality not in ("image", "text"):
        raise InputError(f"modality must be 'image' or 'text', got {modality!r}")
    rows = np.arange(len(x)) if rows is None else np.asarray(rows)
    for net in method.networks().values():
        net.eval()
    chunks: dict[str, list[np.ndarray]] = {"global": [], "local": [], "r": [], "empty": []}
    for start in range(0, len(rows), ENCODE_BATCH):
        batch = method.backbone_.embed(x, rows[start:start + ENCODE_BATCH], modality)
        out = method._hashes(batch, modality)
        scores = method.concept_learning_(batch.tokens)[1]
        concept_tokens = localized_token_aggregation(scores, batch.tokens, batch.mask,
                                                     method.top_k)
        chunks["empty"].append((concept_tokens.abs().sum(dim=2) == 0).cpu().numpy())
        for name in ("global", "local", "r"):
            chunks[name].append(out[name].float().cpu().numpy())
    joined = {name: np.concatenate(values) if values else np.zeros((0, 0))
              for name, values in chunks.items()}
    return HashParts(global_hash=joined["global"], local_hash=joined["local"],
                     global_embedding=joined["r"], empty_concepts=joined["empty"].astype(bool))


def saturation(h: np.ndarray) -> float:
    """The share of entries of the hashes ``h`` (n, bits) with |h| > 0.9."""
    return float((np.abs(h) > SATURATED).mean())


def stuck_bits(h: np.ndarray) -> int:
    """The number of bits of ``h`` (n, bits) whose sign (0 as +1) is the same for more than
    95 % of the n items: |(1/n) Σ_i sign(h_ik)| > 0.9."""
    signs = np.where(h >= 0, 1.0, -1.0)
    return int((np.abs(signs.mean(axis=0)) > STUCK).sum())


def hash_statistics(parts: HashParts) -> dict[str, float]:
    """``"global saturated"``, ``"global stuck bits"``, the same for ``"local"``, ``"sign
    agreement"`` of h_g and h_l, ``"empty concepts"`` (their share) and ``"agreement on
    empty"`` (the sign agreement on them; NaN when there are none)."""
    agree = (parts.global_hash >= 0) == (parts.local_hash >= 0)
    empty = parts.empty_concepts
    stats: dict[str, float] = {}
    for name, h in (("global", parts.global_hash), ("local", parts.local_hash)):
        stats[f"{name} saturated"] = saturation(h)
        stats[f"{name} stuck bits"] = stuck_bits(h)
    stats["sign agreement"] = float(agree.mean())
    stats["empty concepts"] = float(empty.mean())
    stats["agreement on empty"] = float(agree[empty].mean()) if empty.any() else float("nan")
    return stats


__all__ = ["PARTS", "HashParts", "hash_parts", "hash_statistics", "saturation", "stuck_bits"]
