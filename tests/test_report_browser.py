"""The HTML report in a real headless browser: every structure shows at 1280 px, and it prints.

A report of six structures (long variant names included) is opened in
headless Chromium at 1280 px wide. A script run by the browser after layout
records, for every structure, whether its heading and table lie inside the
window, and whether the page needs a horizontal scrollbar; the DOM that
Chromium dumps carries the answer. The test also keeps a screenshot and
prints the page to PDF.

Chromium comes from the system's packages (``.ci/run`` installs it and sets
``ESCALATE_BROWSER_TESTS=1``, which makes a missing browser a failure). Without
that variable, a machine with no Chromium skips these tests and says why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import warm_cache

import escalate
from escalate.model.load import load_world
from escalate.model.sweep import parse_setting, sweep_worlds
from escalate.viz.plots import world_members
from escalate.viz.report import write_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
BROWSER = next((b for b in BROWSERS if shutil.which(b)), None)
REQUIRED = os.environ.get("ESCALATE_BROWSER_TESTS") == "1"

if BROWSER is None:
    if REQUIRED:
        raise RuntimeError(
            "ESCALATE_BROWSER_TESTS=1 but no Chromium found (apt-get install chromium)"
        )
    pytest.skip(
        "needs headless Chromium (apt-get install chromium) to lay out the HTML report; "
        "ESCALATE_BROWSER_TESTS=1 (set by .ci/run) makes it required",
        allow_module_level=True,
    )

#: Run by the browser after layout: where is each structure, does the page overflow?
CHECK = """
<script>
window.addEventListener("load", () => {
  const width = window.innerWidth;
  const out = {width: width, scrollWidth: document.documentElement.scrollWidth, sections: []};
  for (const s of document.querySelectorAll(".structures section")) {
    const h = s.querySelector("h3").getBoundingClientRect();
    const t = s.querySelector("table").getBoundingClientRect();
    const cells = [...s.querySelectorAll("td")].map(td => td.getBoundingClientRect().right);
    out.sections.push({name: s.querySelector("h3").textContent, left: Math.min(h.left, t.left),
                       right: Math.max(h.right, t.right, ...cells)});
  }
  const pre = document.createElement("pre");
  pre.id = "layout";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _browser(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    assert BROWSER is not None
    return subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, list[str]]:
    """A report of six structures, three of them sweep variants with long names."""
    warm_cache()
    base = load_world("teaching")
    variants = sweep_worlds(
        base,
        [
            parse_setting("dynamics.deterrence=0,0.3,0.6"),
            parse_setting("alliances[Aurelia-Caldera defence pact].reliability=0.9"),
        ],
    )
    worlds = [base, load_world("europe_1914"), load_world("europe_1914_no_alliances"), *variants]
    out = tmp_path_factory.mktemp("report") / "r"
    escalate.run(worlds, out, 2000, 1, participants=True)
    members = world_members(escalate.results.store.read_manifest(out).worlds)
    html = out / "report.html"
    write_report(
        escalate.read_results(out),
        escalate.read_results(out, participants=True),
        html,
        members=members,
    )
    return html, [w.name for w in worlds]


def test_every_structure_is_visible_at_1280_px(report, tmp_path: Path) -> None:
    html, names = report
    assert len(names) == 6
    checked = tmp_path / "checked.html"
    checked.write_text(html.read_text().replace("</body>", CHECK + "</body>"))
    r = _browser("--window-size=1280,4000", "--dump-dom", checked.as_uri())
    m = re.search(r'<pre id="layout">(.*?)</pre>', r.stdout, re.S)
    assert m, r.stderr[-2000:]
    layout = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert layout["width"] == 1280
    assert layout["scrollWidth"] <= layout["width"], "the page scrolls sideways"
    shown = {s["name"].removesuffix(" (baseline)"): s for s in layout["sections"]}
    assert set(shown) == set(names)
    for name, s in shown.items():
        assert s["left"] >= 0 and s["right"] <= layout["width"], (name, s)


def test_a_screenshot_at_1280_px(report, tmp_path: Path) -> None:
    html, _ = report
    png = tmp_path / "report.png"
    r = _browser("--window-size=1280,3000", f"--screenshot={png}", html.as_uri())
    assert png.exists(), r.stderr[-2000:]
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(head[16:20], "big") == 1280  # the IHDR width


def test_the_report_prints(report, tmp_path: Path) -> None:
    html, _ = report
    pdf = tmp_path / "report.pdf"
    r = _browser(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", html.as_uri())
    assert pdf.exists(), r.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 2  # tables and figures: pages
    assert "@media print" in html.read_text()
