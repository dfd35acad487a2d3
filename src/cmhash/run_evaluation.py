"""The last step of a run: its codes files evaluated into reports, plots and ``summary.json``.

``cmhash evaluate RUN_DIR`` (and ``cmhash run`` after training and encoding) evaluates each
``codes_<bits>.npz`` of the run folder with the run's metrics and directions (those of its
``config.json``) into ``report_<bits>.json`` (metrics, curves, the training record, and
``codes_sha256``: the SHA-256 of the codes file it evaluated), ``pr_<bits>.png`` and
``p_at_k_<bits>.png``; a report of the current codes file is kept, not computed again.  Then
``summary.json`` gets one row per evaluated code length::

    {"schema_version": 1, "method": ..., "dataset": ..., "protocol": ...,
     "rows": [{"bits": 16, "train_seconds": ..., "epochs": ..., "i2t map": ..., ...}, ...]}

``epochs`` counts the epochs of every training phase (HMAH: teacher and students; MITH or MATH
with ``align_epochs``: the alignment epochs and the method's), as ``train_log.jsonl`` lists them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cmhash.codes import load_code_set
from cmhash.errors import InputError
from cmhash.metrics import (
    DEFAULT_CURVE_DEPTHS,
    evaluate_code_set,
    plot_pr_curve,
    plot_precision_at_k,
    require_matplotlib,
)
from cmhash.results import SUMMARY_FILE, SUMMARY_SCHEMA_VERSION
from cmhash.run_folder import RunFolder, read_run_config
from cmhash.utils.atomic import write_json


def evaluate_run(run_dir: str | Path, log: Any = print) -> dict[str, Any]:
    """Evaluate every codes file of the run folder ``run_dir``; return the summary (also
    written to ``summary.json``)."""
    config = read_run_config(run_dir)
    require_matplotlib()
    folder = RunFolder(Path(run_dir))
    encoded = [bits for bits in config.bits if folder.codes_path(bits).is_file()]
    if not encoded:
        raise InputError(f"run folder {run_dir} holds no codes file yet (cmhash codes)")
    rows = []
    for bits in encoded:
        codes_path = folder.codes_path(bits)
        digest = hashlib.sha256(codes_path.read_bytes()).hexdigest()
        report = _current_report(folder.report_path(bits), digest)
        if report is None:
            training = folder.training(bits)
            if training is None:
                raise InputError(f"{codes_path}: no training record "
                                 f"{folder.training_path(bits).name} beside it")
            try:
                report = evaluate_code_set(load_code_set(codes_path), tuple(config.metrics),
                                           tuple(config.directions), DEFAULT_CURVE_DEPTHS)
            except InputError as e:
                raise InputError(f"{codes_path}: {e}") from None
            report |= {"method": config.method, "dataset": config.dataset,
                       "protocol": config.protocol, "codes_sha256": digest,
                       **{k: v for k, v in training.items() if k != "bits"}}
            title = f"{config.method} on {config.dataset}, {bits} bits"
            plot_pr_curve(report, folder.path / f"pr_{bits}.png", title)
            plot_precision_at_k(report, folder.path / f"p_at_k_{bits}.png", title)
            write_json(folder.report_path(bits), report)
        rows.append(_summary_row(report, log))
    summary = {"schema_version": SUMMARY_SCHEMA_VERSION, "method": config.method,
               "dataset": config.dataset, "protocol": config.protocol, "rows": rows}
    write_json(folder.path / SUMMARY_FILE, summary)
    return summary


def _current_report(path: Path, codes_sha256: str) -> dict[str, Any] | None:
    """The report at ``path`` if it evaluated the codes file of this digest; else None."""
    try:
        report = json.loads(path.read_text()) if path.is_file() else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if isinstance(report, dict) and report.get("codes_sha256") == codes_sha256:
        return report
    return None


def _summary_row(report: dict[str, Any], log: Any) -> dict[str, Any]:
    """A code length's row of the summary, from its report; logged on one line."""
    row = {"bits": report["bits"], "train_seconds": report["train_seconds"],
           "epochs": report["epochs_trained"]}
    for direction, result in report["directions"].items():
        row |= {f"{direction} {name}": value for name, value in result["metrics"].items()}
    log(" ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
    return row
