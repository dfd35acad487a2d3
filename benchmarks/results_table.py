"""Train every method on the real data and write the results tables into docs/results.md.

    python benchmarks/results_table.py [--data-root ../shared/data] [--runs runs/results]
                                       [--reuse]

With ``--reuse`` a run folder whose ``summary.json`` was made by the same configuration is read
instead of trained again (deep methods take hours on a CPU).

For each (method, dataset, protocol) the main pipeline (`cmhash run`) trains at 16/32/64/128
bits with seed 0, and the table lists `map` (mAP over the whole ranking) and `map@500` for
image→text and text→image, with the training time.  No parameter is selected on the queries:
every method runs with its defaults.  Encoder features come from the feature cache
($CMHASH_CACHE_DIR or ~/.cache/cmhash/features) and are computed there if missing.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from cmhash.pipeline import RunConfig, run  # noqa: E402
from cmhash.utils.atomic import write_atomic  # noqa: E402

BITS = [16, 32, 64, 128]
BASELINES = ["random", "cca_itq", "ridge_hash"]
MIRFLICKR = ("MIRFlickr-25K, 15,677 pairs, 128-px images; protocol `mirflickr` (seed 1): 2,000 "
             "queries, 10,000 train, 13,677 database; images: EfficientNet-Lite0 at 224 px "
             "(1280-d pooled)")


@dataclass
class Table:
    title: str
    dataset: str
    protocol: str
    methods: list[str]
    image_feature: str | None = None
    text_feature: str | None = None


TABLES = [
    Table("Wiki (2,866 pairs; 128-d SIFT BoVW images, 10-d LDA texts; protocol `wiki`: "
          "693 queries, 2,173 train = database)", "wiki", "wiki", BASELINES),
    Table(f"{MIRFLICKR}; texts: 1,386-d tag BoW", "mirflickr-images", "mirflickr",
          [*BASELINES, "hmah"], "efficientnet_lite0", "bow"),
    Table(f"{MIRFLICKR}; texts: MiniLM (384-d sentence embedding of the tags)",
          "mirflickr-images", "mirflickr", BASELINES, "efficientnet_lite0", "minilm"),
]


def _reused(config: RunConfig, folder: Path) -> dict | None:
    """The summary of an earlier run of exactly ``config`` in ``folder``, if there is one."""
    try:
        recorded = json.loads((folder / "config.json").read_text())
        summary = json.loads((folder / "summary.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None
    same = all(recorded.get(k) == v for k, v in asdict(config).items() if k != "resume")
    return summary if same else None


def table(spec: Table, runs: Path, data_root: str, reuse: bool) -> list[str]:
    lines = [f"### {spec.title}", "",
             "| method | bits | I→T map | T→I map | I→T map@500 | T→I map@500 | train s | epochs |",
             "|---|---|---|---|---|---|---|---|"]
    for method in spec.methods:
        config = RunConfig(method=method, dataset=spec.dataset, protocol=spec.protocol,
                           bits=BITS, metrics=["map", "map@500"],
                           image_feature=spec.image_feature, text_feature=spec.text_feature)
        folder = "-".join(filter(None, (method, spec.dataset, spec.protocol,
                                         spec.image_feature, spec.text_feature)))
        summary = _reused(config, runs / folder) if reuse else None
        if summary is None:
            summary = run(config, runs / folder, data_root, log=lambda _: None)
        for row in summary["rows"]:
            lines.append(
                f"| {method} | {row['bits']} | {row['i2t map']:.4f} | {row['t2i map']:.4f} | "
                f"{row['i2t map@500']:.4f} | {row['t2i map@500']:.4f} | "
                f"{row['train_seconds']:.2f} | {row.get('epochs') or '—'} |")
        print(f"done: {folder}", flush=True)
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--runs", default=str(REPO / "runs" / "results"))
    parser.add_argument("--out", default=str(REPO / "docs" / "results.md"))
    parser.add_argument("--reuse", action="store_true",
                        help="read runs of the same configuration instead of training again")
    args = parser.parse_args()
    lines = [
        "# Results",
        "",
        "Made by `python benchmarks/results_table.py`; do not edit by hand.  Metrics as defined",
        "in [metrics.md](metrics.md): `map` = mAP over the whole ranking, `map@500` = AP of the",
        "top-500 list (MATLAB/HMAH definition); ranking by Hamming distance, ties by database",
        "position; relevant = at least one shared label.  Seed 0, default parameters, no",
        "selection on the queries: deep methods keep the epoch with the best validation mAP on",
        "1,000 pairs held out from the training pairs (they train on the other 9,000); HMAH's",
        "database codes are the standard per-modality ones.  `train s` is wall time on this",
        "2-core CPU, which other jobs sometimes shared (clean per-epoch times:",
        "[benchmarks.md](benchmarks.md)); `epochs` counts every training epoch (HMAH: 20 teacher",
        f"+ 20 student).  Machine: {platform.machine()}, Python {platform.python_version()}.",
        "",
    ]
    for spec in TABLES:
        lines += table(spec, Path(args.runs), args.data_root, args.reuse)
    text = "\n".join(lines)
    write_atomic(args.out, lambda p: p.write_text(text))
    print(text)


if __name__ == "__main__":
    main()
