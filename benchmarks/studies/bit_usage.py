"""How many of a model's bits carry information: bit balance of the database codes of runs.

    python -m benchmarks.studies.bit_usage RUN_FOLDER [RUN_FOLDER ...] [--bits 16]

RUN_FOLDER is the output of `cmhash run` (or of `benchmarks.results.results_table`, under
runs/results/); its `codes_<bits>.npz` holds the test codes.  For each modality's database codes
(n × K, in {−1, +1}) it prints the number of bits whose mean |m_k| = |(1/n) Σ_i b_ik| exceeds 0.9
(a bit that is the same for ≥ 95 % of the items), the median |m_k|, and the sum of the bits'
entropies Σ_k H((1 + m_k)/2) in bits — K for balanced independent-looking bits, lower when bits
are stuck (correlation between bits is not counted, so this is an upper bound on the
information).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from cmhash.codes import load_code_set


def bit_entropy(means: np.ndarray) -> float:
    """Σ_k H(p_k), p_k = (1 + m_k) / 2, H(p) = −p log2 p − (1 − p) log2(1 − p)."""
    p = np.clip((1 + means) / 2, 1e-12, 1 - 1e-12)
    return float(-(p * np.log2(p) + (1 - p) * np.log2(1 - p)).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_folders", nargs="+")
    parser.add_argument("--bits", type=int, default=16)
    args = parser.parse_args()
    print(f"database codes, {args.bits} bits")
    print("| run | method | modality | bits with abs(mean) > 0.9 | median abs(mean) | "
          "entropy (bits) |")
    print("|---|---|---|---|---|---|")
    for folder in map(Path, args.run_folders):
        path = folder / f"codes_{args.bits}.npz"
        if not path.is_file():
            sys.exit(f"bit_usage: no {path.name} in {folder}")
        method = json.loads((folder / "config.json").read_text()).get("method", "?")
        code_set = load_code_set(path)
        for modality in ("image", "text"):
            codes = getattr(code_set, f"database_{modality}")
            if codes is None:
                continue
            means = np.abs(codes.to_signs().mean(axis=0))
            print(f"| {folder.name} | {method} | {modality} | {(means > 0.9).sum()} | "
                  f"{np.median(means):.2f} | {bit_entropy(means):.1f} |")


if __name__ == "__main__":
    main()
