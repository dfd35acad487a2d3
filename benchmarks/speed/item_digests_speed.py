"""Seconds to key the feature cache by the content of every MIRFlickr image.

    python -m benchmarks.speed.item_digests_speed [--data-root ../shared/data]

For the 15,677 images of ``mirflickr-images``: SHA-256 of every file's bytes (what
:mod:`cmhash.encoders.item_digests` does) from a cold page cache (each file dropped from it
first with ``posix_fadvise(DONTNEED)``) and warm (read again at once), beside the cheaper key
it was weighed against: SHA-256 of path, size and modification time (``os.stat`` only).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time

from cmhash.data import load_dataset
from cmhash.encoders.item_digests import item_digests


def _drop_from_page_cache(paths: list[str]) -> None:
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _stat_keys(paths: list[str]) -> None:
    for path in paths:
        s = os.stat(path)
        hashlib.sha256(f"{path}\0{s.st_size}\0{s.st_mtime_ns}".encode()).digest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="default: $CMHASH_DATA_ROOT, else ./data")
    args = parser.parse_args()
    paths = load_dataset("mirflickr-images", args.data_root).image_paths
    megabytes = sum(os.path.getsize(p) for p in paths) / 1e6
    print(f"{len(paths)} images, {megabytes:.0f} MB, {len(os.sched_getaffinity(0))} cores")
    _drop_from_page_cache(paths)
    for name, work in (("bytes, cold", lambda: item_digests(paths, "image")),
                       ("bytes, warm", lambda: item_digests(paths, "image")),
                       ("path + size + mtime", lambda: _stat_keys(paths))):
        started = time.perf_counter()
        work()
        print(f"{name}: {time.perf_counter() - started:.2f} s", flush=True)


if __name__ == "__main__":
    main()
