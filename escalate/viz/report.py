"""A one-page, self-contained HTML report of a run.

The page holds the comparison table (:func:`escalate.compare`), the
paired differences against the baseline, the tail exponents and every figure
of :func:`escalate.viz.plots.plot_results`, embedded as base64 PNG: it can be
mailed or archived as a single file and opened offline.

This module computes what the page shows; the page itself is the jinja2 template
``templates/report.html.j2``, rendered by :func:`escalate.viz.page.render_page` with
autoescaping on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from ..analysis.compare import compare
from ..analysis.tails import tail_exponents
from .nations import TOP
from .page import png_base64, render_page, write_page
from .runinfo import RunInfo, few_shared, shared_text
from .tables import summary_table, tails_rows

__all__ = ["render_report", "write_report"]


_CAPTIONS = {
    "p_world_war": "P(world war) per structure with {pct} Wilson intervals.",
    "ccdf_belligerents": (
        "Complementary CDF of the number of nations at war among wars (log-log), with "
        "pointwise exact binomial bands. (The tail of battle deaths, a different quantity "
        "in other units, is in the table of tail exponents, as context.)"
    ),
    "rounds": "Cascade length: share of wars in which nations were still entering after r rounds.",
    "entry_curve": (
        "Mean entry curve: mean number of nations at war by the end of each round, over all "
        "cascades (deterred cascades count 0), with {pct} normal intervals of the mean."
    ),
    "heatmap": (
        "P(nation at war) per nation, structure and side (A: the initiator's, D: the "
        "target's); grey cells: the nation is not in that structure's world."
    ),
    "sweep": (
        "The sweep: P(world war) ({pct} Wilson intervals) and mean belligerents ({pct} "
        "normal intervals) against the first swept parameter, a line per value of the others."
    ),
}


def _cell(v, float_format: str = "{:.4g}") -> str:
    """A value as text for reading: thousands separators, 4 significant digits, blank NA."""
    if v is None or v is pd.NA or (isinstance(v, float | np.floating) and not np.isfinite(v)):
        return ""
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, float | np.floating):
        return float_format.format(float(v))
    return str(v)


def _table_html(df: pd.DataFrame, float_format: str = "{:.4g}") -> str:
    shown = df.astype(object).map(lambda v: _cell(v, float_format))
    body = shown.to_html(index=False, escape=True, na_rep="", border=0)
    return f'<div class="scroll">{body}</div>'


def _structure_tables(table: pd.DataFrame, base: str, differences: bool) -> list[dict]:
    """One narrow table per structure (the page sets them side by side where it is wide).

    Every structure's values are visible at any page width and in print: the
    tables wrap to the next line instead of growing a horizontal scrollbar.
    """
    estimates = summary_table(table, differences=False)
    deltas = summary_table(table, estimates=False) if differences else None
    blocks = []
    for col in estimates.columns[1:]:
        name = col.removesuffix(" (baseline)")
        df = pd.DataFrame({"metric": estimates["metric"], "estimate [interval]": estimates[col]})
        if deltas is not None and f"Δ {name}" in deltas.columns:
            df[f"Δ vs {base} [interval], p, SE ratio"] = deltas[f"Δ {name}"]
        blocks.append({"heading": col, "table_html": _table_html(df)})
    return blocks


def _worlds(run: RunInfo, counts: pd.DataFrame, base: str) -> list[dict]:
    """A row per world of the run: what it is, its incident, its hash, what it shares."""
    reps = dict(zip(counts["structure"], counts["replicates"], strict=True))
    shared = run.pairing(base)
    worlds = []
    for w in run.worlds:
        n = reps.get(w.name)
        facts = [f"{len(w.nations):,} nations"] + ([f"{int(n):,} replicates"] if n else [])
        if w.name == base:
            facts.append("the baseline")
        else:
            facts.append(f"{shared[w.name].shared:,} nations shared with {base}")
        worlds.append(
            {
                "name": w.name,
                "description": w.description,
                "incident": w.incident,
                "facts": facts,
                "hash": w.hash,
            }
        )
    return worlds


def _pairing(run: RunInfo, base: str) -> list[dict]:
    """What each structure shares with the baseline; a warning where it is little."""
    return [
        {"name": name, "text": shared_text(name, base, c), "warn": few_shared(c)}
        for name, c in run.pairing(base).items()
    ]


def _nations(
    results: pd.DataFrame,
    participants: pd.DataFrame,
    run: RunInfo | None,
    members,
    top: int | None,
) -> dict:
    """P(at war) by nation with names, a column per structure; past ``top`` rows folded."""
    from .nations import at_war_table

    names = run.names() if run is not None else None
    members = members if members is not None else (run.members() if run else None)
    table = at_war_table(results, participants, members, names)
    if names is None:
        table = table.drop(columns="name")
    fmt = "{:.3f}"
    top = len(table) if top is None else top
    rest = table.iloc[top:]
    return {
        "top_html": _table_html(table.head(top), fmt),
        "rest": len(rest),
        "rest_html": _table_html(rest, fmt) if len(rest) else "",
    }


def _tails(sizes: pd.DataFrame, seed: int, confidence: float) -> dict:
    """The tail-exponent table (or why it cannot be fitted)."""
    try:
        te = tail_exponents(sizes, seed=seed, confidence=confidence)
    except ImportError as exc:
        return {"error": str(exc)}
    return {"error": None, "table_html": _table_html(pd.DataFrame(tails_rows(te)))}


def render_report(
    results: pd.DataFrame,
    participants: pd.DataFrame | None = None,
    *,
    baseline: str | None = None,
    confidence: float = 0.95,
    seed: int = 0,
    title: str | None = None,
    tails: bool = True,
    dpi: int = 110,
    members: dict | None = None,
    variants: pd.DataFrame | None = None,
    table: pd.DataFrame | None = None,
    sizes: pd.DataFrame | None = None,
    run: RunInfo | None = None,
    top: int | None = TOP,
) -> str:
    """The HTML text of :func:`write_report` (same parameters, no file).

    The page is the template ``report.html.j2`` of :mod:`escalate.viz.page`.
    """
    from .plots import figures_of

    if table is None:
        table = compare(results, baseline=baseline, confidence=confidence, seed=seed)
    base = str(table.attrs["baseline"])
    pct = f"{100 * confidence:g}%"
    counts = table.drop_duplicates("structure")[["structure", "n"]].rename(
        columns={"n": "replicates"}
    )
    sweep_html = ""
    if variants is not None:
        from .sweep import sweep_rows, sweep_table

        sweep_html = _table_html(pd.DataFrame(sweep_rows(sweep_table(table, variants))))
    figures = figures_of(
        results,
        participants,
        confidence=confidence,
        members=members if members is not None else (run.members() if run else None),
        variants=variants,
        top=top,
        names=run.names() if run is not None else None,
    )
    has_people = participants is not None and len(participants) > 0
    return render_page(
        "report.html.j2",
        title=title or "escalate: comparison of alliance structures",
        version=__version__,
        baseline=base,
        pct=pct,
        seed=seed,
        counts_html=_table_html(counts) if run is None else "",
        run=run,
        worlds=_worlds(run, counts, base) if run is not None else [],
        sweep_html=sweep_html,
        structures=_structure_tables(table, base, differences=len(counts) > 1),
        pairing=_pairing(run, base) if run is not None and len(counts) > 1 else [],
        figures=[
            {
                "name": name,
                "png": png_base64(fig, dpi),
                "caption": _CAPTIONS.get(name, name).format(pct=pct),
            }
            for name, fig in figures.items()
        ],
        participants="none" if participants is None else ("some" if has_people else "empty"),
        nations=_nations(results, participants, run, members, top) if has_people else None,
        tails=_tails(results if sizes is None else sizes, seed, confidence) if tails else None,
        table_html=_table_html(table),
    )


def write_report(
    results: pd.DataFrame,
    participants: pd.DataFrame | None = None,
    out_html: str | Path = "report.html",
    *,
    baseline: str | None = None,
    confidence: float = 0.95,
    seed: int = 0,
    title: str | None = None,
    tails: bool = True,
    dpi: int = 110,
    members: dict | None = None,
    variants: pd.DataFrame | None = None,
    table: pd.DataFrame | None = None,
    sizes: pd.DataFrame | None = None,
    run: RunInfo | None = None,
    top: int | None = TOP,
) -> Path:
    """Write a one-page, self-contained HTML report.

    Parameters
    ----------
    results
        Cascades table (``escalate.read_results(DIR)``), or, with ``table`` and
        ``sizes`` given, its counts per structure and the values the figures draw
        (:func:`escalate.results.read.cascade_counts` of
        :data:`escalate.viz.plots.PLOT_COUNT_COLUMNS`): the page is then made in
        flat memory, identical to the one made from every row.
    participants
        Participants table of the same run, or its counts per nation, side and
        round (:func:`escalate.results.read.participant_counts`), or None (then
        the entry curve and the heatmap are left out).
    out_html
        Output file; its folder is created if needed. Written atomically (a
        temporary file renamed into place).
    baseline
        Structure the others are compared with (default: the first).
    confidence
        Level of every interval.
    seed
        Bootstrap and subsampling seed.
    title
        Page title.
    tails
        Include the tail-exponent table (needs the powerlaw package; without it
        the section says how to install it).
    dpi
        Resolution of the embedded PNG figures.
    members
        The nation ids of each structure's world (e.g.
        :func:`escalate.viz.plots.world_members` of the run's manifest), so that
        the heatmap marks absent nations as absent.
    variants
        A sweep's table of variants (:func:`escalate.results.variants.read_variants`):
        adds a table with a row per variant and its swept values as columns,
        and the ``sweep`` figure.
    table
        The comparison, if already computed (e.g. streamed by
        :func:`escalate.analysis.compare.compare_results` with the same
        ``baseline``, ``confidence`` and ``seed``); default: ``compare(results)``.
    sizes
        The cascades' ``structure``, ``belligerents`` and ``deterred`` columns for
        the tail exponents, when ``results`` holds counts.
    run
        The run's facts (:func:`escalate.viz.runinfo.run_info` of its directory):
        the page then states the run seed, the command, the date, each world's
        description, incident and hash, the nations each structure shares with
        the baseline, and names the nations in the table of P(at war).
    top
        Nations in the heatmap, and rows of the table of P(at war) by nation shown
        open (the rest are folded): the ``top`` most often at war (None: all).

    Returns
    -------
    pathlib.Path
        The file written. It embeds every figure as base64 PNG and its CSS
        inline: no other file is needed to view it.

    Examples
    --------
    >>> import escalate
    >>> from escalate.viz.report import write_report
    >>> page = write_report(escalate.read_results("out"), None, "report.html", tails=False)
    >>> page.read_text(encoding="utf-8").count("data:image/png;base64,")  # the three figures
    3

    :func:`escalate.report` does the same from a results directory, in flat memory.
    """
    text = render_report(
        results,
        participants,
        baseline=baseline,
        confidence=confidence,
        seed=seed,
        title=title,
        tails=tails,
        dpi=dpi,
        members=members,
        variants=variants,
        table=table,
        sizes=sizes,
        run=run,
        top=top,
    )
    return write_page(out_html, text)
