"""Helpers the tests share: small datasets written from the real data."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from cmhash.data import load_dataset


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
