"""Figures at every size: large worlds, coinciding lines, intervals, the backtest figures.

The heatmap of a large world shows the N nations most often at war, named; the
entry curve has intervals, the same from the rows as from the streamed moments;
the tail figure has no battle-death slope on an axis of belligerents; sweep
lines drawn twice say so; the backtest's joiner scatter is symlog with few
labels, and the reliability diagram is large with counts that do not overlap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from escalate.cli import main
from escalate.results.read import read_results
from escalate.viz.backtest import joiners_figure, reliability_figure
from escalate.viz.entry import ENTRY_MOMENTS, entry_moments, entry_moments_of_dir
from escalate.viz.nations import heatmap_figure
from escalate.viz.plots import ccdf_figure, entry_figure
from escalate.viz.sweep import _identical_labels


def _large(n_nations: int = 160, n_rep: int = 50):
    """Two structures of ``n_nations`` nations; nation k is at war in k % 7 of 7 cascades."""
    rng = np.random.default_rng(3)
    results, parts = [], []
    for s in ("big_a", "big_b"):
        results.append(pd.DataFrame({"structure": s, "replicate": np.arange(n_rep)}))
        for k in range(n_nations):
            reps = np.flatnonzero(rng.random(n_rep) < (k % 7) / 7)
            parts.append(pd.DataFrame({"structure": s, "replicate": reps, "nation": f"N{k:03d}",
                                       "side": "A", "round": 1}))  # fmt: skip
    return pd.concat(results, ignore_index=True), pd.concat(parts, ignore_index=True)


def test_heatmap_of_a_large_world_shows_the_top_nations_named() -> None:
    results, participants = _large()
    names = {f"N{k:03d}": f"Nation {k}" for k in range(160)}
    fig = heatmap_figure(results, participants, top=25, names=names)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 25 and all(lb.startswith("Nation ") for lb in labels)
    shown = [lb.split("(")[1].rstrip(")") for lb in labels]
    p = participants.groupby("nation").size() / 100  # mean over the two structures
    assert p[shown].min() >= p.drop(shown).max()  # the most often at war
    assert "the 25 nations most often at war of 137" in ax.get_title().replace("\n", " ")
    assert len(ax.texts) == 25 * 4  # values written in every cell
    assert fig.get_size_inches()[1] < 10  # not a 60-inch strip
    everyone = heatmap_figure(results, participants, top=None)
    assert len(everyone.axes[0].get_yticklabels()) == participants["nation"].nunique()


def test_ccdf_has_no_battle_death_slope() -> None:
    results, _ = _large(5)
    results["belligerents"] = results["replicate"] % 9 + 2
    results["deterred"] = False
    ax = ccdf_figure(results).axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["big_a", "big_b"]


def _bands(fig) -> list[np.ndarray]:
    from matplotlib.collections import PolyCollection

    ax = fig.axes[0]
    return [c.get_paths()[0].vertices for c in ax.collections if isinstance(c, PolyCollection)]


def test_entry_curve_bands_are_the_normal_intervals_of_the_mean() -> None:
    results, participants = _large(20, 40)
    participants.loc[participants["nation"] < "N010", "round"] = 2
    fig = entry_figure(results, participants[participants["structure"] == "big_a"],
                       confidence=0.95)  # fmt: skip
    (band,) = _bands(fig)[:1]
    part = participants[participants["structure"] == "big_a"]
    x = np.zeros((40, 3))
    for (rep, rnd), k in part.groupby(["replicate", "round"]).size().items():
        x[rep, rnd] += k
    x = x.cumsum(axis=1)
    half = 1.959964 * x.std(axis=0, ddof=1) / np.sqrt(40)
    low = x.mean(axis=0) - half
    # the band's lower edge, rounds 0, 1, 2
    assert np.allclose(band[1:4, 1], low, atol=1e-6)
    assert "95% normal intervals of the mean" in fig.axes[0].get_title().replace("\n", " ")


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sizes") / "run"
    argv = ["run", "europe_1914", "europe_1914_no_alliances", "-n", "400", "-s", "2"]
    assert main([*argv, "--participants", "--out", str(out), "--quiet"]) == 0
    return out


def test_streamed_entry_moments_equal_those_of_the_rows(small_run: Path) -> None:
    rows = read_results(small_run, participants=True, columns=["replicate", "round"])
    whole = entry_moments((str(k), g) for k, g in rows.groupby("structure", observed=True))
    streamed = entry_moments_of_dir(small_run)
    pd.testing.assert_frame_equal(whole, streamed)
    assert streamed["sumsq"].gt(0).any()


def test_plot_top_flag_sets_the_heatmap_rows(small_run: Path, tmp_path: Path, capsys) -> None:
    from PIL import Image

    heights = {}
    for top in ("3", "0"):
        assert main(["plot", str(small_run), "--out", str(tmp_path / top), "--formats", "png",
                     "--top", top]) == 0  # fmt: skip
        heights[top] = Image.open(tmp_path / top / "heatmap.png").size[1]
    assert heights["3"] < heights["0"]


def test_report_heatmap_rows_follow_top(small_run: Path, tmp_path: Path) -> None:
    from escalate.viz.report import render_report  # noqa: F401  (the page embeds the figure)

    assert main(["report", str(small_run), "--out", str(tmp_path / "r.html"), "--top", "4"]) == 0
    page = (tmp_path / "r.html").read_text()
    assert "The other " in page  # the table of P(at war) folds the rows past the top 4


def test_identical_sweep_lines_say_so() -> None:
    a = pd.DataFrame({"x": [1.0, 2.0], "p_world_war": [0.1, 0.2], "mean_belligerents": [3, 4]})
    b = a.copy()
    c = a.assign(p_world_war=[0.1, 0.3])
    labels = _identical_labels([("y = 1", a), ("y = 2", b), ("y = 3", c)], "x")
    assert labels == ["y = 1", "y = 2 (identical to y = 1)", "y = 3"]


def _wars() -> pd.DataFrame:
    joiners = [0] * 40 + [1, 2, 3, 87]
    expected = [0.0] * 30 + list(np.linspace(0.1, 60, 10)) + [1.0, 2.5, 2.0, 80.0]
    names = [f"war {i}" for i in range(len(joiners))]
    return pd.DataFrame({"name": names, "joiners": joiners, "expected_joiners": expected,
                         "skipped": None})  # fmt: skip


def test_joiners_figure_is_symlog_and_names_only_outliers() -> None:
    ax = joiners_figure(_wars(), 180, labels=5).axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "symlog"
    named = [t.get_text() for t in ax.texts]
    assert 1 <= len(named) <= 5
    assert "war 39" in named  # 60 expected, none joined
    assert "war 43" not in named and "war 0" not in named  # on the diagonal


def _summary() -> dict:
    bins = [
        {"n": 7000 + i, "mean_p": m, "observed": m / 2, "observed_low": 0.0,
         "observed_high": min(1.0, m), "low": m - 0.05, "high": m + 0.05}
        for i, m in enumerate([0.01, 0.09, 0.12, 0.25, 0.5, 0.75, 0.97])
    ]  # fmt: skip
    return {"scores": {"180": {"calibration": {"model": bins, "model_cv": bins[:1]}}}}


def test_reliability_figure_is_large_and_its_counts_do_not_overlap() -> None:
    fig = reliability_figure(_summary(), 180)
    w, h = fig.get_size_inches() * 120
    assert w >= 800 and h >= 700
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in fig.axes[0].texts]
    assert len(boxes) == 8
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)


def test_counts_attrs_carry_the_moments(small_run: Path) -> None:
    from escalate.viz.workflows import _participants

    counts = _participants(small_run, progress=False)
    assert ENTRY_MOMENTS in counts.attrs and len(counts.attrs[ENTRY_MOMENTS])
