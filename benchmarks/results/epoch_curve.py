"""Validation mAP against epochs, read from a run folder's training log.

    python -m benchmarks.results.epoch_curve RUN_FOLDER [--bits 64]

RUN_FOLDER is the output of `cmhash run` for a deep method (or its record under
benchmarks/records/); the log is
RUN_FOLDER/train_<bits>/train_log.jsonl (validation queries: pairs held out from the training
pairs, database: the other training pairs).  Prints one row per epoch.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cmhash.results import training_logs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_folder")
    parser.add_argument("--bits", type=int, default=64)
    args = parser.parse_args()
    folder = Path(args.run_folder)
    if not (folder / "config.json").is_file():
        sys.exit(f"epoch_curve: {folder} is not a run folder (no config.json)")
    config = json.loads((folder / "config.json").read_text())
    log = dict(training_logs(folder)).get(args.bits)  # a run folder's or a record's
    if log is None:
        sys.exit(f"epoch_curve: no training log for {args.bits} bits in {folder}")
    print(f"{config['method']} on {config['dataset']} ({config['protocol']}), {args.bits} bits, "
          f"params {config['params']}; validation pairs: {config['validation']['pairs']}")
    print("| phase | epoch | validation I→T map | validation T→I map | seconds |")
    print("|---|---|---|---|---|")
    for line in log.read_text().splitlines():
        record = json.loads(line)
        validation = record.get("validation")
        if validation is None:
            continue
        print(f"| {record['phase']} | {record['epoch']} | {validation['i2t_map']:.4f} | "
              f"{validation['t2i_map']:.4f} | {record['seconds']:.0f} |")


if __name__ == "__main__":
    main()
