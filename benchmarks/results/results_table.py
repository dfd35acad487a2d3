"""Train every method on the real data and write the results tables into docs/results.md.

    python -m benchmarks.results.results_table [--data-root ../shared/data]
                                               [--runs runs/results] [--reuse | --records-only]

The page's prose is written in docs/results.md itself; this script replaces only what lies
between its two marker lines (:data:`BEGIN`, :data:`END`) with the tables, and writes the page
to ``--out`` (by default docs/results.md again).

Every run leaves its record (config.json, summary.json and the deep methods' training logs) in
``benchmarks/records/<run>/``, which is committed: the numbers of docs/results.md can be traced
to the exact configuration, split and per-epoch validation curve.  With ``--reuse`` the rows of
a record of the same configuration are read instead of training again (deep methods take hours
on a CPU); only code lengths missing from it are trained, and added to it.  With
``--records-only`` nothing is trained: the tables hold the recorded rows, and code lengths
without a record are left out (and named on stderr).

For each (method, dataset, protocol) the main pipeline (`cmhash run`) trains at 16/32/64/128
bits (MITH and MATH: 16/32/64, their papers' lengths) with seed 0, and the table lists `map`
(mAP over the whole ranking) and `map@500` for image→text and text→image, with the training time.
No parameter is selected on the queries: every method runs with its defaults.  Encoder features
come from the feature cache ($CMHASH_CACHE_DIR or ~/.cache/cmhash/features) and are computed there
if missing.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import platform
import shutil
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from cmhash.pipeline import run
from cmhash.presets import preset_path
from cmhash.run_config import RunConfig, load_run_config, make_run_config
from cmhash.utils.atomic import write_atomic

REPO = Path(__file__).resolve().parents[2]
RECORDS = REPO / "benchmarks" / "records"
PAGE = REPO / "docs" / "results.md"
#: the marker lines of docs/results.md between which the tables go
BEGIN = "<!-- results tables: made by benchmarks.results.results_table from here -->"
END = "<!-- results tables: to here -->"

BITS = (16, 32, 64, 128)
TOKEN_BITS = (16, 32, 64)  # MITH and MATH: their papers' code lengths
MIRFLICKR = ("MIRFlickr-25K, 15,677 pairs, 128-px images; protocol `mirflickr` (seed 1): 2,000 "
             "queries, 10,000 train, 13,677 database; images: EfficientNet-Lite0 at 224 px "
             "(1280-d pooled)")


def run_config_file(name: str) -> Path:
    """The file of a table entry's preset ``name`` (e.g. ``dadh-mirflickr``)."""
    return preset_path(name)


def page_around_tables(page: str) -> tuple[str, str]:
    """``page`` up to and including its :data:`BEGIN` line, and from its :data:`END` line on:
    the prose around the tables."""
    lines = page.splitlines()
    if lines.count(BEGIN) != 1 or lines.count(END) != 1 or lines.index(BEGIN) > lines.index(END):
        raise SystemExit(f"{PAGE}: needs the marker line {BEGIN!r} once, then {END!r} once")
    return ("\n".join(lines[:lines.index(BEGIN) + 1]),
            "\n".join(lines[lines.index(END):]) + "\n")


@dataclass
class Entry:
    """One row group of a table: a method with its defaults, or the run configuration of
    the preset ``config`` (a deep method's CPU schedule, or a labelled variant)."""

    name: str
    config: str | None = None
    bits: tuple[int, ...] = BITS


@dataclass
class Table:
    title: str
    dataset: str
    protocol: str
    entries: list[Entry]
    image_feature: str | None = None
    text_feature: str | None = None

    def run_config(self, entry: Entry) -> RunConfig:
        """The configuration of ``entry`` in this table (a config file must be for its data)."""
        given = {"bits": list(entry.bits), "metrics": ["map", "map@500"]}
        if entry.config is None:
            return make_run_config({"method": entry.name, "dataset": self.dataset,
                                    "protocol": self.protocol, "image_feature": self.image_feature,
                                    "text_feature": self.text_feature, **given})
        config = load_run_config(run_config_file(entry.config), given)
        data = (config.dataset, config.protocol, config.image_feature, config.text_feature)
        if data != (self.dataset, self.protocol, self.image_feature, self.text_feature):
            raise SystemExit(f"preset {entry.config} is not for the table {self.title!r}")
        return config


BASELINES = [Entry("random"), Entry("cca_itq"), Entry("ridge_hash")]


def deep(data: str) -> list[Entry]:
    """HMAH, DADH and AGAH (CPU schedules) on ``data`` (a preset name's suffix)."""
    return [Entry("hmah", f"hmah-{data}"), Entry("dadh", f"dadh-{data}"),
            Entry("agah", f"agah-{data}")]


TABLES = [
    Table("Wiki (2,866 pairs; 128-d SIFT BoVW images, 10-d LDA texts; protocol `wiki`: "
          "693 queries, 2,173 train = database)", "wiki", "wiki",
          [*BASELINES, *deep("wiki"), Entry("hmah batch 128", "hmah-batch128-wiki"),
           Entry("agah, inputs standardised", "agah-standardized-wiki")]),
    Table(f"{MIRFLICKR}; texts: 1,386-d tag BoW", "mirflickr-images", "mirflickr",
          [*BASELINES, *deep("mirflickr")], "efficientnet_lite0", "bow"),
    Table(f"{MIRFLICKR}; texts: MiniLM (384-d sentence embedding of the tags), the same text "
          "features for every method (feature-matched); MITH and MATH: the EfficientNet-Lite0 "
          "7 × 7 token grid and MiniLM word-piece tokens as well",
          "mirflickr-images", "mirflickr",
          [*BASELINES, Entry("hmah", "hmah-minilm-mirflickr"),
           Entry("dadh", "dadh-minilm-mirflickr"),
           Entry("mith", "mith-mirflickr", TOKEN_BITS),
           Entry("math", "math-mirflickr", TOKEN_BITS),
           Entry("mith, aligned backbone (variant)", "mith-aligned-mirflickr", (64,))],
          "efficientnet_lite0", "minilm"),
]


def _comparable(config: dict) -> dict:
    """A configuration without what does not change its results' definition: ``resume``,
    ``bits`` (rows are kept per code length) and the device a deep method trained on."""
    params = {k: v for k, v in config.get("params", {}).items() if k != "device"}
    return {k: v for k, v in config.items() if k not in ("resume", "bits")} | {"params": params}


def _recorded_rows(config: RunConfig, folder: Path) -> dict[int, dict]:
    """The rows, by code length, of earlier runs of ``config`` (at any bits) recorded in
    ``folder``."""
    try:
        recorded = json.loads((folder / "config.json").read_text())
        summary = json.loads((folder / "summary.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    wanted = _comparable(asdict(config))
    same = all(_comparable(recorded).get(k) == v for k, v in wanted.items())
    return {row["bits"]: row for row in summary["rows"]} if same else {}


def _trained_on(config: RunConfig) -> str:
    """The machine a run trained on, for its record."""
    device = str(config.params.get("device", "cpu"))
    if device.startswith("cuda"):
        import torch

        return f"{device}: {torch.cuda.get_device_name(torch.device(device))}"
    return f"cpu: {platform.machine()}"


def _machine_mark(row: dict) -> str:
    """`` (GPU)`` after the training time of a row trained on a GPU (the others: this CPU)."""
    return " (GPU)" if row.get("trained_on", "cpu").startswith("cuda") else ""


def _keep_record(config: RunConfig, run_folder: Path, record: Path) -> dict[int, dict]:
    """Copy the run's configuration, summary and training logs into ``record``, merged with
    the rows recorded there for other code lengths of the same configuration.  A lock on the
    records folder lets several processes, each training one code length, record side by side."""
    RECORDS.mkdir(parents=True, exist_ok=True)
    with (RECORDS / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        earlier = _recorded_rows(config, record)
        if not earlier:
            shutil.rmtree(record, ignore_errors=True)
        record.mkdir(parents=True, exist_ok=True)
        summary = json.loads((run_folder / "summary.json").read_text())
        trained_on = _trained_on(config)
        rows = {**earlier,
                **{row["bits"]: {**row, "trained_on": trained_on} for row in summary["rows"]}}
        run_config = json.loads((run_folder / "config.json").read_text())
        for name, content in (
                ("config.json", {**run_config, "bits": sorted(rows)}),
                ("summary.json", {**summary, "rows": [rows[b] for b in sorted(rows)]})):
            (record / name).write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n")
        for log in sorted(run_folder.glob("train_*/train_log.jsonl")):
            shutil.copy(log, record / f"{log.parent.name}_log.jsonl")
    return rows


def table(spec: Table, runs: Path, data_root: str, reuse: bool, train: bool,
          only: list[str] | None = None, train_bits: list[int] | None = None,
          resume: bool = False, device: str | None = None) -> list[str]:
    lines = [f"### {spec.title}", "",
             "| method | bits | I→T map | T→I map | I→T map@500 | T→I map@500 | train s | epochs |",
             "|---|---|---|---|---|---|---|---|"]
    for entry in spec.entries:
        config = spec.run_config(entry)
        if device is not None:
            config = replace(config, params={**config.params, "device": device})
        folder = Path(entry.config).stem if entry.config else "-".join(filter(None, (
            entry.name, spec.dataset, spec.protocol, spec.image_feature, spec.text_feature)))
        selected = only is None or folder in only
        rows = _recorded_rows(config, RECORDS / folder) if reuse or not selected else {}
        missing = [bits for bits in config.bits if bits not in rows
                   and (train_bits is None or bits in train_bits)]
        if missing and not (train and selected):
            print(f"not recorded, left out: {folder} at {missing} bits", file=sys.stderr)
            missing = []
        if missing and not resume:
            shutil.rmtree(runs / folder, ignore_errors=True)
        for bits in missing:  # one code length at a time, recorded as soon as it is trained
            # in a run folder of its own (a run folder holds one run: one bit list)
            run_folder = runs / folder / f"{bits}_bits"
            run(replace(config, bits=[bits], resume=resume), run_folder, data_root,
                log=lambda _: None)
            rows = _keep_record(config, run_folder, RECORDS / folder)
        for row in (rows[bits] for bits in config.bits if bits in rows):
            lines.append(
                f"| {entry.name} | {row['bits']} | {row['i2t map']:.4f} | {row['t2i map']:.4f} | "
                f"{row['i2t map@500']:.4f} | {row['t2i map@500']:.4f} | "
                f"{row['train_seconds']:.2f}{_machine_mark(row)} | {row.get('epochs') or '—'} |")
        print(f"done: {folder}", flush=True)
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="default: $CMHASH_DATA_ROOT, else ./data")
    parser.add_argument("--runs", default=str(REPO / "runs" / "results"))
    parser.add_argument("--out", default=str(PAGE),
                        help="where the page goes (default: docs/results.md itself)")
    reuse = parser.add_mutually_exclusive_group()
    reuse.add_argument("--reuse", action="store_true",
                       help="read records of the same configuration instead of training again")
    reuse.add_argument("--records-only", action="store_true",
                       help="train nothing: tables from the records alone")
    parser.add_argument("--only", nargs="+", metavar="RECORD",
                        help="train only these entries (record folder names, e.g. "
                             "dadh-mirflickr); the others are read from their records")
    parser.add_argument("--bits", type=int, nargs="+",
                        help="train only these code lengths (the others from the records)")
    parser.add_argument("--resume", action="store_true",
                        help="continue killed training runs in --runs from their checkpoints")
    parser.add_argument("--device", help="torch device of the deep methods trained, e.g. cuda "
                                         "(recorded with each row; not part of the "
                                         "configuration that --reuse matches)")
    args = parser.parse_args()
    before, after = page_around_tables(PAGE.read_text())  # checked before anything trains
    lines = [f"Machine: {platform.machine()}, Python {platform.python_version()}.", ""]
    for spec in TABLES:
        lines += table(spec, Path(args.runs), args.data_root,
                       args.reuse or args.records_only, train=not args.records_only,
                       only=args.only, train_bits=args.bits, resume=args.resume,
                       device=args.device)
    text = "\n".join([before, *lines, after])
    write_atomic(args.out, lambda p: p.write_text(text))
    print(text)


if __name__ == "__main__":
    main()
