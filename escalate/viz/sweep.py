"""A sweep read by its parameters: a figure and a compact table.

``escalate sweep`` runs every variant of a grid as its own structure, named by
its values (``teaching.deterrence-0.50.max_rounds-8``) and listed with those
values in ``DIR/variants.csv`` (:func:`escalate.model.sweep.variant_table`, written
and read by :mod:`escalate.results.variants`).
Per structure, the figures of :mod:`escalate.viz.plots` and the table of
:func:`escalate.compare` give one long-named row each; here the variants are
put back on the grid:

:func:`sweep_figure`
    P(world war) and mean belligerents against the first swept parameter,
    a line per value of the other parameters (``escalate plot`` draws it as
    ``sweep`` when the directory has a ``variants.csv``).
:func:`sweep_table`
    :func:`escalate.compare`'s tidy table pivoted to one row per variant, the
    swept values as columns (``escalate compare DIR --sweep``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..analysis.common import check_columns, check_confidence, row_weights, structure_groups
from ..analysis.counts import moments, weighted_value_counts
from ..analysis.intervals import normal_z, wilson_interval
from ..results.variants import check_variants
from .style import legend_below, line_style, new_figure, number, p_text, palette, wrapped_title

if TYPE_CHECKING:  # pragma: no cover - matplotlib is imported when a figure is made
    from matplotlib.figure import Figure

__all__ = [
    "format_sweep",
    "sweep_figure",
    "sweep_rows",
    "sweep_summary",
    "sweep_table",
]

#: The metrics of :func:`sweep_table` by default.
_METRICS = ("p_world_war", "mean_belligerents")


def _on_grid(frame: pd.DataFrame, variants: pd.DataFrame, what: str) -> pd.DataFrame:
    """``variants`` joined with ``frame`` (indexed by structure), in the grid's order."""
    keys = check_variants(list(variants.columns))
    table = variants[["structure", *keys]].merge(
        frame, left_on="structure", right_index=True, how="inner", validate="one_to_one"
    )
    if table.empty:
        raise ValueError(
            f"no structure of the {what} is a variant of the sweep (variants: "
            f"{', '.join(map(str, variants['structure'][:3]))}...)"
        )
    return table.reset_index(drop=True)


def sweep_summary(
    results: pd.DataFrame, variants: pd.DataFrame, *, confidence: float = 0.95
) -> pd.DataFrame:
    """P(world war) and mean belligerents of every variant, beside its swept values.

    Parameters
    ----------
    results
        Cascades table with ``structure``, ``world_war`` and ``belligerents``, or
        a table of their counts (a ``count`` column, as
        :func:`escalate.results.read.cascade_counts` gives).
    variants
        The sweep's table of variants (:func:`escalate.results.variants.read_variants`, or
        ``pandas.DataFrame(variant_table(...))``).
    confidence
        Level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per variant present in ``results``, in the order of
        ``variants``: ``structure``, the swept keys, ``n`` (cascades),
        ``p_world_war`` with its Wilson interval (``p_world_war_low``,
        ``p_world_war_high``) and ``mean_belligerents`` with a normal interval
        (mean ± z·SE, ``mean_belligerents_low``, ``mean_belligerents_high``).

    Raises
    ------
    ValueError
        No structure of ``results`` is in ``variants``, or a column is missing.
    """
    check_confidence(confidence)
    check_columns(results, ["structure", "world_war", "belligerents"])
    z = normal_z(confidence)
    ww = results["world_war"].to_numpy()
    size = results["belligerents"].to_numpy()
    rows = {}
    for name, idx in structure_groups(results):
        weights = row_weights(results, idx)  # a table of counts: rows stand for many
        values, counts = weighted_value_counts(size[idx], weights)
        n = int(counts.sum())
        wars = ww[idx].astype(bool)
        k = int(np.count_nonzero(wars) if weights is None else weights[wars].sum())
        low, high = wilson_interval(k, n, confidence) if n else (np.nan, np.nan)
        mean, sd = moments(values, counts) if n else (np.nan, np.nan)
        se = sd / np.sqrt(n) if n > 1 else np.nan
        rows[name] = {
            "n": n,
            "p_world_war": k / n if n else np.nan,
            "p_world_war_low": low,
            "p_world_war_high": high,
            "mean_belligerents": mean,
            "mean_belligerents_low": mean - z * se,
            "mean_belligerents_high": mean + z * se,
        }
    return _on_grid(pd.DataFrame.from_dict(rows, orient="index"), variants, "results")


def _series(table: pd.DataFrame, keys: list[str]) -> tuple[str, list[tuple[str, pd.DataFrame]]]:
    """The x key and the lines: (label, rows sorted by x) per combination of the others."""
    varying = [k for k in keys if table[k].nunique() > 1] or keys[:1]
    x, others = varying[0], varying[1:]
    if not others:
        return x, [("", table.sort_values(x, kind="stable"))]
    lines = []
    for values, part in table.groupby(others, sort=False):
        values = values if isinstance(values, tuple) else (values,)
        label = ", ".join(f"{k} = {v:g}" for k, v in zip(others, values, strict=True))
        lines.append((label, part.sort_values(x, kind="stable")))
    return x, lines


def _identical_labels(lines: list, x: str) -> list[str]:
    """The legend labels of the lines, ``(identical to FIRST)`` after a line drawn twice.

    A line whose x values and estimates equal an earlier line's hides under it;
    the legend says so instead of showing a line the figure does not.
    """
    seen: dict[tuple, str] = {}
    labels = []
    for label, part in lines:
        cols = [x, "p_world_war", "mean_belligerents"]
        key = tuple(np.round(part[cols].to_numpy(float), 12).ravel().tolist())
        if key in seen and label:
            labels.append(f"{label} (identical to {seen[key]})")
        else:
            seen.setdefault(key, label)
            labels.append(label)
    return labels


def sweep_figure(
    results: pd.DataFrame, variants: pd.DataFrame, *, confidence: float = 0.95
) -> Figure:
    """P(world war) and mean belligerents against the swept parameter(s).

    The x axis is the first swept key that takes more than one value; each
    combination of the values of the other keys is its own line (one line for a
    sweep of one parameter). Shaded bands are the intervals of
    :func:`sweep_summary`.

    Parameters
    ----------
    results
        Cascades table of the sweep (``escalate.read_results(DIR)``).
    variants
        Its table of variants (:func:`escalate.results.variants.read_variants`).
    confidence
        Level of the bands.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes side by side, P(world war) and mean belligerents, with a line
        per value of the second parameter (legend below).

    Examples
    --------
    >>> import escalate
    >>> from escalate.results.variants import read_variants
    >>> from escalate.viz.sweep import sweep_figure
    >>> _ = escalate.sweep("teaching", ["dynamics.deterrence=0:0.5:3"], "sw", 300, seed=1)
    >>> fig = sweep_figure(escalate.read_results("sw"), read_variants("sw"))
    >>> fig.savefig("sweep.png")
    """
    table = sweep_summary(results, variants, confidence=confidence)
    keys = check_variants(list(variants.columns))
    x, lines = _series(table, keys)
    colors = palette(len(lines))
    height = 4.8 + 0.2 * ((len(lines) + 1) // 2 if len(lines) > 1 else 0)
    fig = new_figure(11, height)
    axes = fig.subplots(1, 2)
    pct = f"{100 * confidence:g}%"
    panels = (
        ("p_world_war", "P(world war)", f"{pct} Wilson intervals"),
        ("mean_belligerents", "mean belligerents (nations at war)", f"{pct} normal intervals"),
    )
    labels = _identical_labels(lines, x)
    for ax, (col, ylabel, bands) in zip(axes, panels, strict=True):
        for i, (_label, part) in enumerate(lines):
            xs = part[x].to_numpy(float)
            style = line_style(i, colors)
            ax.plot(xs, part[col].to_numpy(float), lw=1.6, label=labels[i] or None, **style)
            ax.fill_between(
                xs,
                part[f"{col}_low"].to_numpy(float),
                part[f"{col}_high"].to_numpy(float),
                color=style["color"],
                alpha=0.18,
                lw=0,
            )
        ax.set_xlabel(x)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        title = f"{ylabel.split(' (')[0]} against {x}\n(bands: {bands})"
        wrapped_title(ax, title, 5.5)
    axes[0].set_ylim(-0.02, 1.02)
    axes[1].set_ylim(bottom=0)
    if len(lines) > 1:
        legend_below(axes[0], wrap=None)  # a line per combination: one line each
    n = table["n"]
    fig.suptitle(
        f"Sweep of {table['structure'].size} variants"
        + (f", n = {n.min():,}" if n.min() == n.max() else f", n = {n.min():,} to {n.max():,}")
        + " cascades each",
        fontsize=11,
    )
    return fig


def sweep_table(
    compare_df: pd.DataFrame, variants: pd.DataFrame, metrics: Sequence[str] = _METRICS
) -> pd.DataFrame:
    """:func:`escalate.compare`'s table pivoted to one row per variant of a sweep.

    Parameters
    ----------
    compare_df
        The tidy table of :func:`escalate.compare` on the sweep's results.
    variants
        The sweep's table of variants (:func:`escalate.results.variants.read_variants`).
    metrics
        ``metric`` identifiers of the table to keep (default P(world war) and
        mean belligerents).

    Returns
    -------
    pandas.DataFrame
        One row per variant in the grid's order: the swept keys (their values,
        one column each), then per metric ``METRIC``, ``METRIC_low``,
        ``METRIC_high`` (estimate and interval) and ``METRIC_p_holm`` (the
        Holm-adjusted p value of the paired test against the baseline; empty
        for the baseline), then ``structure``. ``attrs`` keeps the baseline
        and the confidence level of ``compare_df``.

    Raises
    ------
    ValueError
        An unknown metric, or no structure of ``compare_df`` in ``variants``.
    """
    known = list(dict.fromkeys(compare_df["metric"]))
    bad = [m for m in metrics if m not in known]
    if bad:
        raise ValueError(f"unknown metric {bad[0]!r}; the table has {', '.join(known)}")
    rows = compare_df[compare_df["metric"].isin(list(metrics))]
    wide = rows.pivot(index="structure", columns="metric")
    parts = {}
    for m in metrics:
        parts[m] = wide[("estimate", m)]
        parts[f"{m}_low"] = wide[("low", m)]
        parts[f"{m}_high"] = wide[("high", m)]
        parts[f"{m}_p_holm"] = wide[("p_holm", m)]
    frame = pd.DataFrame(parts)
    frame.index = frame.index.astype(str)
    table = _on_grid(frame, variants, "comparison")
    table = table[[c for c in table.columns if c != "structure"] + ["structure"]]
    for m in metrics:
        table[m] = table[m].astype(float)
    table.attrs = {
        "keys": check_variants(list(variants.columns)),
        "baseline": compare_df.attrs.get("baseline"),
        "confidence": compare_df.attrs.get("confidence"),
        "labels": {m: str(rows.loc[rows["metric"] == m, "label"].iloc[0]) for m in metrics},
    }
    return table


def sweep_rows(table: pd.DataFrame) -> list[dict[str, str]]:
    """:func:`sweep_table` as text cells for reading: a dict per variant.

    Parameters
    ----------
    table
        The output of :func:`sweep_table`.

    Returns
    -------
    list of dict
        Per variant: its swept values (one item per key), then per metric
        ``"LABEL [95%]"``: ``estimate [low, high]`` and ``"LABEL: p"``: the
        Holm-adjusted p value of the paired test against the baseline
        (``baseline`` on the baseline's row). The variants' names are left out:
        they are the values.
    """
    labels = table.attrs.get("labels", {})
    metrics = [c[: -len("_p_holm")] for c in table.columns if c.endswith("_p_holm")]
    keys = table.attrs.get("keys") or [
        c for c in table.columns if c != "structure" and not c.startswith(tuple(metrics))
    ]
    confidence = table.attrs.get("confidence")
    level = f"{100 * float(confidence):g}%" if confidence is not None else "level not recorded"
    rows = []
    for r in table.to_dict("records"):
        row = {k: f"{r[k]:g}" if isinstance(r[k], float) else str(r[k]) for k in keys}
        for m in metrics:
            label = labels.get(m, m)
            row[f"{label} [{level}]"] = (
                f"{number(r[m])} [{number(r[m + '_low'])}, {number(r[m + '_high'])}]"
            )
            row[f"{label}: p"] = p_text(r[m + "_p_holm"], missing="baseline")
        rows.append(row)
    return rows


def format_sweep(table: pd.DataFrame) -> str:
    """:func:`sweep_table` as aligned text: a line per variant, its values first.

    Parameters
    ----------
    table
        The output of :func:`sweep_table`.

    Returns
    -------
    str
        The cells of :func:`sweep_rows`, aligned, a line per variant, and a
        line saying what the p values are.
    """
    rows = sweep_rows(table)
    header = list(rows[0]) if rows else list(table.attrs.get("keys", []))
    widths = [max(len(h), *(len(r[h]) for r in rows)) for h in header]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    for r in rows:
        out.append("  ".join(r[h].rjust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    base = table.attrs.get("baseline")
    note = (
        f"\np: Holm-adjusted p value of the paired test against the baseline, {base}"
        if base is not None
        else ""
    )
    return "\n".join(out) + note + "\n"
