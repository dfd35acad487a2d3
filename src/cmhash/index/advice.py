"""Which backend to pick for an index of n codes — a rule read off the measurements of
``benchmarks.speed.search_speed`` (rerun it on the serving machine and adjust the thresholds here
if its table says otherwise).

- ``flat`` (exact) below ``MIH_FROM`` codes: a batched scan is already fast there, and it needs
  no memory besides the codes.
- ``mih`` (exact, same answers) from ``MIH_FROM`` codes and k up to ``MIH_MAX_K``, on learned
  codes: learned
  codes cluster, so the k nearest lie within a few bits and a handful of table lookups find
  them.  On codes spread like random ones its lookups cost more than a scan and it answers by
  the scan instead — never much slower than ``flat``, but no faster.
- a FAISS approximate index only where approximate answers are acceptable (measured on
  learned codes: ``faiss-ivf`` the fastest, recall 0.99–1.00; on random codes its recall falls to
  0.3–0.5; see the benchmark's recall column).
"""

from __future__ import annotations

from typing import Any

MIH_FROM = 1_000_000  # codes from which mih is advised (64-bit learned-like codes)...
MIH_MAX_K = 100  # ...for k up to this


def advise_backend(n: int, bits: int, k: int = 10) -> dict[str, Any]:
    """``{"backend": name, "why": one line}`` for ``n`` codes of ``bits`` bits searched for
    their k nearest."""
    if n < MIH_FROM:
        return {"backend": "flat",
                "why": f"under {MIH_FROM:,} codes an exact batched scan is fast and needs no "
                       "memory besides the codes"}
    if k > MIH_MAX_K:
        return {"backend": "flat",
                "why": f"for k over {MIH_MAX_K} multi-index hashing must probe far out; an "
                       "exact batched scan costs the same for any k"}
    return {"backend": "mih",
            "why": f"from {MIH_FROM:,} codes and k up to {MIH_MAX_K}, on learned (clustered) "
                   f"codes of {bits} bits exact multi-index hashing reads far fewer codes than "
                   "a scan; on codes spread like random ones keep flat"}
