"""Human-readable layouts of :func:`escalate.compare`'s tidy table and of the tail exponents."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..analysis.metrics import QUANTILE
from .runinfo import Shared, shared_text
from .style import number, p_text

__all__ = ["format_tails", "format_text", "summary_table", "tails_rows"]


def _level(compare_df: pd.DataFrame) -> str:
    """The confidence level of the table's intervals, as text (``95%``).

    It is the ``confidence`` :func:`compare` recorded in ``DataFrame.attrs``;
    a table that lost its attrs (read back from a file, concatenated) says so
    rather than guess.
    """
    confidence = compare_df.attrs.get("confidence")
    if confidence is None:
        return "level not recorded"
    return f"{100 * float(confidence):g}%"


def summary_table(
    compare_df: pd.DataFrame, *, estimates: bool = True, differences: bool = True
) -> pd.DataFrame:
    """A wide, readable version of :func:`compare`'s output.

    Parameters
    ----------
    compare_df
        The tidy table returned by :func:`compare`.
    estimates
        Include the per-structure ``estimate [low, high]`` columns.
    differences
        Include the ``Δ NAME`` columns of the paired comparisons.

    Returns
    -------
    pandas.DataFrame
        One row per metric (first column ``metric``, the readable label) and,
        per structure, a column ``NAME`` with ``estimate [low, high]``; per
        non-baseline structure a column ``Δ NAME`` with
        ``difference [low, high] p=Holm-adjusted p, SE×ratio``, where the ratio
        is paired SE / unpaired SE (``SE×0.2`` = pairing cut the standard error
        five-fold; shown for proportions and means, where it is an analytic
        standard error, not for the discrete quantiles). All cells are text;
        use the tidy table for numbers.

    Examples
    --------
    >>> from escalate.analysis.compare import compare_results
    >>> table = summary_table(compare_results("out", baseline="europe_1914_no_alliances"))
    >>> table.columns[0], len(table) > 0
    ('metric', True)
    """
    df = compare_df
    structures = list(dict.fromkeys(df["structure"]))
    base = df.attrs.get("baseline") or df["baseline"].iloc[0]
    metrics = list(dict.fromkeys(df["metric"]))
    labels = dict(zip(df["metric"], df["label"], strict=False))
    by = {(r.structure, r.metric): r for r in df.itertuples(index=False)}
    table: dict[str, list[str]] = {"metric": [labels[m] for m in metrics]}
    for s in structures if estimates else ():
        col = []
        for m in metrics:
            r = by.get((s, m))
            col.append(
                "" if r is None else f"{number(r.estimate)} [{number(r.low)}, {number(r.high)}]"
            )
        table[s if s != base else f"{s} (baseline)"] = col
    for s in structures if differences else ():
        if s == base:
            continue
        col = []
        for m in metrics:
            r = by.get((s, m))
            if r is None or pd.isna(r.difference):
                col.append("")
                continue
            lo, hi = number(r.difference_low, True), number(r.difference_high, True)
            text = f"{number(r.difference, True)} [{lo}, {hi}]"
            extra = [p_text(r.p_holm)]
            if r.kind != QUANTILE and np.isfinite(r.se_ratio):
                extra.append(f"SE×{r.se_ratio:.2g}")
            text += " " + ", ".join(e for e in extra if e)
            col.append(text.strip())
        table[f"Δ {s}"] = col
    return pd.DataFrame(table)


def format_text(compare_df: pd.DataFrame, shared: Mapping[str, Shared] | None = None) -> str:
    """:func:`compare`'s output as plain text, one block per structure.

    Each block lists every metric with its estimate and interval and, for
    structures other than the baseline, the paired difference with its
    interval, the Holm-adjusted p value and the ratio paired SE / unpaired SE.
    The layout stays narrow however many structures there are. A closing note
    names the methods and the confidence level the table was computed with
    (``DataFrame.attrs["confidence"]``).

    Parameters
    ----------
    compare_df
        The tidy table returned by :func:`compare`.
    shared
        Per structure, what it shares with the baseline
        (:func:`escalate.viz.runinfo.shared_nations`): each
        block then says how many it shares, and warns when few do (pairing
        shares random draws only through shared nations).

    Returns
    -------
    str
        The blocks, baseline first, and the note.

    Examples
    --------
    >>> from escalate.analysis.compare import compare_results
    >>> text = format_text(compare_results("out", baseline="europe_1914_no_alliances"))
    >>> "europe_1914_no_alliances" in text
    True
    """
    df = compare_df
    base = df.attrs.get("baseline") or df["baseline"].iloc[0]
    blocks = []
    names = list(dict.fromkeys(df["structure"]))
    for s in sorted(names, key=lambda x: x != base):  # the baseline first
        rows = df[df["structure"] == s]
        first = rows.iloc[0]
        if s == base:
            head = f"{s}  (baseline; n = {int(first.n):,})"
        else:
            pairs = int(first.n_pairs)
            head = f"{s}  (n = {int(first.n):,}; vs {base}, paired on {pairs:,} replicates)"
            if shared is not None and s in shared:
                head += "\n  " + "\n  ".join(
                    textwrap.wrap(shared_text(s, str(base), shared[s]), 86)
                )
        lines = [head]
        width = max(len(x) for x in rows["label"])
        for r in rows.itertuples(index=False):
            est = f"{number(r.estimate)} [{number(r.low)}, {number(r.high)}]"
            line = f"  {r.label:<{width}}  {est:<28}"
            if s != base and not pd.isna(r.difference):
                lo, hi = number(r.difference_low, True), number(r.difference_high, True)
                diff = f"{number(r.difference, True)} [{lo}, {hi}]"
                line += f"  Δ {diff:<30} {p_text(r.p_holm):<10}"
                if r.kind != QUANTILE and np.isfinite(r.se_ratio):
                    line += f" SE×{r.se_ratio:.2g}"
            lines.append(line.rstrip())
        blocks.append("\n".join(lines))
    note = (
        f"intervals: {_level(df)} (Wilson for proportions, bootstrap for means and quantiles); "
        "p: paired test (McNemar / Wilcoxon), Holm-adjusted; SE×r: paired SE = r × unpaired SE"
    )
    return "\n\n".join(blocks) + "\n\n" + note


def format_tails(tails_df: pd.DataFrame) -> str:
    """The table of :func:`~escalate.analysis.tails.tail_exponents` as text, with how to read it.

    One line per structure: the wars fitted (and how many of them, when
    subsampled), the tail ``x >= xmin``, alpha with its interval, and the
    verdict of the likelihood-ratio test against an exponential tail; the
    reference row is labelled as the context it is. A short explanation
    follows the table.

    Parameters
    ----------
    tails_df
        The output of :func:`~escalate.analysis.tails.tail_exponents`.

    Returns
    -------
    str
        The text, lines joined by newlines.
    """
    rows = tails_rows(tails_df)
    table = _left_aligned(rows)
    subsampled = bool(
        ((tails_df["n_fit"] < tails_df["n"]) & tails_df["n"].notna()).fillna(False).any()
    )
    notes = [
        "Tail exponents of war size: p(x) ~ x^-alpha for x >= xmin (powerlaw package, "
        "maximum likelihood; xmin minimises the KS distance).",
        "War size here is the number of belligerents, at most the number of nations: a "
        "short tail. The interval is that of alpha if the tail is a power law; the "
        "likelihood-ratio test (R < 0: an exponential fits better) says whether it is one.",
        "The [context] row is Clauset's exponent of battle deaths of interstate wars, a "
        "different quantity: shown beside, not a target.",
    ]
    if subsampled:
        notes.append(
            "wars (fit N): the fit used a uniform random subsample of N wars (seeded), "
            "to keep it fast; the interval refers to those N."
        )
    return table + "\n\n" + "\n".join(textwrap.fill(x, 88) for x in notes)


def tails_rows(tails_df: pd.DataFrame) -> list[dict[str, str]]:
    """The rows of :func:`format_tails` (and of the report's tails table), as text.

    Parameters
    ----------
    tails_df
        The output of :func:`~escalate.analysis.tails.tail_exponents`.

    Returns
    -------
    list of dict
        One dict per row: ``structure`` (the context row marked ``[context]``),
        ``quantity``, ``wars`` (with the subsample fitted, if any), ``tail``,
        ``alpha [interval]`` and ``power law vs exponential`` (the verdict).
    """
    rows = []
    for r in tails_df.itertuples(index=False):
        context = pd.isna(r.n)
        n = "" if context else f"{int(r.n):,}"
        if not context and not pd.isna(r.n_fit) and int(r.n_fit) < int(r.n):
            n += f" (fit {int(r.n_fit):,})"
        test = ""
        if np.isfinite(r.loglik_ratio_exp):
            test = f"{r.verdict} (R={r.loglik_ratio_exp:.4g}, {p_text(r.p_exp)})"
        rows.append(
            {
                "structure": f"[context] {r.structure}" if context else str(r.structure),
                "quantity": str(r.quantity),
                "wars": n,
                "tail": "" if pd.isna(r.xmin) else f"x >= {r.xmin:g} ({int(r.n_tail):,})",
                "alpha [interval]": (
                    f"{number(r.alpha)} [{number(r.alpha_low)}, {number(r.alpha_high)}]"
                    if np.isfinite(r.alpha)
                    else "–"
                ),
                "power law vs exponential": test or str(r.verdict or r.note),
            }
        )
    return rows


def _left_aligned(rows: list[dict[str, str]]) -> str:
    """Rows of text as left-aligned columns under their keys."""
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in keys}
    lines = ["  ".join(k.ljust(widths[k]) for k in keys)]
    lines += ["  ".join(r[k].ljust(widths[k]) for k in keys) for r in rows]
    return "\n".join(line.rstrip() for line in lines)
