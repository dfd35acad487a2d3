"""PNG plots of a report's curves: precision–recall by Hamming radius, and precision@K."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from cmhash.utils.atomic import write_atomic

_LABELS = {"i2t": "image → text", "t2i": "text → image", "i2i": "image → image",
           "t2t": "text → text"}


def _save(fig: Any, path: Path) -> Path:
    def write(tmp: Path) -> None:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")

    try:
        return write_atomic(path, write)
    finally:
        plt.close(fig)


def plot_pr_curve(report: dict[str, Any], path: str | Path, title: str = "") -> Path:
    """Precision against recall, one point per Hamming radius 0..bits, one line per direction."""
    fig, ax = plt.subplots(figsize=(5, 4))
    for direction, result in report["directions"].items():
        curve = result["curves"]["pr_radius"]
        ax.plot(curve["recall"], curve["precision"], marker=".", label=_LABELS[direction])
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02),
           title=title or f"PR by Hamming radius, {report['bits']} bits")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, Path(path))


def plot_precision_at_k(report: dict[str, Any], path: str | Path, title: str = "") -> Path:
    """Precision of the top K against K, one line per direction."""
    fig, ax = plt.subplots(figsize=(5, 4))
    for direction, result in report["directions"].items():
        curve = result["curves"]["p_at_k"]
        ax.plot(curve["k"], curve["precision"], marker=".", label=_LABELS[direction])
    ax.set(xlabel="K (top of the ranking)", ylabel="precision@K", ylim=(0, 1.02),
           title=title or f"precision@K, {report['bits']} bits")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, Path(path))
