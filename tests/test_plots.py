"""Figures (escalate.viz.plots) and the HTML report (escalate.viz.report)."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from escalate.engine.compile import compile_world
from escalate.model.load import world_from_dict
from escalate.results.arrow import run_arrays, to_tables
from escalate.viz.plots import figures_of, plot_results
from escalate.viz.report import render_report, write_report

N = 3000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def chain_world(name: str, reliability: float, plan: float | None = None):
    """A attacks T; a chain of offense pacts T-C, C-D, D-E (each partner joins a
    war of the other), so the war can widen round by round; optionally a war plan."""
    nations = [
        {"id": i, "name": f"Nation {i}", "power": p, "major": m}
        for i, p, m in (
            ("A", 0.3, True),
            ("T", 0.2, True),
            ("C", 0.2, True),
            ("D", 0.15, False),
            ("E", 0.1, False),
            ("F", 0.05, False),
        )
    ]
    alliances = [
        {"name": f"{a}-{b} pact", "kind": "offense", "members": [a, b], "reliability": reliability}
        for a, b in (("T", "C"), ("C", "D"), ("D", "E"))
    ]
    data = {
        "name": name,
        "incident": {"initiator": "A", "target": "T"},
        "nations": nations,
        "alliances": alliances,
    }
    if plan is not None:
        data["plans"] = [{"nation": "A", "trigger": ["C"], "attack": ["F"], "probability": plan}]
    return world_from_dict(data)


def run(world, n: int = N, seed: int = 5):
    cw = compile_world(world)
    out, parts = run_arrays(cw, seed, 0, n, True)
    casc, part = to_tables(cw, 0, out, parts, True)
    c, p = casc.to_pandas(), part.to_pandas()
    c.insert(0, "structure", world.name)
    p.insert(0, "structure", world.name)
    return c, p


@pytest.fixture(scope="module")
def run_data():
    worlds = [
        chain_world("chain_reliability_0.2", 0.2),
        chain_world("chain_reliability_0.5", 0.5),
        chain_world("chain_reliability_0.8", 0.8),
        chain_world("chain_reliability_0.5_with_plan", 0.5, plan=0.7),
        chain_world("chain_reliability_1.0", 1.0),
        chain_world("chain_reliability_0.0", 0.0),
    ]
    pairs = [run(w) for w in worlds]
    results = pd.concat([c for c, _ in pairs], ignore_index=True)
    participants = pd.concat([p for _, p in pairs], ignore_index=True)
    return results, participants


def _check_files(paths):
    for path in paths:
        data = path.read_bytes()
        assert len(data) > 1000, path
        if path.suffix == ".png":
            assert data.startswith(PNG_MAGIC)
        elif path.suffix == ".svg":
            assert b"<svg" in data[:2000]


def test_plot_results_without_participants(run_data, tmp_path):
    results, _ = run_data
    paths = plot_results(results, tmp_path / "figs")
    names = sorted(p.name for p in paths)
    assert names == sorted(
        f"{stem}.{fmt}"
        for stem in ("p_world_war", "ccdf_belligerents", "rounds")
        for fmt in ("png", "svg")
    )
    _check_files(paths)


def test_plot_results_with_participants(run_data, tmp_path):
    results, participants = run_data
    paths = plot_results(
        results, tmp_path, participants=participants, formats=("png", "svg", "pdf")
    )
    assert len(paths) == 5 * 3
    assert {p.stem for p in paths} == {
        "p_world_war",
        "ccdf_belligerents",
        "rounds",
        "entry_curve",
        "heatmap",
    }
    _check_files(paths)
    # reproducible vector output: no timestamps, no random ids
    again = plot_results(
        results, tmp_path / "again", participants=participants, formats=("png", "svg", "pdf")
    )
    for p in again:
        if p.suffix in (".svg", ".pdf"):
            assert p.read_bytes() == (tmp_path / p.name).read_bytes(), p.name


def test_figures_have_the_expected_axes(run_data):
    results, participants = run_data
    figs = figures_of(results, participants)
    axes = {name: len(fig.axes) for name, fig in figs.items()}
    assert axes == {
        "p_world_war": 1,
        "ccdf_belligerents": 1,
        "rounds": 1,
        "entry_curve": 1,
        "heatmap": 2,
    }
    ccdf_ax = figs["ccdf_belligerents"].axes[0]
    assert ccdf_ax.get_xscale() == "log" and ccdf_ax.get_yscale() == "log"
    assert ccdf_ax.get_title() and ccdf_ax.get_xlabel() and ccdf_ax.get_ylabel()
    # one curve per structure, all in the legend; no battle-death slope on an axis
    # of belligerent counts (the tails table has it, in its own units)
    (legend,) = figs["ccdf_belligerents"].legends  # below the axes, not over the curves
    labels = [t.get_text().replace("\n", " ") for t in legend.get_texts()]
    assert labels == list(dict.fromkeys(results["structure"]))
    ww = figs["p_world_war"].axes[0]
    assert [t.get_text() for t in ww.get_yticklabels()] == list(dict.fromkeys(results["structure"]))
    heat = figs["heatmap"].axes[0]
    nations = [t.get_text() for t in heat.get_yticklabels()]
    assert set(nations) == set(participants["nation"])
    assert nations[:2] == ["A", "T"]  # always at war, sorted first


def test_entry_curve_ends_at_mean_belligerents(run_data):
    results, participants = run_data
    ax = figures_of(results, participants)["entry_curve"].axes[0]
    means = results.groupby("structure", sort=False)["belligerents"].mean()
    for line, name in zip(ax.get_lines(), means.index, strict=True):
        assert line.get_ydata()[-1] == pytest.approx(means[name])
        assert np.all(np.diff(line.get_ydata()) >= 0)


def test_bad_format_is_refused(run_data, tmp_path):
    with pytest.raises(ValueError, match="jpg"):
        plot_results(run_data[0], tmp_path, formats=("jpg",))


def test_plots_leave_matplotlib_global_state_alone(tmp_path):
    # Drawing and saving must neither import pyplot nor select a backend. The
    # raw rcParams entry is read because matplotlib.get_backend() itself
    # resolves (and so changes) an unset backend.
    code = """
import sys, matplotlib, pandas as pd
def raw_rc():
    return {k: dict.__getitem__(matplotlib.rcParams, k) for k in dict.keys(matplotlib.rcParams)}
before = raw_rc()
from escalate.viz.plots import plot_results
df = pd.DataFrame({"structure": ["a", "a", "b"], "replicate": [0, 1, 0],
                   "world_war": [True, False, True], "deterred": False,
                   "belligerents": [2, 3, 2], "rounds": [0, 1, 0]})
plot_results(df, "figs")
assert "matplotlib.pyplot" not in sys.modules
assert raw_rc() == before
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, cwd=tmp_path)


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.images: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "img":
            self.images.append(a.get("src", ""))
        if tag in ("link", "script") or (tag == "a" and "href" in a):
            self.links.append(tag)


def test_report_is_one_self_contained_page(run_data, tmp_path):
    results, participants = run_data
    out = write_report(
        results, participants, tmp_path / "sub" / "report.html", baseline="chain_reliability_0.5"
    )
    assert out == tmp_path / "sub" / "report.html"
    text = out.read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(text)
    assert len(parser.images) == 5
    assert all(src.startswith("data:image/png;base64,") for src in parser.images)
    assert parser.links == []  # nothing to fetch
    assert "table" in parser.tags
    assert "P(world war)" in text and "<h3>chain_reliability_0.8</h3>" in text
    assert "Δ vs chain_reliability_0.5" in text
    assert "baseline <b>chain_reliability_0.5</b>" in text
    assert "Clauset 2018" in text
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # no temporary left


def test_report_of_one_structure_without_participants(run_data):
    results, _ = run_data
    one = results[results["structure"] == "chain_reliability_0.5"]
    text = render_report(one, None, tails=False)
    assert text.count("data:image/png;base64,") == 3
    assert "Paired differences" not in text
    assert "--participants" in text


def test_the_report_escapes_what_it_is_given(run_data):
    from escalate.viz.runinfo import RunInfo, WorldInfo

    results, _ = run_data
    one = results[results["structure"] == "chain_reliability_0.5"]
    hostile = "<script>alert('x')</script> & <b>"
    world = WorldInfo("chain_reliability_0.5", hostile, hostile, "abc", "w.toml", {"A": hostile})
    run = RunInfo(1, N, False, f"escalate run {hostile}", True, hostile, [world])
    text = render_report(one, None, tails=False, title=hostile, run=run)
    assert "<script" not in text and "<b>&" not in text
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;"
    # the title twice, the description, the incident, the command and the date
    assert text.count(escaped) == 6
    assert f"<title>{escaped}</title>" in text and f"<h1>{escaped}</h1>" in text
    assert f"<code>escalate run {escaped}</code>" in text
    # the page's own markup is not escaped
    assert "&middot; baseline <b>chain_reliability_0.5</b>" in text


def test_the_templates_are_package_data():
    import tomllib
    from importlib import resources
    from pathlib import Path

    from escalate.viz.page import TEMPLATES

    shipped = resources.files("escalate.viz") / TEMPLATES
    names = {p.name for p in shipped.iterdir() if p.name.endswith(".j2")}
    assert {"page.html.j2", "macros.html.j2", "report.html.j2", "backtest.html.j2"} <= names
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    data = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-data"]
    assert f"{TEMPLATES}/*.j2" in data["escalate.viz"]  # in the wheel, not only in a clone


def test_missing_jinja2_names_the_extra(run_data):
    code = (
        "import sys; sys.modules['jinja2'] = None\n"
        "from escalate.viz.page import render_page\n"
        "try:\n"
        "    render_page('page.html.j2', title='t')\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "reports need jinja2" in r.stdout and "pip install 'escalate[plot]'" in r.stdout


def test_missing_matplotlib_names_the_extra(monkeypatch, run_data, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install 'escalate\[plot\]'"):
        plot_results(run_data[0], tmp_path)


def _extent(artist, fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig).draw()
    return artist.get_window_extent(fig.canvas.get_renderer())


@pytest.mark.parametrize("name", ["ccdf_belligerents", "rounds", "entry_curve"])
def test_legends_cover_no_curve_and_titles_fit(run_data, name):
    results, participants = run_data
    fig = figures_of(results, participants)[name]
    ax = fig.axes[0]
    (legend,) = fig.legends
    assert ax.get_legend() is None
    assert not _extent(legend, fig).overlaps(_extent(ax, fig))
    box = fig.bbox
    title = _extent(ax.title, fig)
    assert title.x0 >= box.x0 and title.x1 <= box.x1, "title clipped"


def test_heatmap_shows_sides_and_absent_nations(run_data):
    results, participants = run_data
    names = list(dict.fromkeys(results["structure"]))[:2]
    res = results[results["structure"].isin(names)]
    par = participants[participants["structure"].isin(names)]
    present = sorted(set(par["nation"]))
    # pretend the second world lacks the nation least often at war there (among those
    # at war at all: a categorical column also counts its unused nations, as 0)
    at_war = par[par["structure"] == names[1]]["nation"].astype(str)
    missing = at_war.value_counts().index[-1]
    members = {names[0]: present, names[1]: [n for n in present if n != missing]}
    fig = figures_of(res, par, members=members)["heatmap"]
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "D"] * 2
    image = ax.get_images()[0].get_array()
    nations = [t.get_text() for t in ax.get_yticklabels()]
    n = results.groupby("structure").size()
    for i, nation in enumerate(nations):
        for j, (structure, side) in enumerate([(s, x) for s in names for x in "AD"]):
            if structure == names[1] and nation == missing:
                assert image.mask[i, j]
                continue
            rows = par[(par["structure"] == structure) & (par["nation"] == nation)]
            share = (rows["side"] == side).sum() / n[structure]
            assert image[i, j] == pytest.approx(share)
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("absent") == 2
    title = _extent(ax.title, fig)
    assert title.x0 >= fig.bbox.x0 and title.x1 <= fig.bbox.x1, "title clipped"
