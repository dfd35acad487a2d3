"""Which backend to pick for an index of n codes — a rule read off the measurements of
``benchmarks/search_speed.py`` (rerun it on the serving machine and adjust the thresholds here
if its table says otherwise).

- ``flat`` (exact) below ``MIH_FROM`` codes: a batched scan is already fast there, and it needs
  no memory besides the codes.
- ``mih`` (exact, same answers) from ``MIH_FROM`` codes, for small k on learned codes: learned
  codes cluster, so the k nearest lie within a few bits and a handful of table lookups find
  them.  On codes spread like random ones its lookups cost more than a scan and it answers by
  the scan instead — never much slower than ``flat``, but no faster.
- ``faiss-hnsw`` only where approximate answers are acceptable (see the benchmark's recall
  column).
"""

from __future__ import annotations

from typing import Any

MIH_FROM = 1_000_000  # codes from which mih is advised (64-bit learned-like codes, k ≤ 100)


def advise_backend(n: int, bits: int) -> dict[str, Any]:
    """``{"backend": name, "why": one line}`` for an index of ``n`` codes of ``bits`` bits."""
    if n < MIH_FROM:
        return {"backend": "flat",
                "why": f"under {MIH_FROM:,} codes an exact batched scan is fast and needs no "
                       "memory besides the codes"}
    return {"backend": "mih",
            "why": f"from {MIH_FROM:,} codes, for k up to about 100 on learned (clustered) "
                   "codes, exact multi-index hashing needs far fewer code reads than a scan; "
                   "on codes spread like random ones keep flat"}
