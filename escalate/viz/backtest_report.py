"""``escalate report`` of a backtest directory: one self-contained HTML page.

The backtest's tables (:func:`escalate.viz.backtest.backtest_markdown`) and its two
figures (reliability diagram, predicted vs actual joiners per war), embedded as
base64 PNG, in the style of the run report.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd

from .._version import __version__
from .backtest import backtest_markdown, joiners_figure, reliability_figure
from .page import PAGE_CSS, png_base64

__all__ = ["is_backtest_dir", "write_backtest_report"]

#: The files of a backtest directory (``escalate backtest --out DIR``) the page reads.
FILES = ("summary.json", "wars.csv", "predictions.parquet")


def is_backtest_dir(path: str | Path) -> bool:
    """Whether ``path`` holds the output of ``escalate backtest``."""
    return all((Path(path) / f).is_file() for f in FILES)


def _inline(text: str) -> str:
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def _markdown_html(md: str) -> str:
    """The subset of markdown the backtest tables use: headings, tables, paragraphs."""
    out: list[str] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if rows:
            head, body = rows[0], rows[2:]
            out.append("<div class='scroll'><table><tr>")
            out.append("".join(f"<th>{_inline(c)}</th>" for c in head) + "</tr>")
            for r in body:
                out.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>")
            out.append("</table></div>")
            rows.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
            continue
        flush()
        if m := re.match(r"^(#{1,3}) (.*)", line):
            level = len(m.group(1)) + 1  # the page's h1 is its title
            out.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
    flush()
    return "\n".join(out)


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
        ``out``.
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
    body = _markdown_html(backtest_markdown(summary, wars))
    imgs = "".join(
        f"<figure><img alt='' src='data:image/png;base64,{png_base64(fig, dpi)}'>"
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for fig, caption in figures
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>escalate backtest: {html.escape(d.name)}</title><style>{PAGE_CSS}</style></head>"
        f"<body><h1>Backtest: {html.escape(d.name)}</h1>"
        f"<p class='meta'>escalate {__version__}; see docs/backtest.md for the rules</p>"
        f"{body}<h2>Figures</h2>{imgs}</body></html>"
    )
    target = Path(out)
    target.write_text(page, encoding="utf-8")
    return target
