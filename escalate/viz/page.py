"""What the HTML pages of escalate share: their style sheet and embedded figures."""

from __future__ import annotations

import base64
import io

__all__ = ["PAGE_CSS", "png_base64"]

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
