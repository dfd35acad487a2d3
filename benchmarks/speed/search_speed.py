"""Hamming search speed: every cmhash index backend beside FAISS's binary indexes, one run.

Data sets (``--datasets N:BITS ...``, default 1M and 10M codes of 64 bits and 1M of 128), each
in two kinds (``--kinds``):

- ``uniform``: independent random bits;
- ``learned``: learned-like codes — ``--prototypes`` random prototype codes, each code a
  prototype with every bit flipped independently with probability ``--flip``.  Queries are drawn
  the same way.  The default ``--flip`` is a placeholder: measure it on a trained model's codes
  (e.g. MIRFlickr-25K at 64 bits: group the database codes by their label set, take each
  group's bitwise majority code as its prototype, and average the fraction of bits in which a
  code differs from its group's prototype) and pass that.

For each data set, backend (``--backends``), k (``--ks``) and thread count (``--threads``):
queries per second on batches of ``--batch`` queries (median of ``--repeats`` runs after a
warm-up), single-query latency (median over ``--singles`` queries searched one at a time),
recall for the approximate backends (share of the k results whose distance is at most the exact
k-th distance; ties count), the index's memory (codes, ids and the backend's structures, from
``HammingIndex.info``) and its build time (add + ``build``).  The exact backends are checked to
return exactly the ``flat`` answer.

    python -m benchmarks.speed.search_speed                                   # the full run
    python -m benchmarks.speed.search_speed --datasets 100000:64 --repeats 1  # a small one

Prints a markdown table, then per data set the fastest exact backend at k = 10.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from cmhash.codes import Codes
from cmhash.index import HammingIndex

BACKENDS = ("flat", "mih", "faiss-flat", "faiss-hnsw", "faiss-ivf", "faiss-multihash")
_CHUNK = 250_000  # codes generated at a time


def make_codes(n: int, bits: int, kind: str, prototypes: np.ndarray, flip: float,
               rng: np.random.Generator) -> Codes:
    packed = np.empty((n, bits // 8), np.uint8)
    for start in range(0, n, _CHUNK):
        rows = min(n, start + _CHUNK) - start
        if kind == "uniform":
            packed[start:start + rows] = rng.integers(0, 256, (rows, bits // 8), np.uint8)
        else:
            flips = rng.random((rows, bits), dtype=np.float32) < flip
            chosen = prototypes[rng.integers(0, len(prototypes), rows)]
            packed[start:start + rows] = np.packbits(chosen ^ flips, axis=1, bitorder="little")
    return Codes(packed, bits)


def backend_params(name: str, n: int, mih_m: int | None = None) -> dict:
    """Settings of a backend: IVF with √n lists (FAISS's defaults otherwise); ``mih`` with
    ``mih_m`` substrings (None: the paper's rule)."""
    if name == "faiss-ivf":
        return {"nlist": max(1, int(np.sqrt(n))), "nprobe": 16}
    if name == "mih" and mih_m is not None:
        return {"m": mih_m}
    return {}


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def add_and_build(index: HammingIndex, codes: Codes) -> None:
    index.add(codes)
    index.build()


def tie_aware_recall(distances: np.ndarray, exact: np.ndarray) -> float:
    """Share of results whose distance is at most the exact k-th distance."""
    return float((distances <= exact[:, -1:]).mean())


def measure(index: HammingIndex, batch: Codes, singles: Codes, k: int, threads: int,
            repeats: int) -> tuple[float, float, tuple[np.ndarray, np.ndarray]]:
    """(queries/s on the batch, median single-query latency in s, the batch's answer)."""
    answer = index.search(batch, k, threads=threads)  # warm-up (compiles or loads kernels)
    times = [timed(index.search, batch, k, threads=threads)[0] for _ in range(repeats)]
    latency = statistics.median(
        timed(index.search, singles[i:i + 1], k, threads=threads)[0] for i in range(len(singles)))
    return len(batch) / statistics.median(times), latency, answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["1000000:64", "10000000:64",
                                                          "1000000:128"], help="N:BITS")
    parser.add_argument("--kinds", nargs="+", default=["uniform", "learned"],
                        choices=["uniform", "learned"])
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--ks", nargs="+", type=int, default=[1, 10, 100])
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--batch", type=int, default=1000, help="queries per batch")
    parser.add_argument("--singles", type=int, default=100, help="queries timed one by one")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--prototypes", type=int, default=1000)
    parser.add_argument("--flip", type=float, default=0.08,
                        help="learned kind: probability that a bit differs from its prototype "
                             "(measure it on a trained model's codes, see the docstring)")
    parser.add_argument("--mih-m", type=int, default=None,
                        help="mih's substrings (default: the paper's rule, bits / log2(n))")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    print(f"batches of {args.batch} queries (median of {args.repeats}); latency: median of "
          f"{args.singles} single queries; learned: {args.prototypes} prototypes, flip "
          f"{args.flip}; mih substrings: {args.mih_m or 'bits / log2(n)'}")
    print("| codes | bits | data | backend | k | threads | q/s (batch) | latency ms | recall "
          "| memory MB | build s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    fastest = []
    for dataset in args.datasets:
        n, bits = (int(x) for x in dataset.split(":"))
        for kind in args.kinds:
            rng = np.random.default_rng(args.seed)
            prototypes = rng.integers(0, 2, (args.prototypes, bits), np.uint8).astype(bool)
            db = make_codes(n, bits, kind, prototypes, args.flip, rng)
            batch = make_codes(args.batch, bits, kind, prototypes, args.flip, rng)
            singles = make_codes(args.singles, bits, kind, prototypes, args.flip, rng)
            exact: dict[int, tuple[np.ndarray, np.ndarray]] = {}
            speeds: dict[str, float] = {}
            for name in ["flat", *(b for b in args.backends if b != "flat")]:
                index = HammingIndex(bits, name, **backend_params(name, n, args.mih_m))
                build, _ = timed(add_and_build, index, db)
                info = index.info()
                memory = sum(info["memory_bytes"].values()) / 2**20
                for k in args.ks:
                    for threads in args.threads:
                        qps, latency, (distances, ids) = measure(index, batch, singles, k,
                                                                 threads, args.repeats)
                        if name == "flat":
                            exact[k] = (distances, ids)
                        if info["exact"]:
                            same = (np.array_equal(distances, exact[k][0])
                                    and np.array_equal(ids, exact[k][1]))
                            recall = "exact" if same else "DIFFERS"
                        else:
                            recall = f"{tie_aware_recall(distances, exact[k][0]):.3f}"
                        if k == 10 and threads == max(args.threads) and info["exact"]:
                            speeds[name] = qps
                        print(f"| {n:,} | {bits} | {kind} | {name} | {k} | {threads} | "
                              f"{qps:,.0f} | {1000 * latency:.3f} | {recall} | {memory:,.0f} | "
                              f"{build:.1f} |", flush=True)
                if name != "flat":
                    del index
            if speeds:
                best = max(speeds, key=speeds.get)
                fastest.append(f"{n:,} x {bits} bits, {kind}: {best} "
                               f"({speeds[best] / speeds['flat']:.1f}x flat)")
    print("\nfastest exact backend at k = 10, batches, most threads:")
    for line in fastest:
        print(f"- {line}")


if __name__ == "__main__":
    main()
