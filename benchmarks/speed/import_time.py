"""Import time of cmhash: wall seconds of ``python -c "import MODULE"`` in fresh processes.

Each run starts a new interpreter (the one running this script), so nothing is cached in
memory between runs; the time includes the interpreter's own start-up, measured alone on the
first line (``python -c pass``) for comparison.  Prints the median of ``--runs`` runs per module
and which heavy dependencies each import pulled in (none of torch, numba, matplotlib is
expected: they load when a deep method, encoder, metric kernel or plot is used).

    python -m benchmarks.speed.import_time [--runs 5] [MODULE ...]  # default: cmhash cmhash.codes

``python -X importtime -c "import cmhash"`` lists what an import costs, module by module.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HEAVY = ("torch", "numba", "matplotlib", "scipy", "h5py")


def run_once(code: str) -> tuple[float, str]:
    """Wall seconds of one fresh ``python -c code`` (this interpreter and environment, so the
    cmhash it imports is the one this script sees) and its standard output."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=["cmhash", "cmhash.codes"])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.runs} "
          f"fresh processes")
    baseline = statistics.median(run_once("pass")[0] for _ in range(args.runs))
    print(f"{'python -c pass':<32} {baseline:6.3f} s")
    probe = f"import sys, json; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    for module in args.modules:
        runs = [run_once(f"import {module}; {probe}") for _ in range(args.runs)]
        median = statistics.median(seconds for seconds, _ in runs)
        loaded = json.loads(runs[-1][1])
        print(f"{'import ' + module:<32} {median:6.3f} s   loaded: {', '.join(loaded) or '-'}")


if __name__ == "__main__":
    main()
