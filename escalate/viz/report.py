"""A one-page, self-contained HTML report of a run.

The page holds the comparison table (:func:`escalate.compare`), the
paired differences against the baseline, the tail exponents and every figure
of :func:`escalate.viz.plots.plot_results`, embedded as base64 PNG: it can be
mailed or archived as a single file and opened offline.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from ..analysis.compare import compare
from ..analysis.tails import tail_exponents
from .nations import TOP
from .page import PAGE_CSS, png_base64
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


def _per_structure_html(table: pd.DataFrame, base: str, differences: bool) -> str:
    """One narrow table per structure, side by side where the page is wide enough.

    Every structure's values are visible at any page width and in print: the
    tables wrap to the next line instead of growing a horizontal scrollbar.
    """
    esc = html.escape
    estimates = summary_table(table, differences=False)
    deltas = summary_table(table, estimates=False) if differences else None
    blocks = []
    for col in estimates.columns[1:]:
        name = col.removesuffix(" (baseline)")
        df = pd.DataFrame({"metric": estimates["metric"], "estimate [interval]": estimates[col]})
        if deltas is not None and f"Δ {name}" in deltas.columns:
            df[f"Δ vs {base} [interval], p, SE ratio"] = deltas[f"Δ {name}"]
        blocks.append(f"<section><h3>{esc(col)}</h3>{_table_html(df)}</section>")
    return '<div class="structures">' + "".join(blocks) + "</div>"


def _run_html(run: RunInfo, counts: pd.DataFrame, base: str) -> str:
    """The run: seed, command, date, and a row per world (what it is, its hash)."""
    esc = html.escape
    when = f", finished {esc(run.date)}" if run.date else ""
    parts = [
        f"<p>Run seed <b>{run.seed}</b>, {run.replicates:,} replicates per structure"
        f"{', with participants' if run.participants else ''}{when}.</p>"
    ]
    if run.command:
        how = "Command" if run.command_recorded else "Command (rebuilt from the manifest)"
        parts.append(f"<p>{how}: <code>{esc(run.command)}</code></p>")
    else:
        parts.append('<p class="note">The command was not recorded (not written by the '
                     "command line).</p>")  # fmt: skip
    reps = dict(zip(counts["structure"], counts["replicates"], strict=True))
    shared = run.pairing(base)
    for w in run.worlds:
        n = reps.get(w.name)
        facts = [f"{len(w.nations):,} nations"] + ([f"{int(n):,} replicates"] if n else [])
        if w.name == base:
            facts.append("the baseline")
        else:
            facts.append(f"{shared[w.name].shared:,} nations shared with {esc(base)}")
        parts.append(
            f'<section class="world"><h3>{esc(w.name)}</h3>'
            f"<p>{esc(w.description) or '<i>no description</i>'}</p>"
            f"<p><b>Incident:</b> {esc(w.incident)}</p>"
            f'<p class="note">{" &middot; ".join(facts)} &middot; world hash (SHA-256) '
            f"<code>{esc(w.hash)}</code></p></section>"
        )
    return "\n".join(parts)


def _pairing_html(run: RunInfo, base: str) -> str:
    """What each structure shares with the baseline; a warning where it is little."""
    items = []
    for name, c in run.pairing(base).items():
        cls = ' class="warn"' if few_shared(c) else ""
        items.append(f"<li{cls}>{html.escape(name)} {html.escape(shared_text(name, base, c))}</li>")
    return f'<ul class="note">{"".join(items)}</ul>' if items else ""


def _nations_html(
    results: pd.DataFrame,
    participants: pd.DataFrame,
    run: RunInfo | None,
    members,
    top: int | None,
) -> str:
    """P(at war) by nation with names, a column per structure; past ``top`` rows folded."""
    from .nations import at_war_table

    names = run.names() if run is not None else None
    members = members if members is not None else (run.members() if run else None)
    table = at_war_table(results, participants, members, names)
    if names is None:
        table = table.drop(columns="name")
    note = (
        '<p class="note">P(at war): the share of the cascades in which the nation was at '
        "war, on either side. Blank: the nation is not in that structure's world. Nations "
        "never at war are left out; highest mean over structures first.</p>"
    )
    fmt = "{:.3f}"
    top = len(table) if top is None else top
    html_top = _table_html(table.head(top), fmt)
    if len(table) > top:
        rest = _table_html(table.iloc[top:], fmt)
        html_top += (
            f"<details><summary>The other {len(table) - top:,} nations at war</summary>"
            f"{rest}</details>"
        )
    return f'{note}<div class="nations">{html_top}</div>'


def _tails_html(sizes: pd.DataFrame, seed: int, confidence: float) -> str:
    """The tail-exponent table with its note (or why it cannot be fitted)."""
    esc = html.escape
    try:
        te = tail_exponents(sizes, seed=seed, confidence=confidence)
    except ImportError as exc:
        return f'<p class="note">{esc(str(exc))}</p>'
    return (
        '<p class="note">Discrete power-law fit of the number of belligerents above '
        "x<sub>min</sub> (powerlaw package; maximum likelihood, x<sub>min</sub> by "
        "Kolmogorov-Smirnov distance), alpha &plusmn; z&middot;sigma. The interval "
        "says how well alpha is determined <i>if</i> the tail is a power law; the "
        "likelihood-ratio test against an exponential tail says whether it is one "
        "(its verdict in the last column). War size here is a count of nations, "
        "bounded by the number of nations, so the tail is short. The [context] row "
        "is the empirical exponent of battle deaths in interstate wars, a different "
        "quantity, shown beside, not as a target. Wars (fit N): the fit used a "
        "seeded uniform subsample of N wars.</p>" + _table_html(pd.DataFrame(tails_rows(te)))
    )


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
    """The HTML text of :func:`write_report` (same parameters, no file)."""
    from .plots import figures_of

    if table is None:
        table = compare(results, baseline=baseline, confidence=confidence, seed=seed)
    base = table.attrs["baseline"]
    pct = f"{100 * confidence:g}%"
    counts = table.drop_duplicates("structure")[["structure", "n"]].rename(
        columns={"n": "replicates"}
    )
    parts: list[str] = []
    esc = html.escape
    title = title or "escalate: comparison of alliance structures"
    parts.append(f"<h1>{esc(title)}</h1>")
    parts.append(
        f'<p class="meta">escalate {esc(__version__)} &middot; {len(counts)} structures '
        f"&middot; baseline <b>{esc(str(base))}</b> &middot; {pct} intervals &middot; "
        f"bootstrap seed {seed}</p>"
    )
    parts.append("<h2>Run and structures</h2>")
    parts.append(_table_html(counts) if run is None else _run_html(run, counts, str(base)))

    if variants is not None:
        from .sweep import sweep_rows, sweep_table

        parts.append("<h2>Sweep</h2>")
        parts.append(
            '<p class="note">A row per variant, its swept values first. p: Holm-adjusted '
            f"p value of the paired test against the baseline, {esc(str(base))}.</p>"
        )
        parts.append(_table_html(pd.DataFrame(sweep_rows(sweep_table(table, variants)))))

    parts.append(f"<h2>Estimates ({pct} intervals)</h2>")
    parts.append(
        '<p class="note">Proportions: Wilson score intervals. Means and quantiles: '
        "nonparametric bootstrap, percentile intervals, computed exactly on value counts. "
        "Quantiles are values that occurred (inverted CDF).</p>"
    )
    parts.append(_per_structure_html(table, str(base), differences=len(counts) > 1))

    if len(counts) > 1:
        parts.append(
            '<p class="note">Paired differences (Δ): each structure minus the baseline over '
            "the same replicates "
            "(same seed and replicate index, hence the same random draws: common random "
            "numbers). Intervals: paired bootstrap. Tests: exact McNemar for proportions, "
            "Wilcoxon signed-rank for means; p values Holm-adjusted over every test. "
            "SE×r: the paired standard error is r times the unpaired one (an unpaired "
            "comparison would need 1/r² times as many replicates).</p>"
        )
        if run is not None:
            parts.append(_pairing_html(run, str(base)))

    figures = figures_of(
        results,
        participants,
        confidence=confidence,
        members=members if members is not None else (run.members() if run else None),
        variants=variants,
        top=top,
        names=run.names() if run is not None else None,
    )
    parts.append("<h2>Figures</h2>")
    for name, fig in figures.items():
        caption = _CAPTIONS.get(name, name).format(pct=pct)
        parts.append(
            f'<figure><img alt="{esc(name)}" src="data:image/png;base64,'
            f'{png_base64(fig, dpi)}"><figcaption>{esc(caption)}</figcaption></figure>'
        )
    if participants is None:
        parts.append(
            '<p class="note">Run with <code>--participants</code> to add the entry curve, '
            "the nation x structure heatmap and the table of P(at war) by nation.</p>"
        )
    elif len(participants):
        parts.append("<h2>P(at war) by nation</h2>")
        parts.append(_nations_html(results, participants, run, members, top))

    if tails:
        parts.append("<h2>Tail exponents of war size</h2>")
        parts.append(_tails_html(results if sizes is None else sizes, seed, confidence))

    parts.append("<h2>Full table</h2>")
    parts.append(
        "<details><summary>One row per structure and metric (the output of "
        "<code>escalate compare --format csv</code>)</summary>" + _table_html(table) + "</details>"
    )
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(title)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<style>{PAGE_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
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
    >>> write_report(escalate.read_results("out"), None, "out/report.html")  # doctest: +SKIP
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
    out = Path(out_html)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out
