"""Validation mAP against epochs, read from a run folder's training log.

    python -m benchmarks.results.epoch_curve RUN_FOLDER [--bits 64] [--against OTHER_FOLDER]

RUN_FOLDER is the output of `cmhash run` for a deep method (or its record under
benchmarks/records/); the log is
RUN_FOLDER/train_<bits>/train_log.jsonl (validation queries: pairs held out from the training
pairs, database: the other training pairs).  Prints one row per validated epoch.  With
``--against``, the run it is compared with (same validation pairs) is printed beside it, epoch
by epoch of the validated phase, with the difference RUN − OTHER in points (100 × map).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cmhash.results import training_logs, validated_epochs


def validation_curve(folder: Path, bits: int) -> tuple[dict[str, Any], dict[int, dict]]:
    """The run configuration of ``folder`` and its validated epochs: epoch → log record."""
    if not (folder / "config.json").is_file():
        sys.exit(f"epoch_curve: {folder} is not a run folder (no config.json)")
    config = json.loads((folder / "config.json").read_text())
    log = dict(training_logs(folder)).get(bits)  # a run folder's or a record's
    if log is None:
        sys.exit(f"epoch_curve: no training log for {bits} bits in {folder}")
    return config, {r["epoch"]: r for r in validated_epochs(log)}


def describe(config: dict[str, Any], bits: int) -> str:
    return (f"{config['method']} on {config['dataset']} ({config['protocol']}), {bits} bits, "
            f"params {config['params']}; validation pairs: {config['validation']['pairs']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_folder")
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--against", metavar="OTHER_FOLDER",
                        help="a run with the same validation pairs, printed beside it")
    args = parser.parse_args()
    config, curve = validation_curve(Path(args.run_folder), args.bits)
    print(describe(config, args.bits))
    if args.against is None:
        print("| phase | epoch | validation I→T map | validation T→I map | seconds |")
        print("|---|---|---|---|---|")
        for epoch, record in curve.items():
            validation = record["validation"]
            print(f"| {record['phase']} | {epoch} | {validation['i2t_map']:.4f} | "
                  f"{validation['t2i_map']:.4f} | {record['seconds']:.0f} |")
        return
    other_config, other = validation_curve(Path(args.against), args.bits)
    if other_config["validation"] != config["validation"]:
        sys.exit(f"epoch_curve: {args.against} was validated on other pairs than "
                 f"{args.run_folder}")
    print(f"against: {describe(other_config, args.bits)}")
    print("| epoch | I→T map | T→I map | other I→T | other T→I | difference (points) |")
    print("|---|---|---|---|---|---|")
    for epoch in sorted(curve.keys() & other.keys()):
        a, b = curve[epoch]["validation"], other[epoch]["validation"]
        print(f"| {epoch} | {a['i2t_map']:.4f} | {a['t2i_map']:.4f} | {b['i2t_map']:.4f} | "
              f"{b['t2i_map']:.4f} | {100 * (a['i2t_map'] - b['i2t_map']):+.1f} / "
              f"{100 * (a['t2i_map'] - b['t2i_map']):+.1f} |")


if __name__ == "__main__":
    main()
