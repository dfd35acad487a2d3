"""Seconds of a BLAS-heavy fit by thread count: the libraries' defaults against ``set_threads``.

    python -m benchmarks.speed.thread_count [--data-root ../shared/data] [--bits 64]
                                            [--repeats 3]

Fits ``cca_itq`` (1,000 RBF anchors: eigendecompositions and SVDs of 1,000 × 1,000 matrices) on
Wiki's 2,173 training pairs, each setting in a fresh process, and prints the median of the
repeats.  "default" leaves torch, the BLAS and numba to size their own pools; N sets N threads
with :func:`cmhash.utils.threads.set_threads`, as ``cmhash --threads N`` does (the CLI's default
is the cores this process may use).  Run it while another job keeps the cores busy to see the
cost of oversubscription.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

FIT = """
import sys, time
from cmhash.data import load_dataset, make_split
from cmhash.methods import create_method
from cmhash.utils.threads import set_threads
threads, root, bits = sys.argv[1], sys.argv[2], int(sys.argv[3])
if threads != "default":
    set_threads(int(threads))
wiki = load_dataset("wiki", root or None)
train = make_split(wiki, "wiki").train
image, text = wiki.image_feature()[train], wiki.text_feature()[train]
started = time.perf_counter()
create_method("cca_itq", bits=bits, random_state=0).fit(image, text)
print(time.perf_counter() - started)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default="",
                        help="default: $CMHASH_DATA_ROOT, else ./data")
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    usable = len(os.sched_getaffinity(0))
    print(f"cca_itq on Wiki, {args.bits} bits; {usable} usable cores, {os.cpu_count()} in all")
    print("| threads | seconds (median) |\n|---|---|")
    for setting in ("default", "1", str(usable)):
        times = [float(subprocess.run(
            [sys.executable, "-c", FIT, setting, args.data_root, str(args.bits)],
            check=True, capture_output=True, text=True).stdout) for _ in range(args.repeats)]
        print(f"| {setting} | {statistics.median(times):.2f} |", flush=True)


if __name__ == "__main__":
    main()
