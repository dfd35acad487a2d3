"""Does bf16 autocast change what MITH or MATH learns?  Validation curves of float32 with two
seeds beside bfloat16 autocast, so the precision's effect can be read against seed noise.

    python benchmarks/precision_curve.py [--method mith] [--bits 16] [--epochs 2]
                                         [--warmup-steps 119]

Each run is `cmhash run` of configs/<method>-mirflickr.toml (MIRFlickr-25K, 15,677 pairs,
protocol `mirflickr` seed 1; EfficientNet-Lite0 tokens, MiniLM tokens) for --epochs epochs with
the authors' warm-up length in steps (5 % of 30 epochs of ⌈10,000 / 128⌉ steps = 119), at the
given code length; the table lists the validation mAP (1,000 held-out training pairs against
3,000 training pairs) after every epoch.  No test query is scored.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from cmhash.pipeline import run  # noqa: E402
from cmhash.run_config import load_run_config  # noqa: E402

RUNS = (("float32", 0), ("float32", 1), ("bfloat16", 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--method", default="mith", choices=["mith", "math"])
    parser.add_argument("--bits", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--warmup-steps", type=int, default=119)
    args = parser.parse_args()
    base = load_run_config(REPO / "configs" / f"{args.method}-mirflickr.toml",
                           {"bits": [args.bits], "metrics": ["map"]})
    print(f"{args.method}, {args.bits} bits, {args.epochs} epochs, warm-up {args.warmup_steps} "
          "steps; validation I→T / T→I map after each epoch")
    print("| precision | seed | " + " | ".join(f"epoch {e + 1}" for e in range(args.epochs))
          + " | s per epoch |")
    print("|---|---|" + "---|" * (args.epochs + 1))
    for precision, seed in RUNS:
        params = {**base.params, "epochs": args.epochs, "warmup_steps": args.warmup_steps,
                  "precision": precision}
        config = replace(base, params=params, seed=seed)
        with tempfile.TemporaryDirectory() as folder:
            run(config, folder, args.data_root, log=lambda _: None)
            log = Path(folder) / f"train_{args.bits}" / "train_log.jsonl"
            records = [json.loads(line) for line in log.read_text().splitlines()]
        cells = [f"{r['validation']['i2t_map']:.4f} / {r['validation']['t2i_map']:.4f}"
                 for r in records]
        seconds = sum(r["seconds"] for r in records) / len(records)
        print(f"| {precision} | {seed} | " + " | ".join(cells) + f" | {seconds:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
