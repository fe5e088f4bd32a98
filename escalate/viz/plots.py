"""Figures of results (matplotlib; ``pip install 'escalate[plot]'``).

Figures are built on :class:`matplotlib.figure.Figure` objects directly, never
through ``pyplot``: importing this module or drawing does not select a backend,
open windows or change global matplotlib state, and works on headless machines
(PNG is rendered by Agg, SVG and PDF by their own canvases).

Figures
-------
``p_world_war``
    P(world war) per structure with Wilson intervals (dot-and-whisker).
``ccdf_belligerents``
    Complementary CDF ``P(belligerents >= x)`` of war size on log-log axes.
``rounds``
    Cascade length: ``P(rounds >= r)`` among wars.
``entry_curve`` (needs participants)
    Mean number of nations at war by the end of each round.
``heatmap`` (needs participants)
    P(nation at war), nations x structures.
``sweep`` (needs a sweep's table of variants)
    P(world war) and mean belligerents against the swept parameters
    (:func:`escalate.viz.sweep.sweep_figure`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.common import structure_groups
from ..analysis.intervals import proportion_intervals
from ..analysis.tails import ccdf
from .nations import TOP, as_str_levels, group_sizes, heatmap_figure, replicates_of
from .style import MARKERS, legend_below, line_style, new_figure, palette, wrapped_title

__all__ = [
    "FORMATS",
    "PLOT_COLUMNS",
    "PLOT_COUNT_COLUMNS",
    "ccdf_figure",
    "entry_figure",
    "figures_of",
    "heatmap_figure",
    "plot_results",
    "rounds_figure",
    "save_figure",
    "world_members",
    "world_names",
    "world_war_figure",
]

#: File formats :func:`plot_results` writes.
FORMATS = ("png", "svg", "pdf")
#: The cascade columns the figures read (``escalate plot`` reads only these).
PLOT_COLUMNS = ("structure", "replicate", "world_war", "deterred", "belligerents", "rounds")
#: The cascade columns the figures count by: ``escalate plot`` draws from
#: ``cascade_counts(DIR, by=PLOT_COUNT_COLUMNS)`` (a table of counts, one row per
#: combination with a ``count`` column) instead of a row per cascade.
PLOT_COUNT_COLUMNS = ("world_war", "deterred", "belligerents", "rounds")


def _n_text(ns: Sequence[int]) -> str:
    lo, hi = min(ns), max(ns)
    return f"n = {lo:,}" if lo == hi else f"n = {lo:,} to {hi:,}"


def _names(results: pd.DataFrame) -> list[str]:
    return [name for name, _ in structure_groups(results)]


def world_war_figure(results: pd.DataFrame, *, confidence: float = 0.95):
    """P(world war) per structure with Wilson intervals.

    Parameters
    ----------
    results
        Cascades table with ``structure`` and ``world_war``.
    confidence
        Level of the intervals.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; structures top to bottom in their order in ``results``.
    """
    t = proportion_intervals(results, "world_war", confidence=confidence)
    k = len(t)
    fig = new_figure(8.5, 1.6 + 0.42 * k)
    ax = fig.add_subplot()
    y = np.arange(k)
    colors = palette(k)
    err = np.vstack([t["estimate"] - t["low"], t["high"] - t["estimate"]])
    for i in range(k):
        ax.errorbar(
            t["estimate"].iloc[i],
            y[i],
            xerr=err[:, i : i + 1],
            fmt=MARKERS[i % 10],
            color=colors[i],
            ms=7,
            capsize=5,
            elinewidth=2,
        )
        est, lo, hi = t["estimate"].iloc[i], t["low"].iloc[i], t["high"].iloc[i]
        text = f"{est:.3f}  [{lo:.3f}, {hi:.3f}]"
        if est < 0.62:
            ax.text(hi + 0.015, y[i], text, va="center", ha="left", fontsize=9)
        else:
            ax.text(lo - 0.015, y[i], text, va="center", ha="right", fontsize=9)
    ax.set_yticks(y, t["structure"])
    ax.set_ylim(k - 0.5, -0.5)
    ax.set_xlim(-0.03, 1.03)  # markers at 0 and 1 stay whole
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlabel("P(world war)")
    pct = f"{100 * confidence:g}%"
    wrapped_title(
        ax,
        f"P(world war) by structure, {pct} Wilson intervals ({_n_text(t['n'].tolist())} "
        "cascades each)",
        8.5,
    )
    return fig


def ccdf_figure(
    results: pd.DataFrame,
    column: str = "belligerents",
    *,
    confidence: float = 0.95,
):
    """Complementary CDF of war size per structure on log-log axes.

    Parameters
    ----------
    results
        Cascades table.
    column
        War-size column (default ``belligerents``).
    confidence
        Level of the pointwise exact binomial bands (default 0.95).

    Returns
    -------
    matplotlib.figure.Figure
        One axes. Deterred cascades (no war) are left out; shaded bands are
        pointwise exact binomial intervals at ``confidence``.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

    c = ccdf(results, column, confidence=confidence)
    names = _names(results)
    colors = palette(len(names))
    fig = new_figure(8.5, 6)
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_yscale("log")
    ymin = 1.0
    for i, name in enumerate(names):
        part = c[c["structure"] == name]
        if part.empty:
            continue
        x = part["value"].to_numpy(float)
        st = line_style(i, colors)
        ax.plot(x, part["ccdf"], lw=1.6, label=name, **st)
        low = np.maximum(part["low"].to_numpy(float), 1e-300)
        ax.fill_between(x, low, part["high"], color=st["color"], alpha=0.18, lw=0)
        ymin = min(ymin, float(part["ccdf"].min()))
    xs = c["value"].to_numpy(float)
    xs = xs[xs > 0]
    ax.set_ylim(max(ymin / 3, 1e-7), 1.6)
    if xs.size and np.allclose(xs, np.round(xs)) and xs.max() - xs.min() <= 12:
        ax.xaxis.set_major_locator(FixedLocator(np.arange(xs.min(), xs.max() + 1).tolist()))
    else:
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    ax.xaxis.set_minor_locator(LogLocator(base=10, subs=tuple(range(1, 10))))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(which="major", alpha=0.3)
    label = "nations at war (belligerents)" if column == "belligerents" else column
    ax.set_xlabel(f"x = {label}  (log scale)")
    ax.set_ylabel(f"P({column} ≥ x) among wars  (log scale)")
    wrapped_title(
        ax,
        f"Tail of war size: complementary CDF of {column}\n"
        f"(deterred cascades excluded; bands: pointwise {100 * confidence:g}% exact "
        "binomial intervals)",
        8.5,
    )
    legend_below(ax)
    return fig


def rounds_figure(results: pd.DataFrame):
    """Cascade length: ``P(rounds >= r)`` among wars, per structure.

    Returns
    -------
    matplotlib.figure.Figure
        One axes.
    """
    c = ccdf(results, "rounds")
    names = _names(results)
    colors = palette(len(names))
    fig = new_figure(8.5, 5)
    ax = fig.add_subplot()
    rmax = int(c["value"].max()) if len(c) else 1
    r = np.arange(0, rmax + 2)
    for i, name in enumerate(names):
        part = c[c["structure"] == name]
        if part.empty:
            continue
        v, p = part["value"].to_numpy(), part["ccdf"].to_numpy()
        surv = np.array([p[np.searchsorted(v, k)] if k <= v.max() else 0.0 for k in r])
        ax.plot(r, surv, lw=1.6, label=name, **line_style(i, colors))
    ax.set_xlim(-0.3, rmax + 1.3)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xticks(r)
    ax.grid(alpha=0.3)
    ax.set_xlabel("r (rounds of entries after the incident)")
    ax.set_ylabel("P(rounds ≥ r) among wars")
    wrapped_title(ax, "Cascade length: share of wars still drawing in nations after r rounds", 8.5)
    legend_below(ax)
    return fig


def _entry_bands(participants: pd.DataFrame, n: int, name: str, r: np.ndarray, z: float):
    """(low, high) of the mean entry curve of ``name``, or None when not known."""
    from .entry import ENTRY_MOMENTS, entry_moments

    m = participants.attrs.get(ENTRY_MOMENTS)
    if m is None and {"replicate", "structure"} <= set(participants.columns):
        m = entry_moments((str(k), g) for k, g in participants.groupby("structure", observed=True))
    if m is None or n < 2:
        return None
    part = m[m["structure"] == name].set_index("round")[["sum", "sumsq"]].reindex(r)
    part = part.ffill().fillna(0.0)  # past the last round nobody enters
    mean = part["sum"].to_numpy(float) / n
    var = np.maximum(part["sumsq"].to_numpy(float) - n * mean**2, 0.0) / (n - 1)
    half = z * np.sqrt(var / n)
    return mean - half, mean + half


def entry_figure(results: pd.DataFrame, participants: pd.DataFrame, *, confidence: float = 0.95):
    """Mean entry curve: nations at war by the end of each round, per structure.

    The mean is over every cascade of the structure (a deterred cascade counts
    as 0 nations at war), so the last point equals the mean of ``belligerents``.
    Bands: normal intervals of the mean at ``confidence`` (standard error over
    cascades), drawn when the spread is known: ``participants`` has the rows
    themselves (a ``replicate`` column), or, for counts, their
    ``attrs["entry_moments"]`` (:func:`escalate.viz.entry.entry_moments_of_dir`).

    Returns
    -------
    matplotlib.figure.Figure
        One axes.
    """
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2))
    n_rep = replicates_of(results)
    names = _names(results)
    colors = palette(len(names))
    counts = as_str_levels(group_sizes(participants, ["structure", "round"]))
    rmax = int(participants["round"].max()) if len(participants) else 0
    r = np.arange(0, rmax + 1)
    fig = new_figure(8.5, 5)
    ax = fig.add_subplot()
    banded = False
    for i, name in enumerate(names):
        per_round = np.zeros(r.size)
        if name in counts.index.get_level_values(0):
            s = counts.loc[name]
            per_round[s.index.to_numpy(int)] = s.to_numpy(float)
        st = line_style(i, colors)
        ax.plot(r, np.cumsum(per_round) / n_rep[name], lw=1.6, label=name, **st)
        band = _entry_bands(participants, n_rep[name], name, r, z)
        if band is not None:
            ax.fill_between(r, band[0], band[1], color=st["color"], alpha=0.18, lw=0)
            banded = True
    ax.set_xticks(r)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.set_xlabel("round (0 = the incident)")
    ax.set_ylabel("mean nations at war by the end of the round\n(deterred cascades count 0)")
    bands = f"; bands: {100 * confidence:g}% normal intervals of the mean" if banded else ""
    wrapped_title(ax, f"Mean entry curve: how fast the war widens (all cascades{bands})", 8.5)
    legend_below(ax)
    return fig


def plot_results(
    results: pd.DataFrame,
    out_dir: str | Path,
    participants: pd.DataFrame | None = None,
    formats: Sequence[str] = ("png", "svg"),
    *,
    confidence: float = 0.95,
    dpi: int = 150,
    members: Mapping[str, Sequence[str]] | None = None,
    variants: pd.DataFrame | None = None,
    top: int | None = TOP,
    names: Mapping[str, str] | None = None,
) -> list[Path]:
    """Draw every figure of a run and write it in each format.

    Parameters
    ----------
    results
        Cascades table (``escalate.read_results(DIR)``), or its counts
        (:func:`escalate.results.read.cascade_counts` by
        :data:`PLOT_COUNT_COLUMNS`, which never holds every cascade).
    out_dir
        Folder for the figures (created if needed).
    participants
        Participants table of the same run, or its counts per nation, side
        and round (:func:`escalate.results.read.participant_counts`, which
        never holds every participant row); adds ``entry_curve`` and
        ``heatmap``.
    formats
        Any of ``png``, ``svg``, ``pdf``.
    confidence
        Level of the intervals of ``p_world_war``.
    dpi
        Resolution of raster output.
    members
        The nation ids of each structure's world, so that the heatmap marks a
        nation absent from a world as absent rather than 0
        (:func:`world_members` reads them from a run's manifest).
    variants
        The table of variants of a sweep (``DIR/variants.csv``, read by
        :func:`escalate.results.variants.read_variants`); adds ``sweep``.
    top
        Nations the heatmap shows: the ``top`` most often at war (None: all).
    names
        Nation id -> name for the heatmap's rows (:func:`world_names`).

    Returns
    -------
    list of pathlib.Path
        The files written, ``OUT/<figure>.<format>``; figures are
        ``p_world_war``, ``ccdf_belligerents``, ``rounds``, with
        participants ``entry_curve`` and ``heatmap``, and for a sweep
        ``sweep``.
    """
    formats = tuple(formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"unknown figure format {bad[0] if bad else '(none)'!r}; use {FORMATS}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures = figures_of(
        results,
        participants,
        confidence=confidence,
        members=members,
        variants=variants,
        top=top,
        names=names,
    )
    paths = []
    for stem, fig in figures.items():
        for fmt in formats:
            path = out / f"{stem}.{fmt}"
            save_figure(fig, path, fmt, dpi)
            paths.append(path)
    return paths


def figures_of(
    results: pd.DataFrame,
    participants: pd.DataFrame | None = None,
    *,
    confidence: float = 0.95,
    members: Mapping[str, Sequence[str]] | None = None,
    variants: pd.DataFrame | None = None,
    top: int | None = TOP,
    names: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """Every figure of :func:`plot_results`, by name, as Figure objects."""
    figs = {
        "p_world_war": world_war_figure(results, confidence=confidence),
        "ccdf_belligerents": ccdf_figure(results),
        "rounds": rounds_figure(results),
    }
    if participants is not None and len(participants):
        figs["entry_curve"] = entry_figure(results, participants, confidence=confidence)
        figs["heatmap"] = heatmap_figure(
            results, participants, members=members, top=top, names=names
        )
    if variants is not None:
        from .sweep import sweep_figure

        figs["sweep"] = sweep_figure(results, variants, confidence=confidence)
    return figs


def world_members(manifest_worlds: dict[str, dict]) -> dict[str, list[str]]:
    """The nation ids of each world of a run, from its manifest's ``worlds``.

    Parameters
    ----------
    manifest_worlds
        ``read_manifest(DIR).worlds``: name -> {"hash", "source", "world"}.

    Returns
    -------
    dict
        Structure name -> nation ids, for the ``members`` of :func:`plot_results`.
    """
    return {
        name: [n["id"] for n in entry.get("world", {}).get("nations", [])]
        for name, entry in manifest_worlds.items()
    }


def world_names(manifest_worlds: dict[str, dict]) -> dict[str, str]:
    """Nation id -> name over the worlds of a run's manifest (the first name wins)."""
    out: dict[str, str] = {}
    for entry in manifest_worlds.values():
        for n in entry.get("world", {}).get("nations", []):
            out.setdefault(str(n["id"]), str(n.get("name") or n["id"]))
    return out


def save_figure(fig, path: Path, fmt: str, dpi: int) -> None:
    """Write a figure reproducibly.

    No timestamps in SVG/PDF metadata, and SVG element ids from a fixed salt
    (inside a temporary ``rc_context``, so the global rcParams are restored).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to write.
    path : pathlib.Path
        The file to write.
    fmt : str
        ``png``, ``svg`` or ``pdf``.
    dpi : int
        Resolution of raster output.
    """
    from matplotlib import rc_context

    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt)
    with rc_context({"svg.hashsalt": "escalate"}):
        fig.savefig(path, format=fmt, dpi=dpi, metadata=metadata)
