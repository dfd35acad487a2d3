"""The main job: train a method on a dataset under a protocol, encode, evaluate, write a run folder.

A run folder holds ``config.json`` (everything needed to repeat the run: method, parameters,
dataset, protocol, seeds, split sizes, cmhash version), and per code length ``codes_<bits>.npz``
(query and database codes with labels), ``report_<bits>.json`` (metrics and curves),
``pr_<bits>.png`` and ``p_at_k_<bits>.png``, then ``summary.json`` with one row per code length.
Every file is written atomically.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cmhash.codes import CodeSet, save_code_set
from cmhash.data import Split, load_dataset, make_split
from cmhash.encoders import feature_matrix
from cmhash.methods import create_method
from cmhash.metrics import (
    DEFAULT_CURVE_DEPTHS,
    DEFAULT_METRICS,
    evaluate_code_set,
    plot_pr_curve,
    plot_precision_at_k,
)
from cmhash.utils.atomic import write_json
from cmhash.utils.validation import check_bits
from cmhash.version import __version__


@dataclass
class RunConfig:
    """What to run; every field is recorded in the run folder's ``config.json``."""

    method: str
    dataset: str
    protocol: str
    bits: list[int] = field(default_factory=lambda: [16, 32, 64, 128])
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    split_seed: int | None = None
    image_feature: str | None = None
    text_feature: str | None = None
    cache_dir: str | None = None
    metrics: list[str] = field(default_factory=lambda: list(DEFAULT_METRICS))
    directions: list[str] = field(default_factory=lambda: ["i2t", "t2i"])


def _without_invalid_pairs(split: Split, valid: np.ndarray) -> tuple[Split, int]:
    """The split without pairs whose features could not be computed (unreadable images)."""
    if valid.all():
        return split, 0
    keep = {name: getattr(split, name)[valid[getattr(split, name)]]
            for name in ("train", "query", "database")}
    return Split(**keep, protocol=split.protocol, seed=split.seed,
                 database_contains_train=split.database_contains_train), int((~valid).sum())


def run(config: RunConfig, out_dir: str | Path, data_root: str | Path | None = None,
        log: Any = print) -> dict[str, Any]:
    """Carry out ``config``; return the summary (also written to ``out_dir/summary.json``)."""
    out_dir = Path(out_dir)
    for bits in config.bits:
        check_bits(bits)
    create_method(config.method, **config.params)  # unknown method or parameter: fail early
    dataset = load_dataset(config.dataset, data_root)
    split = make_split(dataset, config.protocol, config.split_seed)
    labels = dataset.require_labels("evaluation")
    image, image_valid = feature_matrix(dataset, "image", config.image_feature, config.cache_dir)
    text, text_valid = feature_matrix(dataset, "text", config.text_feature, config.cache_dir)
    split, dropped = _without_invalid_pairs(split, image_valid & text_valid)
    write_json(out_dir / "config.json", {
        **asdict(config), "cmhash_version": __version__, "split": split.to_dict(),
        "pairs_dropped_unreadable": dropped,
        "image_feature_shape": list(image.shape), "text_feature_shape": list(text.shape)})

    rows = []
    for bits in config.bits:
        method = create_method(config.method, bits=bits, random_state=config.seed,
                               **config.params)
        started = time.perf_counter()
        method.fit(image[split.train], text[split.train], labels[split.train])
        train_seconds = time.perf_counter() - started
        code_set = CodeSet(
            labels[split.query], labels[split.database],
            method.encode_image(image[split.query]), method.encode_text(text[split.query]),
            method.encode_image(image[split.database]), method.encode_text(text[split.database]))
        save_code_set(out_dir / f"codes_{bits}.npz", code_set)
        report = evaluate_code_set(code_set, tuple(config.metrics), tuple(config.directions),
                                   DEFAULT_CURVE_DEPTHS)
        report |= {"method": config.method, "dataset": config.dataset,
                   "protocol": config.protocol, "train_seconds": round(train_seconds, 3)}
        write_json(out_dir / f"report_{bits}.json", report)
        title = f"{config.method} on {config.dataset}, {bits} bits"
        plot_pr_curve(report, out_dir / f"pr_{bits}.png", title)
        plot_precision_at_k(report, out_dir / f"p_at_k_{bits}.png", title)
        row = {"bits": bits, "train_seconds": round(train_seconds, 3)}
        for direction, result in report["directions"].items():
            row |= {f"{direction} {name}": value for name, value in result["metrics"].items()}
        rows.append(row)
        log(" ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in row.items()))
    summary = {"method": config.method, "dataset": config.dataset,
               "protocol": config.protocol, "rows": rows}
    write_json(out_dir / "summary.json", summary)
    return summary
