"""What the HTML pages of escalate share: templates, style sheet, embedded figures, writing.

The pages (``escalate report`` of a run or of a backtest) are jinja2 templates shipped
with the package (``escalate/viz/templates/``, package data), rendered with
autoescaping on: every value put in a page is escaped, except HTML that escalate made
itself (a table rendered by pandas with its cells escaped, an embedded figure), which
the templates name ``*_html`` and mark ``|safe``.
"""

from __future__ import annotations

import base64
import functools
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - jinja2 is imported when a page is made
    import jinja2

__all__ = ["PAGE_CSS", "TEMPLATES", "png_base64", "render_page", "write_page"]

#: The folder of the page templates, inside the package (``escalate.viz``).
TEMPLATES = "templates"

#: The style sheet of every page (``escalate report``, of a run or a backtest).
PAGE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
p.meta { color: #666; margin-top: 0; }
.scroll { overflow-x: auto; }
.structures { display: flex; flex-wrap: wrap; gap: 0 1.5rem; }
.structures section { flex: 1 1 36rem; max-width: 100%; }
h3 { font-size: 1rem; margin: 1.2rem 0 0.2rem; overflow-wrap: anywhere; }
table { border-collapse: collapse; font-size: 0.82rem; margin: 0.6rem 0; max-width: 100%; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; }
td { overflow-wrap: anywhere; }
th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 1.2rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.88rem; }
details { margin: 1rem 0; }
.note { color: #555; font-size: 0.9rem; }
.warn { color: #8a4b00; }
section.world p { margin: 0.2rem 0; }
code { overflow-wrap: anywhere; }
.nations td:nth-child(2), .nations th:nth-child(2) { text-align: left; }
.wars td:nth-child(-n+5), .wars th:nth-child(-n+5) { text-align: left; }
.wars td { overflow-wrap: normal; }
.wars td:nth-child(3), .wars td:nth-child(n+6) { white-space: nowrap; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  .scroll { overflow: visible; }
  section, figure, table { break-inside: avoid; }
  details > *:not(summary) { display: none; }
}
"""


def png_base64(fig, dpi: int) -> str:
    """A matplotlib figure as base64 PNG, for an ``<img src="data:...">``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return base64.b64encode(buf.getvalue()).decode("ascii")


@functools.cache
def _environment() -> jinja2.Environment:
    try:
        import jinja2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"reports need jinja2 ({exc}): pip install 'escalate[plot]'") from exc
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("escalate.viz", TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a name the page uses and the code forgot: an error
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["thousands"] = lambda n: f"{int(n):,}"  # 12345 -> 12,345
    return env


def render_page(template: str, **context: Any) -> str:
    """The HTML text of the page ``template`` (a file of :data:`TEMPLATES`).

    Parameters
    ----------
    template
        The template's file name, e.g. ``"report.html.j2"``.
    **context
        The values the template uses: text, which is escaped, and HTML escalate
        made itself under names ending in ``_html``. ``css`` (the style sheet) is
        given.

    Raises
    ------
    ImportError
        jinja2 is not installed (``pip install 'escalate[plot]'``).
    jinja2.UndefinedError
        The template uses a value that is not in ``context``.

    Examples
    --------
    >>> page = render_page("backtest.html.j2", title="t", name="a <b>", version="0",
    ...                    about="x & y", summary_blocks=[], figures=[],
    ...                    wars={"head": [], "rows": []})
    >>> "<h1>Backtest: a &lt;b&gt;</h1>" in page, "x &amp; y" in page
    (True, True)
    """
    return _environment().get_template(template).render(css=PAGE_CSS, **context)


def write_page(path: str | Path, text: str) -> Path:
    """Write a page atomically: a temporary file in the same folder, renamed into place.

    The folder is created if needed. A reader sees the old page or the new one, never
    half of one, and a failed write leaves no temporary file.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out
