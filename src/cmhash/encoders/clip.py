"""CLIP (e.g. ViT-B/32) through ``transformers``, as MITH uses it: projected global embeddings
and every projected token.

Weights come from a local path only: a folder in Hugging Face format (``config.json``, weights,
``vocab.json`` + ``merges.txt``), or an OpenAI state dict (``ViT-B-32.pt`` saved as a plain state
dict), converted here key by key, with a tokenizer folder beside it.  An OpenAI TorchScript (JIT)
archive is refused: it cannot be read without executing code.

Image (eval transform of MITH): RGB, resize to (size, size) bicubic, CLIP mean/std; the vision
transformer's output after ``post_layernorm`` for **all** tokens, projected: global = the class
token, tokens = the patch tokens.  Text: at most ``max_tokens`` BPE tokens including start and
end, padded with id 0 as OpenAI's tokenizer (and MITH's and MATH's code) pads; the text
transformer with causal and padding masks (as MITH's and MATH's ``encode_text``),
``final_layer_norm`` and the
projection on **all** positions: global = the end-of-text token, tokens = all positions, with a
mask that hides padding and the end-of-text token.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from cmhash.encoders.base import Encoder, Features, file_sha256
from cmhash.encoders.hugging_face import offline
from cmhash.encoders.images import read_image, to_unit_range
from cmhash.encoders.text import check_text
from cmhash.errors import InputError
from cmhash.utils.validation import check_file

#: CLIP's pixel mean and standard deviation per channel, shaped (2, 3, 1, 1)
CLIP_MEAN_STD = torch.tensor([[0.48145466, 0.4578275, 0.40821073],
                              [0.26862954, 0.26130258, 0.27577711]]).reshape(2, 3, 1, 1)
#: entries of some OpenAI state dicts that are settings, not weights
OPENAI_SETTINGS = ("input_resolution", "context_length", "vocab_size")

_LAYER_RENAMES = {
    "attn.out_proj": "self_attn.out_proj", "ln_1": "layer_norm1", "ln_2": "layer_norm2",
    "mlp.c_fc": "mlp.fc1", "mlp.c_proj": "mlp.fc2",
}


def _convert_layer(prefix: str, rest: str, value: torch.Tensor) -> dict[str, torch.Tensor]:
    """One OpenAI residual-block entry → its Hugging Face entries (q/k/v are split)."""
    layer, _, name = rest.partition(".")
    if name.startswith("attn.in_proj_"):
        kind = name.removeprefix("attn.in_proj_")  # "weight" or "bias"
        q, k, v = value.chunk(3, dim=0)
        return {f"{prefix}.encoder.layers.{layer}.self_attn.{p}_proj.{kind}": t
                for p, t in zip("qkv", (q, k, v), strict=True)}
    module, _, kind = name.rpartition(".")
    if module not in _LAYER_RENAMES:
        raise KeyError(f"transformer.resblocks.{rest}")
    return {f"{prefix}.encoder.layers.{layer}.{_LAYER_RENAMES[module]}.{kind}": value}


def _convert_key(key: str, value: torch.Tensor) -> dict[str, torch.Tensor]:
    plain = {
        "token_embedding.weight": "text_model.embeddings.token_embedding.weight",
        "positional_embedding": "text_model.embeddings.position_embedding.weight",
        "ln_final.weight": "text_model.final_layer_norm.weight",
        "ln_final.bias": "text_model.final_layer_norm.bias",
        "logit_scale": "logit_scale",
        "visual.class_embedding": "vision_model.embeddings.class_embedding",
        "visual.positional_embedding": "vision_model.embeddings.position_embedding.weight",
        "visual.conv1.weight": "vision_model.embeddings.patch_embedding.weight",
        "visual.ln_pre.weight": "vision_model.pre_layrnorm.weight",
        "visual.ln_pre.bias": "vision_model.pre_layrnorm.bias",
        "visual.ln_post.weight": "vision_model.post_layernorm.weight",
        "visual.ln_post.bias": "vision_model.post_layernorm.bias",
    }
    if key in plain:
        return {plain[key]: value}
    if key == "text_projection":  # OpenAI multiplies x @ P; nn.Linear computes x @ Wᵀ
        return {"text_projection.weight": value.T.contiguous()}
    if key == "visual.proj":
        return {"visual_projection.weight": value.T.contiguous()}
    if key.startswith("visual.transformer.resblocks."):
        return _convert_layer("vision_model", key.removeprefix("visual.transformer.resblocks."),
                              value)
    if key.startswith("transformer.resblocks."):
        return _convert_layer("text_model", key.removeprefix("transformer.resblocks."), value)
    raise KeyError(key)


def _count_layers(state: dict[str, torch.Tensor], prefix: str) -> int:
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)\.")
    return 1 + max(int(m[1]) for k in state if (m := pattern.match(k)))


def openai_to_hf(state: dict[str, torch.Tensor]) -> tuple[Any, dict[str, torch.Tensor]]:
    """A ``CLIPConfig`` read off the tensor shapes, and the state dict in Hugging Face names.

    Raises
    ------
    KeyError
        naming the first key that has no Hugging Face counterpart.
    """
    from transformers import CLIPConfig

    weights = {k: v for k, v in state.items() if k not in OPENAI_SETTINGS}
    vision_width, _, patch, _ = weights["visual.conv1.weight"].shape
    n_positions = weights["visual.positional_embedding"].shape[0]
    text_width = weights["ln_final.weight"].shape[0]
    config = CLIPConfig(
        projection_dim=weights["text_projection"].shape[1],
        text_config={
            "hidden_size": text_width, "intermediate_size": 4 * text_width,
            "num_attention_heads": text_width // 64 or 1,
            "num_hidden_layers": _count_layers(weights, "transformer.resblocks."),
            "vocab_size": weights["token_embedding.weight"].shape[0],
            "max_position_embeddings": weights["positional_embedding"].shape[0],
            "hidden_act": "quick_gelu"},
        vision_config={
            "hidden_size": vision_width, "intermediate_size": 4 * vision_width,
            "num_attention_heads": vision_width // 64 or 1,
            "num_hidden_layers": _count_layers(weights, "visual.transformer.resblocks."),
            "patch_size": patch, "image_size": patch * round((n_positions - 1) ** 0.5),
            "hidden_act": "quick_gelu"},
    )
    converted: dict[str, torch.Tensor] = {}
    for key, value in weights.items():
        converted |= _convert_key(key, value)
    return config, converted


def _is_torchscript(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.endswith("constants.pkl") or "/code/" in name
                   for name in archive.namelist())


def load_clip(path: str | Path, tokenizer_dir: str | Path | None = None) -> tuple[Any, Any]:
    """(``CLIPModel`` in eval mode, ``CLIPTokenizer``) from a local folder or OpenAI file."""
    offline()
    from transformers import CLIPModel, CLIPTokenizer

    path = check_file(path, "CLIP weights")
    if path.is_dir():
        model = CLIPModel.from_pretrained(path, local_files_only=True)
        tokenizer = CLIPTokenizer.from_pretrained(tokenizer_dir or path, local_files_only=True)
        return model.eval(), tokenizer
    if tokenizer_dir is None:
        raise InputError(f"{path}: an OpenAI CLIP file needs a tokenizer folder (vocab.json, "
                         "merges.txt) given as tokenizer_dir")
    if _is_torchscript(path):
        raise InputError(f"{path}: a TorchScript (JIT) archive cannot be loaded safely; save its "
                         "state_dict() with torch.save on a trusted machine and pass that file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        config, converted = openai_to_hf(state)
    except KeyError as e:
        raise InputError(f"{path}: not an OpenAI CLIP state dict (key {e})") from e
    except Exception as e:  # torch raises several types for a file that is not a state dict
        raise InputError(f"{path}: not a PyTorch state dict ({type(e).__name__})") from e
    tokenizer = CLIPTokenizer.from_pretrained(check_file(tokenizer_dir, "tokenizer folder"),
                                              local_files_only=True)
    config.text_config.bos_token_id = tokenizer.bos_token_id
    config.text_config.eos_token_id = tokenizer.eos_token_id
    config.text_config.pad_token_id = tokenizer.pad_token_id
    model = CLIPModel(config)
    try:
        model.load_state_dict(converted, strict=True)
    except RuntimeError as e:
        raise InputError(f"{path}: weights do not match the CLIP architecture read off their "
                         f"shapes ({str(e).splitlines()[0]})") from e
    return model.eval(), tokenizer


class ClipTokenModel(nn.Module):
    """CLIP returning projected global embeddings and all projected tokens (differentiable,
    so that a method can fine-tune it)."""

    def __init__(self, clip: Any) -> None:
        super().__init__()
        self.clip = clip

    @property
    def embed_dim(self) -> int:
        return self.clip.config.projection_dim

    def image(self, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """pixels (B, 3, S, S), CLIP-normalised → global (B, P), patch tokens (B, L, P)."""
        hidden = self.clip.vision_model(pixel_values=pixels).last_hidden_state
        projected = self.clip.visual_projection(self.clip.vision_model.post_layernorm(hidden))
        return projected[:, 0], projected[:, 1:]

    def text(self, ids: torch.Tensor, attention: torch.Tensor
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """ids, attention (B, T) → global (B, P), tokens (B, T, P), token mask (B, T)."""
        ids = ids.masked_fill(~attention.bool(), 0)
        hidden = self.clip.text_model(input_ids=ids, attention_mask=attention).last_hidden_state
        projected = self.clip.text_projection(hidden)
        end = attention.long().sum(dim=1) - 1  # position of the end-of-text token
        rows = torch.arange(len(ids), device=ids.device)
        mask = attention.bool().clone()
        mask[rows, end] = False
        return projected[rows, end], projected, mask


class _ClipEncoder(Encoder):
    """Shared loading and fingerprint of the two CLIP encoders."""

    def __init__(self, path: str | Path, tokenizer_dir: str | Path | None = None,
                 device: str = "cpu") -> None:
        self.path = Path(path)
        self.tokenizer_dir = Path(tokenizer_dir) if tokenizer_dir else None
        self.device = torch.device(device)
        self._loaded: tuple[ClipTokenModel, Any] | None = None

    def _backbone(self) -> tuple[ClipTokenModel, Any]:
        if self._loaded is None:
            model, tokenizer = load_clip(self.path, self.tokenizer_dir)
            self._loaded = ClipTokenModel(model).to(self.device).eval(), tokenizer
        return self._loaded

    @property
    def global_dim(self) -> int:
        return self._backbone()[0].embed_dim

    def _weights_hash(self) -> str:
        files = sorted(self.path.glob("*.safetensors")) + sorted(self.path.glob("*.bin")) \
            if self.path.is_dir() else [self.path]
        return "+".join(file_sha256(f) for f in files)


class ClipImage(_ClipEncoder):
    """CLIP image tower: projected class token + projected patch tokens."""

    name = "clip_image"
    modality = "image"

    @property
    def image_size(self) -> int:
        return self._backbone()[0].clip.config.vision_config.image_size

    @property
    def token_shape(self) -> tuple[int, int]:
        config = self._backbone()[0].clip.config.vision_config
        return ((config.image_size // config.patch_size) ** 2, self.global_dim)

    def fingerprint(self) -> dict[str, Any]:
        return {"encoder": self.name, "weights_sha256": self._weights_hash(),
                "preprocessing": f"RGB, resize ({self.image_size}, {self.image_size}) bicubic, "
                                 "CLIP mean/std"}

    def load(self, item: str) -> np.ndarray:
        return read_image(item, self.image_size)

    def collate(self, loaded: list[np.ndarray]) -> torch.Tensor:
        return (to_unit_range(loaded) - CLIP_MEAN_STD[0]) / CLIP_MEAN_STD[1]

    def encode_loaded(self, batch: torch.Tensor) -> Features:
        model, _ = self._backbone()
        with torch.inference_mode():
            global_features, tokens = model.image(batch.to(self.device))
        return Features(global_features.float().cpu().numpy(), tokens.float().cpu().numpy())


class ClipText(_ClipEncoder):
    """CLIP text tower: projected end-of-text token + all projected positions with a mask."""

    name = "clip_text"
    modality = "text"

    def __init__(self, path: str | Path, tokenizer_dir: str | Path | None = None,
                 device: str = "cpu", max_tokens: int = 32) -> None:
        super().__init__(path, tokenizer_dir, device)
        self.max_tokens = max_tokens

    @property
    def token_shape(self) -> tuple[int, int]:
        return (self.max_tokens, self.global_dim)

    def fingerprint(self) -> dict[str, Any]:
        return {"encoder": self.name, "weights_sha256": self._weights_hash(),
                "preprocessing": f"CLIP BPE, at most {self.max_tokens} tokens"}

    def load(self, item: str) -> str:
        return check_text(item)

    def encode_loaded(self, batch: list[str]) -> Features:
        model, tokenizer = self._backbone()
        encoded = tokenizer(batch, padding="max_length", truncation=True,
                            max_length=self.max_tokens, return_tensors="pt")
        with torch.inference_mode():
            global_features, tokens, mask = model.text(encoded["input_ids"].to(self.device),
                                                       encoded["attention_mask"].to(self.device))
        return Features(global_features.float().cpu().numpy(),
                            tokens.float().cpu().numpy(), mask.cpu().numpy())
