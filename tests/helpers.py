"""Helpers the tests share: small datasets written from the real data or generated."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cmhash.data import load_dataset
from cmhash.data.synthetic import labelled_pairs, token_pairs  # noqa: F401 (the tests' data)

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def write_triplet(path: Path, zero_label_rows: slice | None = None) -> Path:
    """A tiny ``triplet:`` dataset from :func:`labelled_pairs`: 40 training, 40 database and 10
    query pairs with 10-d image and 12-d text features (the rows ``zero_label_rows`` without
    labels); trains ``ridge_hash`` or ``random`` in milliseconds."""
    import scipy.io

    image, text, labels = labelled_pairs(90)
    if zero_label_rows is not None:
        labels[zero_label_rows] = 0
    parts = {"tr": slice(0, 40), "db": slice(40, 80), "te": slice(80, 90)}
    scipy.io.savemat(path, {f"{key}_{part}": array[rows] for part, rows in parts.items()
                            for key, array in (("I", image), ("T", text), ("L", labels))})
    return path


def make_image_folder(target: Path, data_root: Path, n: int) -> Path:
    """The first ``n`` MIRFlickr pairs with images (photo, tags, label names) as a ``folder:``
    dataset with a ``pairs.csv``."""
    mirflickr = load_dataset("mirflickr-images", data_root)
    target.mkdir(parents=True, exist_ok=True)
    with (target / "pairs.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["image", "text", "labels"])
        for i in range(n):
            name = Path(mirflickr.image_paths[i]).name
            shutil.copy(mirflickr.image_paths[i], target / name)
            labels = [mirflickr.label_names[j] for j in mirflickr.labels[i].nonzero()[0]]
            writer.writerow([name, mirflickr.texts[i] or "untagged", ";".join(labels)])
    return target


def _character_vocabulary():
    """A character-level CLIP BPE vocabulary, end-of-text with the largest id (as OpenAI's)."""
    tokens = [*LETTERS, *(c + "</w>" for c in LETTERS), "<|startoftext|>", "<|endoftext|>"]
    return {t: i for i, t in enumerate(tokens)}


def make_tiny_clip(folder: Path):
    """A randomly initialised CLIP (projection 512, as MITH's module expects; towers 64 wide)
    with a character-level tokenizer, saved in Hugging Face format in ``folder``."""
    import torch
    from transformers import CLIPConfig, CLIPModel, CLIPTokenizer

    vocabulary = _character_vocabulary()
    vocab_size = len(vocabulary)
    tokenizer = CLIPTokenizer(vocab=vocabulary, merges=[])
    config = CLIPConfig(
        projection_dim=512,
        # OpenAI's shapes-only layout implies heads = width / 64 and an MLP of 4 × width
        text_config={"hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2,
                     "num_attention_heads": 1, "vocab_size": vocab_size,
                     "max_position_embeddings": 40, "bos_token_id": tokenizer.bos_token_id,
                     "eos_token_id": tokenizer.eos_token_id,
                     "pad_token_id": tokenizer.pad_token_id},
        vision_config={"hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2,
                       "num_attention_heads": 1, "image_size": 32, "patch_size": 8})
    torch.manual_seed(0)
    model = CLIPModel(config).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder, model, tokenizer


#: per class: (colour, caption words)
CLASSES = {"sunset": ((220, 90, 30), "red orange sunset sky evening"),
           "forest": ((30, 160, 40), "green tree forest leaves"),
           "sea": ((20, 60, 200), "blue sea water waves")}


def make_folder_dataset(folder: Path, n: int = 18) -> Path:
    """``n`` pairs of three classes as a ``folder:`` dataset (``pairs.csv``): a 40 × 40 PNG of
    the class colour with noise and a random bright square, a caption of three of the class's
    words and one shared word, the class as label."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    names = list(CLASSES)
    with (folder / "pairs.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["image", "text", "labels"])
        for i in range(n):
            label = names[i % len(names)]
            colour, words = CLASSES[label]
            pixels = np.clip(rng.normal(colour, 40, size=(40, 40, 3)), 0, 255).astype(np.uint8)
            top, left = rng.integers(0, 30, 2)
            pixels[top:top + 10, left:left + 10] = 255
            Image.fromarray(pixels).save(folder / f"{i:02d}.png")
            caption = " ".join([*rng.choice(words.split(), 3, replace=False), "photo"])
            writer.writerow([f"{i:02d}.png", caption, label])
    return folder


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Networks as small as the tests' run faster on one thread than on several that wait for
    each other (several times faster on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class StatelessTask:
    """The part of the training loop's Trainable that a task without networks has: nothing to
    save or restore (tests of the loop itself subclass it and add ``phases``)."""

    def training_state(self) -> dict:
        return {}

    def load_training_state(self, state: dict) -> None:
        pass

    def model_state(self) -> dict:
        return {}

    def load_model_state(self, state: dict) -> None:
        pass
