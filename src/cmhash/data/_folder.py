"""A user's own collection in a plain folder.

Either a ``pairs.csv`` (columns ``image``, ``text`` and optionally ``labels`` with names
separated by ``;``) or a ``pairs.jsonl`` (one object per line with ``image``, ``text`` and
optionally ``labels`` as a list of names), image paths relative to the folder; or, with neither
file, every image (``.jpg .jpeg .png .bmp .webp``) with a text file of the same stem
(``photo1.jpg`` + ``photo1.txt``) and no labels.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from cmhash.data.dataset import PairedDataset
from cmhash.errors import InputError
from cmhash.utils.validation import check_folder, read_utf8

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def _records_csv(path: Path) -> list[dict]:
    reader = csv.DictReader(io.StringIO(read_utf8(path)))
    try:
        missing = {"image", "text"} - set(reader.fieldnames or ())
        if missing:
            raise InputError(f"{path}: missing column {sorted(missing)[0]!r} "
                             f"(columns: {', '.join(reader.fieldnames or ())})")
        records = []
        for row in reader:
            if row["image"] is None or row["text"] is None:
                raise InputError(f"{path}:{reader.line_num}: a row without its image and text")
            labels = row.get("labels")
            records.append({"image": row["image"], "text": row["text"],
                            "labels": None if labels is None else
                            [x.strip() for x in labels.split(";") if x.strip()]})
    except csv.Error as e:
        raise InputError(f"{path}:{reader.line_num}: not a valid CSV file ({e})") from None
    return records


def _records_jsonl(path: Path) -> list[dict]:
    records = []
    for number, line in enumerate(read_utf8(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{number}: not valid JSON ({e.msg})") from e
        if not isinstance(record, dict) or not isinstance(record.get("image"), str) or \
                "text" not in record:
            raise InputError(f"{path}:{number}: expected an object with 'image' (a path) and "
                             "'text'")
        labels = record.get("labels")
        if labels is not None and not isinstance(labels, list):
            raise InputError(f"{path}:{number}: 'labels' must be a list of names")
        records.append({"image": record["image"], "text": str(record["text"]),
                        "labels": labels})
    return records


def _records_sidecar(folder: Path) -> list[dict]:
    records = []
    for image in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        text_file = image.with_suffix(".txt")
        if not text_file.is_file():
            raise InputError(f"{image}: no text file {text_file.name} beside it")
        records.append({"image": image.name, "text": read_utf8(text_file).strip(),
                        "labels": None})
    return records


def read_folder(folder: str | Path) -> PairedDataset:
    """Read a folder of images with texts (see the module docstring for the layouts)."""
    folder = check_folder(folder, "dataset folder")
    if (folder / "pairs.csv").is_file():
        records = _records_csv(folder / "pairs.csv")
    elif (folder / "pairs.jsonl").is_file():
        records = _records_jsonl(folder / "pairs.jsonl")
    else:
        records = _records_sidecar(folder)
    if not records:
        raise InputError(f"{folder}: no image–text pairs found")
    for record in records:
        if not record["text"].strip():
            raise InputError(f"{folder}: empty text for image {record['image']!r}")
    has_labels = [r["labels"] is not None for r in records]
    labels = label_names = None
    if any(has_labels):
        if not all(has_labels):
            missing = records[has_labels.index(False)]["image"]
            raise InputError(f"{folder}: image {missing!r} has no labels while others do")
        label_names = sorted({name for r in records for name in r["labels"]})
        column = {name: j for j, name in enumerate(label_names)}
        labels = np.zeros((len(records), len(label_names)), np.uint8)
        for i, record in enumerate(records):
            labels[i, [column[name] for name in record["labels"]]] = 1
    return PairedDataset(
        name=folder.name,
        ids=[Path(r["image"]).stem for r in records],
        labels=labels,
        label_names=label_names,
        image_paths=[str((folder / r["image"]).resolve()) for r in records],
        texts=[r["text"] for r in records],
    )
