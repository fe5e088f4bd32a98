"""``escalate report`` of a backtest directory: one self-contained HTML page.

The backtest's tables (:func:`escalate.viz.backtest.backtest_markdown`) and its two
figures (reliability diagram, predicted vs actual joiners per war), embedded as
base64 PNG, in the style of the run report. This module gathers the page's content as
data; the markup is the template's (``templates/backtest.html.j2``, with the macros
of ``macros.html.j2``), which escapes every text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from .._version import __version__
from .backtest import backtest_markdown, joiners_figure, reliability_figure
from .page import png_base64, render_page, write_page

__all__ = ["is_backtest_dir", "write_backtest_report"]

#: The files of a backtest directory (``escalate backtest --out DIR``) the page reads.
FILES = ("summary.json", "wars.csv", "predictions.parquet")


def is_backtest_dir(path: str | Path) -> bool:
    """Whether ``path`` holds the output of ``escalate backtest``."""
    return all((Path(path) / f).is_file() for f in FILES)


def _spans(text: str) -> list[dict]:
    """The inline markup of a line: ``**bold**`` spans, each holding ``code`` spans.

    For the template's ``inline`` macro (``macros.html.j2``), which escapes the text.
    """
    spans = []
    for i, piece in enumerate(re.split(r"\*\*(.+?)\*\*", text)):
        parts = [{"code": j % 2 == 1, "text": t}
                 for j, t in enumerate(re.split(r"`(.+?)`", piece)) if t]  # fmt: skip
        if parts:
            spans.append({"bold": i % 2 == 1, "parts": parts})
    return spans


def _markdown_blocks(md: str) -> list[dict]:
    """The subset of markdown the backtest tables use: headings, tables, paragraphs.

    One block per heading (``level``: one more than the markdown's, the page's h1
    being its title), paragraph or table (``head`` and ``rows`` of cells), for the
    template's ``markdown`` macro (``macros.html.j2``).
    """
    blocks: list[dict] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if rows:
            head, body = rows[0], rows[2:]  # rows[1] is the |---| line
            blocks.append({"kind": "table", "head": [_spans(c) for c in head],
                           "rows": [[_spans(c) for c in r] for r in body]})  # fmt: skip
            rows.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
            continue
        flush()
        if m := re.match(r"^(#{1,3}) (.*)", line):
            blocks.append({"kind": "heading", "level": len(m.group(1)) + 1,
                           "spans": _spans(m.group(2))})  # fmt: skip
        elif line.strip():
            blocks.append({"kind": "paragraph", "spans": _spans(line)})
    flush()
    return blocks


#: What the page shows, said on the page (a pip install has no docs folder).
ABOUT = (
    "For each war of the COW Inter-State War Data, the backtest builds the world of the "
    "states in the COW system on the day the war began from the data alone (CINC power, "
    "major powers, the ATOP and COW alliances in force), makes every state that entered "
    "on the war's first day a party to the incident, runs the cascades with deterrence 0 "
    "(the war is known to have happened), and scores each other state's predicted P(at "
    "war) against whether it joined within the window. Predictors: the model; nobody "
    "else joins (p = 0); the base rate of joining each side, leave one war out; the "
    "model with every alliance removed. Scores are pooled over the third parties of "
    "every war: Brier score and log loss of P(at war), their side-correct versions over "
    "three outcomes (joined side 1, joined side 2, stayed out), and the AUC (0.5: no "
    "ranking, 1: every joiner ranked above every non-joiner). Intervals resample whole "
    "wars. Skill = 1 - score / score of the baseline (> 0: the model is better)."
)

#: The columns of ``wars.csv`` in the per-war table: (column, heading).
WAR_COLUMNS = (
    ("war", "COW war"),
    ("name", "war"),
    ("start", "began"),
    ("initiators", "initiators"),
    ("targets", "targets"),
    ("third_parties", "third parties"),
    ("joiners", "joined within {w} days"),
    ("expected_joiners", "expected (model)"),
    ("expected_joiners_no_alliances", "expected (no alliances)"),
    ("brier", "Brier"),
    ("log_loss", "log loss"),
    ("auc", "AUC"),
    ("skipped", "skipped because"),
)


def _war_cell(col: str, v: object) -> str:
    """The text of one cell of the per-war table (blank for a missing value)."""
    if pd.isna(v):
        return ""
    if isinstance(v, float):
        return f"{v:.3f}" if col in ("brier", "log_loss", "auc") else f"{v:.1f}"
    return str(v)


def _wars_table(wars: pd.DataFrame, window: int) -> dict:
    """A row per war (``wars.csv``): incident, joiners against expected, per-war scores.

    The ``head`` and ``rows`` (texts) of the table that ``backtest.html.j2`` shows.
    """
    if "skipped" in wars.columns and (wars["skipped"].fillna("") == "").all():
        wars = wars.drop(columns="skipped")  # no war skipped: no empty column
    cols = [(col, h) for col, h in WAR_COLUMNS if col in wars.columns]
    return {
        "head": [h.format(w=window) for _, h in cols],
        "rows": [[_war_cell(col, r[col]) for col, _ in cols] for _, r in wars.iterrows()],
    }


def write_backtest_report(path: str | Path, out: str | Path, *, dpi: int = 110) -> Path:
    """Write the HTML page of the backtest in ``path`` to ``out``.

    Parameters
    ----------
    path
        A directory written by ``escalate backtest --out``.
    out
        The HTML file to write.
    dpi
        Resolution of the embedded figures.

    Returns
    -------
    pathlib.Path
        ``out``, written atomically (its folder is created if needed). The page is
        the template ``backtest.html.j2`` of :mod:`escalate.viz.page`.
    """
    d = Path(path)
    summary = json.loads((d / "summary.json").read_text(encoding="utf-8"))
    wars = pd.read_csv(d / "wars.csv")  # empty cells are NaN, as in memory
    window = int(summary["window"])
    figures = [
        (reliability_figure(summary, window), "Reliability diagram: observed frequency of "
         f"joining within {window} days against predicted P(at war), by tenth."),
        (joiners_figure(wars, window), "Per war: expected number of third parties joining "
         "(sum of P(at war)) against the number that did."),
    ]  # fmt: skip
    return write_page(
        out,
        render_page(
            "backtest.html.j2",
            title=f"escalate backtest: {d.name}",
            name=d.name,
            version=__version__,
            about=ABOUT,
            summary_blocks=_markdown_blocks(backtest_markdown(summary, wars)),
            figures=[{"png": png_base64(fig, dpi), "caption": text} for fig, text in figures],
            wars=_wars_table(wars, window),
        ),
    )
