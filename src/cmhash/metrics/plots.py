"""PNG plots of a report's curves: precision–recall by Hamming radius, and precision@K.

Each plot is its own :class:`matplotlib.figure.Figure` drawn on an Agg canvas and never goes
through pyplot, so the caller's matplotlib backend and pyplot figures are left as they were
(a notebook keeps its inline backend).  matplotlib comes with the ``plot`` extra and is imported
when a plot is drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmhash.utils.atomic import write_atomic
from cmhash.utils.lazy import import_module

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_LABELS = {"i2t": "image → text", "t2i": "text → image", "i2i": "image → image",
           "t2t": "text → text"}


def require_matplotlib() -> None:
    """Raise :class:`~cmhash.errors.MissingExtraError` now if matplotlib is missing, so that a
    command whose last step draws plots fails before its work rather than after it."""
    import_module("matplotlib", "a plot")


def new_plot(size: tuple[float, float] = (5, 4)) -> tuple[Figure, Axes]:
    """A figure of ``size`` inches (5 × 4 by default) on its own Agg canvas, and its axes."""
    figure = import_module("matplotlib.figure", "a plot").Figure(figsize=size)
    import_module("matplotlib.backends.backend_agg", "a plot").FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def save_png(figure: Figure, path: Path) -> Path:
    """Write ``figure`` as a PNG, atomically."""
    def write(tmp: Path) -> None:
        figure.savefig(tmp, format="png", dpi=110, bbox_inches="tight")

    return write_atomic(path, write)


def plot_pr_curve(report: dict[str, Any], path: str | Path, title: str = "") -> Path:
    """Precision against recall, one point per Hamming radius 0..bits, one line per direction."""
    figure, ax = new_plot()
    for direction, result in report["directions"].items():
        curve = result["curves"]["pr_radius"]
        ax.plot(curve["recall"], curve["precision"], marker=".", label=_LABELS[direction])
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02),
           title=title or f"PR by Hamming radius, {report['bits']} bits")
    ax.grid(alpha=0.3)
    ax.legend()
    return save_png(figure, Path(path))


def plot_precision_at_k(report: dict[str, Any], path: str | Path, title: str = "") -> Path:
    """Precision of the top K against K, one line per direction."""
    figure, ax = new_plot()
    for direction, result in report["directions"].items():
        curve = result["curves"]["p_at_k"]
        ax.plot(curve["k"], curve["precision"], marker=".", label=_LABELS[direction])
    ax.set(xlabel="K (top of the ranking)", ylabel="precision@K", ylim=(0, 1.02),
           title=title or f"precision@K, {report['bits']} bits")
    ax.grid(alpha=0.3)
    ax.legend()
    return save_png(figure, Path(path))
