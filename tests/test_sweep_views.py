"""A sweep read by its parameters: the sweep figure and the pivot table of compare."""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest
from helpers import cli, warm_cache

pytest.importorskip("matplotlib")

from escalate.analysis.compare import compare
from escalate.results.variants import read_variants
from escalate.viz.plots import figures_of
from escalate.viz.sweep import (
    format_sweep,
    sweep_figure,
    sweep_summary,
    sweep_table,
)

N = 400


def grid(**settings: list[float]) -> pd.DataFrame:
    """A table of variants like variants.csv: the first setting varying slowest."""
    keys = list(settings)
    combos = pd.MultiIndex.from_product(list(settings.values()), names=keys).to_frame(index=False)
    names = [
        "w." + ".".join(f"{k.rsplit('.', 1)[-1]}-{v}" for k, v in zip(keys, row, strict=True))
        for row in combos.itertuples(index=False)
    ]
    combos.insert(0, "structure", names)
    return combos


def fake_results(variants: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """Cascades whose P(world war) and war size differ per variant, paired by replicate."""
    rng = np.random.default_rng(seed)
    u = rng.random(N)
    frames = []
    for i, name in enumerate(variants["structure"]):
        p = 0.1 + 0.8 * i / max(len(variants) - 1, 1)
        ww = u < p
        frames.append(
            pd.DataFrame(
                {
                    "structure": name,
                    "replicate": np.arange(N),
                    "world_war": ww,
                    "deterred": np.zeros(N, bool),
                    "vetoed": np.zeros(N, bool),
                    "belligerents": np.where(ww, 5 + i, 2).astype("int16"),
                    "power_share": np.where(ww, 0.5, 0.1),
                    "rounds": np.where(ww, 2, 0).astype("int16"),
                    "broken_promises": np.zeros(N, "int32"),
                    "sanctions": np.zeros(N, "int32"),
                    "diplomacy": np.zeros(N, "int32"),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["structure"] = pd.Categorical(out["structure"], categories=list(variants["structure"]))
    return out


def panels(fig):
    """The two data axes of the sweep figure (P(world war), mean belligerents)."""
    axes = [ax for ax in fig.axes if ax.get_ylabel()]
    assert len(axes) == 2
    return axes


def test_one_parameter_one_line_a_point_per_value():
    variants = grid(**{"dynamics.deterrence": [0.0, 0.25, 0.5, 0.75]})
    results = fake_results(variants)
    fig = sweep_figure(results, variants)
    ww, size = panels(fig)
    for ax in (ww, size):
        assert len(ax.lines) == 1
        assert ax.get_xlabel() == "dynamics.deterrence"
        np.testing.assert_array_equal(ax.lines[0].get_xdata(), [0.0, 0.25, 0.5, 0.75])
    expected = results.groupby("structure", observed=True)["world_war"].mean().to_numpy()
    np.testing.assert_allclose(ww.lines[0].get_ydata(), expected)
    means = results.groupby("structure", observed=True)["belligerents"].mean().to_numpy()
    np.testing.assert_allclose(size.lines[0].get_ydata(), means)
    assert not fig.legends  # one line needs no legend
    assert len(ww.collections) == 1  # its interval band


def test_two_parameters_a_line_per_value_of_the_second():
    variants = grid(**{"dynamics.deterrence": [0.0, 0.3, 0.6], "dynamics.max_rounds": [4, 8]})
    results = fake_results(variants)
    fig = sweep_figure(results, variants)
    ww, size = panels(fig)
    for ax in (ww, size):
        assert len(ax.lines) == 2
        for line in ax.lines:
            np.testing.assert_array_equal(line.get_xdata(), [0.0, 0.3, 0.6])
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["dynamics.max_rounds = 4", "dynamics.max_rounds = 8"]
    p = results.groupby("structure", observed=True)["world_war"].mean()
    # the line of max_rounds = 8 goes through the variants ...max_rounds-8, in x order
    eight = variants[variants["dynamics.max_rounds"] == 8]["structure"]
    np.testing.assert_allclose(ww.lines[1].get_ydata(), p[list(eight)].to_numpy())


def test_a_line_per_combination_of_the_other_parameters_and_constants_ignored():
    variants = grid(
        **{
            "dynamics.max_rounds": [8],  # one value: not an axis
            "dynamics.deterrence": [0.0, 0.5],
            "dynamics.sanction_effect": [0.1, 0.2],
            "dynamics.contest_exponent": [1.0, 2.0],
        }
    )
    fig = sweep_figure(fake_results(variants), variants)
    ww, _ = panels(fig)
    assert ww.get_xlabel() == "dynamics.deterrence"
    assert len(ww.lines) == 4
    assert all(len(line.get_xdata()) == 2 for line in ww.lines)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0] == "dynamics.sanction_effect = 0.1, dynamics.contest_exponent = 1"


def test_summary_intervals_and_missing_variants():
    variants = grid(**{"dynamics.deterrence": [0.0, 0.5, 1.0]})
    results = fake_results(variants)
    part = results[results["structure"] != variants["structure"][1]]
    s = sweep_summary(part, variants)
    assert list(s["structure"]) == [variants["structure"][0], variants["structure"][2]]
    assert (s["p_world_war_low"] <= s["p_world_war"]).all()
    assert (s["p_world_war"] <= s["p_world_war_high"]).all()
    assert (s["mean_belligerents_low"] < s["mean_belligerents_high"]).all()
    assert list(s["n"]) == [N, N]
    other = grid(**{"dynamics.max_rounds": [1, 2]})
    with pytest.raises(ValueError, match="no structure"):
        sweep_summary(results, other)
    with pytest.raises(ValueError, match="no swept parameter"):
        sweep_summary(results, variants[["structure"]])


def test_summary_of_counts_is_the_summary_of_rows():
    """``escalate plot`` and ``report`` draw the sweep from a table of counts."""
    variants = grid(**{"dynamics.deterrence": [0.0, 0.5, 1.0]})
    rows = fake_results(variants)
    counts = (
        rows.groupby(["structure", "world_war", "belligerents"], observed=True)
        .size()
        .rename("count")
        .reset_index()
    )
    assert len(counts) < len(rows) / 10  # a few rows stand for many cascades
    by_rows, by_counts = sweep_summary(rows, variants), sweep_summary(counts, variants)
    assert list(by_counts["n"]) == [N] * 3
    pd.testing.assert_frame_equal(by_counts, by_rows)


def test_figures_of_adds_the_sweep_only_with_variants():
    variants = grid(**{"dynamics.deterrence": [0.0, 0.5]})
    results = fake_results(variants)
    assert "sweep" not in figures_of(results)
    fig = figures_of(results, variants=variants)["sweep"]
    assert len(panels(fig)[0].lines) == 1


def test_pivot_table_has_the_parameter_values_as_columns():
    variants = grid(**{"dynamics.deterrence": [0.0, 0.3, 0.6], "dynamics.max_rounds": [4, 8]})
    results = fake_results(variants)
    table = compare(results, n_resamples=100)
    pivot = sweep_table(table, variants)
    assert list(pivot.columns[:2]) == ["dynamics.deterrence", "dynamics.max_rounds"]
    assert pivot.columns[-1] == "structure"
    pd.testing.assert_frame_equal(
        pivot[["structure", "dynamics.deterrence", "dynamics.max_rounds"]],
        variants[["structure", "dynamics.deterrence", "dynamics.max_rounds"]],
    )
    est = table[table["metric"] == "p_world_war"].set_index("structure")["estimate"]
    np.testing.assert_allclose(pivot["p_world_war"], est[list(variants["structure"])])
    assert set(pivot.columns) >= {"p_world_war_low", "mean_belligerents_p_holm"}
    assert np.isnan(pivot["p_world_war_p_holm"].iloc[0])  # the baseline
    assert (pivot["p_world_war_p_holm"].iloc[1:] < 0.05).all()  # every other differs
    text = format_sweep(pivot)
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["dynamics.deterrence", "dynamics.max_rounds"]
    assert lines[3].split()[:2] == ["0.3", "4"]  # the values, row by row
    assert "baseline" in lines[1]
    assert "w.deterrence" not in "\n".join(lines[:7])  # names are left out of the rows
    with pytest.raises(ValueError, match="unknown metric"):
        sweep_table(table, variants, metrics=["p_peace"])


def test_read_variants(tmp_path):
    assert read_variants(tmp_path) is None
    (tmp_path / "variants.csv").write_text("structure,dynamics.max_rounds\n1914.x-4,4\n")
    v = read_variants(tmp_path)
    assert v is not None
    assert v["structure"].tolist() == ["1914.x-4"]  # names stay text
    assert v["dynamics.max_rounds"].tolist() == [4]
    (tmp_path / "variants.csv").write_text("name,x\na,1\n")
    with pytest.raises(ValueError, match="no 'structure' column"):
        read_variants(tmp_path)


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    warm_cache()
    out = tmp_path_factory.mktemp("sweep") / "sw"
    r = cli(
        "sweep",
        "teaching",
        "--set",
        "dynamics.deterrence=0,0.6",
        "--set",
        "dynamics.max_rounds=1,8",
        "-n",
        300,
        "-s",
        1,
        "-o",
        out,
        "-q",
    )
    assert r.returncode == 0, r.stderr
    return out


def test_compare_sweep_in_every_format(swept, tmp_path):
    r = cli("compare", swept, "--sweep", "--format", "json")
    assert r.returncode == 0, r.stderr
    both = json.loads(r.stdout)
    assert set(both) == {"compare", "sweep"}
    rows = both["sweep"]
    assert [(row["dynamics.deterrence"], row["dynamics.max_rounds"]) for row in rows] == [
        (0.0, 1),
        (0.0, 8),
        (0.6, 1),
        (0.6, 8),
    ]
    assert all(0 <= row["p_world_war"] <= 1 for row in rows)
    r = cli("compare", swept, "--sweep", "--format", "csv", "-o", tmp_path / "t.csv")
    assert r.returncode == 0, r.stderr
    with open(tmp_path / "t_sweep.csv") as f:
        header = next(csv.reader(f))
    assert header[:3] == ["dynamics.deterrence", "dynamics.max_rounds", "p_world_war"]
    r = cli("compare", swept, "--sweep", "--format", "csv")
    assert r.returncode == 2 and "FILE_sweep.csv" in r.stderr
    r = cli("compare", swept, "--sweep")
    assert r.returncode == 0, r.stderr
    assert "dynamics.deterrence  dynamics.max_rounds" in r.stdout
    r = cli("compare", swept)
    assert r.returncode == 0 and "--sweep adds a table" in r.stderr


def test_compare_sweep_on_a_plain_run_is_refused(swept, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    for p in swept.iterdir():
        if p.name != "variants.csv":
            (plain / p.name).symlink_to(p)
    r = cli("compare", plain, "--sweep")
    assert r.returncode == 2
    assert "is not a sweep" in r.stderr


def test_plot_draws_the_sweep(swept, tmp_path):
    r = cli("plot", swept, "-o", tmp_path / "figs", "--formats", "png")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "figs" / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_of_a_sweep_has_its_table_and_figure():
    from escalate.viz.report import render_report

    variants = grid(**{"dynamics.deterrence": [0.0, 0.5], "dynamics.max_rounds": [4, 8]})
    results = fake_results(variants)
    page = render_report(results, tails=False, variants=variants, dpi=40)
    sweep = page[page.index("<h2>Sweep</h2>") : page.index("<h2>Estimates")]
    assert "<th>dynamics.deterrence</th>" in sweep and "<th>dynamics.max_rounds</th>" in sweep
    assert sweep.count("</tr>") == 1 + len(variants)  # header + a row per variant
    assert 'alt="sweep"' in page
    assert "<h2>Sweep</h2>" not in render_report(results, tails=False, dpi=40)
