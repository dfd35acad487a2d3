"""Run folders gathered into one table: ``cmhash results RUN_DIR… --format md|csv|json``.

Each run folder's ``summary.json`` (one row per code length: metrics, training seconds, epochs)
becomes rows of one table, each row prefixed with the run (the folder's name), method, dataset
and protocol; the columns are the union of the runs' columns, in the order first seen (a metric
one run did not compute is left empty).  A summary without ``schema_version`` is read as the
first version (the layout it had before the key was added); a newer version than this cmhash
knows is refused.

:func:`plot_validation_curves` draws the deep methods' per-epoch validation score (the
``"score"`` their epoch is selected by: the mean of i2t and t2i mAP on the validation split)
from each run's ``train_<bits>/train_log.jsonl`` (a record folder of ``benchmarks/records``:
``train_<bits>_log.jsonl``), one line per run and code length, epochs
counted across phases (HMAH's teacher, then students).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cmhash.errors import InputError
from cmhash.metrics.plots import new_plot, save_png
from cmhash.utils.json_files import read_json_object

#: the version of summary.json this cmhash writes (and the newest it reads)
SUMMARY_SCHEMA_VERSION = 1
SUMMARY_FILE = "summary.json"
FORMATS = ("md", "csv", "json")
RUN_COLUMNS = ("run", "method", "dataset", "protocol")


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """The summary of the run folder ``run_dir``; a missing, unreadable or too new one is an
    :class:`InputError` naming the file."""
    path = Path(run_dir) / SUMMARY_FILE
    if not Path(run_dir).is_dir():
        raise InputError(f"{run_dir} is not a folder, so not a run folder")
    if not path.is_file():
        raise InputError(f"{path} not found: is {run_dir} a finished run?")
    summary = read_json_object(path, "summary")
    if not isinstance(summary.get("rows"), list):
        raise InputError(f"{path}: not a run summary (no 'rows' list)")
    version = summary.get("schema_version", 1)
    if not isinstance(version, int) or version > SUMMARY_SCHEMA_VERSION:
        raise InputError(f"{path}: schema_version {version!r} is newer than this cmhash reads "
                         f"({SUMMARY_SCHEMA_VERSION}); upgrade cmhash")
    return summary


def gather_rows(run_dirs: Sequence[str | Path]) -> list[dict[str, Any]]:
    """One row per run folder and code length, in the order given."""
    rows = []
    for run_dir in run_dirs:
        summary = read_summary(run_dir)
        names = {"run": Path(run_dir).resolve().name} | {
            key: summary.get(key) for key in RUN_COLUMNS[1:]}
        rows += [names | row for row in summary["rows"]]
    return rows


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        columns |= dict.fromkeys(row)
    return list(columns)


def format_rows(rows: list[dict[str, Any]], fmt: str) -> str:
    """The rows as a Markdown table (numbers to 4 decimals), CSV (full precision; an absent
    value is empty) or a JSON list."""
    if fmt == "json":
        return json.dumps(rows, indent=2, allow_nan=False) + "\n"
    columns = _columns(rows)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    if fmt != "md":
        raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4f}"
        return "" if value is None else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def validation_curves(run_dir: str | Path) -> dict[int, list[float]]:
    """Code length → the validation score of every validated epoch, in training order, from the
    run's training logs (empty for a method without validation)."""
    curves = {}
    for bits, log in training_logs(run_dir):
        scores = [r["validation"]["score"] for r in validated_epochs(log)
                  if r["validation"].get("score") is not None]
        if scores:
            curves[bits] = scores
    return dict(sorted(curves.items()))


def validated_epochs(log: str | Path) -> list[dict[str, Any]]:
    """The records of a training log (``train_log.jsonl``) that carry a validation, in
    training order; an :class:`InputError` naming the line that is not JSON."""
    records = []
    for number, line in enumerate(Path(log).read_text(encoding="utf-8").splitlines(), 1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise InputError(f"{log}:{number}: not a JSON line") from None
        if record.get("validation"):
            records.append(record)
    return records


def training_logs(run_dir: str | Path) -> list[tuple[int, Path]]:
    """(code length, log) of every training log in ``run_dir``: a run folder's
    ``train_<bits>/train_log.jsonl`` or a record folder's ``train_<bits>_log.jsonl`` (the
    layout of ``benchmarks/records``)."""
    run_dir = Path(run_dir)
    logs = []
    for log in [*run_dir.glob("train_*/train_log.jsonl"), *run_dir.glob("train_*_log.jsonl")]:
        name = log.parent.name if log.name == "train_log.jsonl" else log.name
        bits_text = name.removeprefix("train_").removesuffix("_log.jsonl")
        if bits_text.isdigit():
            logs.append((int(bits_text), log))
    return sorted(logs)


def plot_validation_curves(run_dirs: Sequence[str | Path], path: str | Path) -> Path:
    """One PNG of every run's per-epoch validation score; an :class:`InputError` if no run has
    one (nothing is written then)."""
    curves = {(Path(d).resolve().name, bits): scores for d in run_dirs
              for bits, scores in validation_curves(d).items()}
    if not curves:
        raise InputError("no validation curves in these runs (only deep methods trained with "
                         "a validation split log them, in train_<bits>/train_log.jsonl)")
    figure, ax = new_plot((6, 4))
    for (run, bits), scores in curves.items():
        ax.plot(range(1, len(scores) + 1), scores, marker=".", label=f"{run}, {bits} bits")
    ax.set(xlabel="validated epoch", ylabel="validation score (mean i2t, t2i mAP)",
           title="validation curves")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return save_png(figure, Path(path))
