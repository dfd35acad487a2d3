"""Encoding throughput on MIRFlickr-25K (15,677 pairs, 128-px images) into a fresh cache.

EfficientNet-Lite0 at 224 px (global + 49 tokens, JPEG decoding and resizing included, one
loader process, torch.compile including its one-off compilation), MiniLM on the tag texts
(global + 32 tokens), then a second `encode` of the same data, which reads the cache.

    python -m benchmarks.speed.encode_speed [--limit N] [--workers 1] [--no-compile]

Prints items/s, wall time and the peak resident memory of this process and its loader workers.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

import torch

from cmhash.data import PairedDataset, load_dataset
from cmhash.encoders import FeatureCache, create_encoder


def peak_gib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    return own, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="default: $CMHASH_DATA_ROOT, else ./data")
    parser.add_argument("--limit", type=int, help="only the first N pairs")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    dataset = load_dataset("mirflickr-images", args.data_root)
    if args.limit:
        n = args.limit
        dataset = PairedDataset(name=f"{dataset.name}-first{n}", ids=dataset.ids[:n],
                                labels=dataset.labels[:n], image_paths=dataset.image_paths[:n],
                                texts=dataset.texts[:n])
    print(f"MIRFlickr-25K, {len(dataset)} pairs, 128-px images; torch threads "
          f"{torch.get_num_threads()}, loader workers {args.workers}, compile {args.compile}")
    print("| encoder | items | seconds | items/s |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        cache = FeatureCache(tmp)
        runs = [("efficientnet_lite0", f"efficientnet_lite0:compile={str(args.compile).lower()}",
                 64), ("minilm", "minilm", 128)]
        for label, spec, batch_size in runs:
            started = time.perf_counter()
            cache.encode(dataset, create_encoder(spec, dataset), batch_size=batch_size,
                         num_workers=args.workers, progress=False)
            seconds = time.perf_counter() - started
            print(f"| {label} (first run) | {len(dataset)} | {seconds:.1f} | "
                  f"{len(dataset) / seconds:.1f} |", flush=True)
        for label, spec, batch_size in runs:
            started = time.perf_counter()
            cache.encode(dataset, create_encoder(spec, dataset), batch_size=batch_size)
            print(f"| {label} (cached) | {len(dataset)} | {time.perf_counter() - started:.2f} "
                  "| — |")
    own, children = peak_gib()
    print(f"peak memory: {own:.2f} GiB (this process), {children:.2f} GiB (largest loader "
          "worker)")


if __name__ == "__main__":
    main()
