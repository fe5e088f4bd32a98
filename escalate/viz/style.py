"""What the figures and tables of escalate share: markers, colours, new figures, numbers.

One place for the look of every figure (:mod:`~escalate.viz.plots`,
:mod:`~escalate.viz.sweep`, :mod:`~escalate.viz.backtest`) and the way numbers and p
values are written in the tables (:mod:`~escalate.viz.tables`, the sweep table).
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - matplotlib is imported when a figure is made
    from matplotlib.figure import Figure

__all__ = [
    "LINESTYLES",
    "MARKERS",
    "legend_below",
    "line_style",
    "new_figure",
    "number",
    "p_text",
    "palette",
    "wrapped_title",
]

#: Markers of the structures (or lines) of a figure, in order.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
#: Line styles of the structures (or lines) of a figure, in order.
LINESTYLES = ("-", "--", "-.", ":")


def palette(n: int) -> list:
    """``n`` colours of the tab10 palette (tab20 beyond ten), repeating if needed."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]  # an int picks the i-th colour of the list


def new_figure(width: float, height: float) -> Figure:
    """A new figure (inches, constrained layout), not managed by pyplot."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("plots need matplotlib: pip install 'escalate[plot]'") from exc
    return Figure(figsize=(width, height), layout="constrained")


def number(x: float | None, signed: bool = False) -> str:
    """4 significant digits (with a sign if ``signed``); a dash for a missing value."""
    if x is None or not np.isfinite(x):
        return "–"
    s = f"{x:+.4g}" if signed else f"{x:.4g}"
    return "0" if s in ("-0", "+0") else s


def p_text(p: float | None, missing: str = "") -> str:
    """A p value for reading (``p<1e-300``, ``p=3e-05``, ``p=0.012``, ``p=1``)."""
    if p is None or not np.isfinite(p):
        return missing
    if p == 0:
        return "p<1e-300"
    if p < 1e-4:
        return f"p={p:.0e}"
    return f"p={p:.3g}" if p < 0.995 else "p=1"


def line_style(i: int, colors: list) -> dict:
    """Colour, marker, line style and a marker size that shrinks with the index.

    The shrinking size keeps overlapping curves of earlier structures visible.
    """
    return {
        "color": colors[i],
        "marker": MARKERS[i % len(MARKERS)],
        "linestyle": LINESTYLES[i % len(LINESTYLES)],
        "ms": max(3.5, 8.0 - 0.8 * i),
    }


def legend_below(ax, wrap: int | None = 60) -> None:
    """The legend of ``ax`` below the figure, outside the axes, where it cannot cover a curve.

    Labels longer than ``wrap`` characters are wrapped (None: never); two columns
    when there are many entries.
    """
    handles, labels = ax.get_legend_handles_labels()
    if wrap is not None:
        labels = [textwrap.fill(label, wrap) for label in labels]
    ax.figure.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=1 if len(labels) <= 3 else 2,
        fontsize=8,
        frameon=False,
    )


def wrapped_title(ax, text: str, width_inches: float) -> None:
    """A title wrapped to the figure's width, so that it is never clipped."""
    chars = max(30, int(width_inches * 11))
    lines = [textwrap.fill(part, chars) for part in text.split("\n")]
    ax.set_title("\n".join(lines), fontsize=11)
