"""The workflows of the library: escalate.sweep, escalate.plot, escalate.report, and the
table of variants the results layer writes (atomically) and reads back.

The command line calls these same functions (``escalate sweep``, ``plot``, ``report``);
its own tests (test_sweep.py, test_sweep_views.py, test_standalone_reports.py) check
what it prints around them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from helpers import warm_cache

import escalate
from escalate.model.sweep_settings import parse_setting
from escalate.results.errors import ResultsError
from escalate.results.files import OWNED
from escalate.results.variants import VARIANTS_FILE, read_variants, write_variants
from escalate.runner import Interrupted

PNG = b"\x89PNG\r\n\x1a\n"
SETTINGS = ["dynamics.deterrence=0,0.6", "dynamics.max_rounds=1,8"]


# ------------------------------------------------------------------ the table of variants


def test_variants_are_written_atomically_and_read_back(tmp_path: Path) -> None:
    rows = [
        {"structure": "w.max_rounds-1", "dynamics.max_rounds": 1},
        {"structure": "w.max_rounds-8", "dynamics.max_rounds": 8},
    ]
    outside = tmp_path / "outside.csv"
    outside.write_text("not yours\n")
    (tmp_path / VARIANTS_FILE).symlink_to(outside)  # replaced, never written through
    path = write_variants(tmp_path, rows)
    assert path == tmp_path / VARIANTS_FILE and not path.is_symlink()
    assert outside.read_text() == "not yours\n"
    assert path.read_text() == "structure,dynamics.max_rounds\nw.max_rounds-1,1\nw.max_rounds-8,8\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside.csv", VARIANTS_FILE]  # no temp
    back = read_variants(tmp_path)
    assert back is not None
    assert back.to_dict("records") == rows
    assert VARIANTS_FILE in OWNED  # escalate's own file: --overwrite replaces it


@pytest.mark.parametrize(
    "rows, message",
    [
        ([], "at least one variant"),
        ([{"name": "a", "x": 1}], "no 'structure' column"),
        ([{"structure": "a"}], "no swept parameter"),
    ],
)
def test_a_table_of_variants_without_variants_or_keys_is_refused(tmp_path, rows, message) -> None:
    with pytest.raises(ValueError, match=message):
        write_variants(tmp_path, rows)
    assert not (tmp_path / VARIANTS_FILE).exists()


def test_a_failed_write_leaves_no_table_and_no_temporary(tmp_path: Path, monkeypatch) -> None:
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_variants(tmp_path, [{"structure": "a", "x": 1}])
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ sweep, plot, report


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    warm_cache()
    out = tmp_path_factory.mktemp("workflows") / "sw"
    summary = escalate.sweep("teaching", SETTINGS, out, 300, seed=1, participants=True)
    assert summary.structures == [
        "teaching.deterrence-0.00.max_rounds-1",
        "teaching.deterrence-0.00.max_rounds-8",
        "teaching.deterrence-0.60.max_rounds-1",
        "teaching.deterrence-0.60.max_rounds-8",
    ]
    return out


def test_sweep_runs_every_variant_and_lists_its_values(swept: Path) -> None:
    variants = read_variants(swept)
    assert variants is not None
    assert list(variants.columns) == ["structure", "dynamics.deterrence", "dynamics.max_rounds"]
    assert variants[["dynamics.deterrence", "dynamics.max_rounds"]].values.tolist() == [
        [0.0, 1],
        [0.0, 8],
        [0.6, 1],
        [0.6, 8],
    ]
    df = escalate.read_results(swept)
    assert set(df["structure"]) == set(variants["structure"])
    assert (df.groupby("structure", observed=True).size() == 300).all()
    # a war of one round cannot draw in as many nations as one of eight
    mean = df.groupby("structure", observed=True)["belligerents"].mean()
    short, long = (mean[f"teaching.deterrence-0.00.max_rounds-{r}"] for r in (1, 8))
    assert short < long


def test_sweep_takes_parsed_settings_and_a_world(tmp_path: Path, swept: Path) -> None:
    world = escalate.load_world("teaching")
    parsed = [parse_setting(s) for s in SETTINGS]
    escalate.sweep(world, parsed, tmp_path / "sw", 300, 1, participants=True)
    assert (tmp_path / "sw" / VARIANTS_FILE).read_bytes() == (swept / VARIANTS_FILE).read_bytes()
    a = escalate.read_results(tmp_path / "sw")
    pd.testing.assert_frame_equal(a, escalate.read_results(swept))


def test_a_bad_setting_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no_such_key"):
        escalate.sweep("teaching", ["dynamics.no_such_key=0,1"], tmp_path / "sw", 10, 1)
    assert not (tmp_path / "sw").exists()


@pytest.mark.parametrize("overwrite", [False, True])
def test_an_interrupted_sweep_keeps_its_variants_for_resume(tmp_path, monkeypatch, overwrite):
    import escalate.runner.sweep as sweeps

    out = tmp_path / "sw"

    def interrupted(worlds, out, *args, **kwargs):  # parts finished, then Ctrl-C
        Path(out).mkdir()
        (Path(out) / "manifest.json").write_text("{}")
        raise Interrupted(2)

    monkeypatch.setattr(sweeps, "run", interrupted)
    with pytest.raises(Interrupted):
        escalate.sweep("teaching", SETTINGS, out, 10, 1, overwrite=overwrite)
    # with --overwrite the new run is still staged: the old run's directory keeps its own
    assert (out / VARIANTS_FILE).exists() is (not overwrite)


def test_plot_draws_every_figure_into_the_results_directory(swept: Path) -> None:
    paths = escalate.plot(swept, formats=["png"])
    names = ["p_world_war", "ccdf_belligerents", "rounds", "entry_curve", "heatmap", "sweep"]
    assert paths == [swept / "figures" / f"{n}.png" for n in names]
    for p in paths:
        assert p.read_bytes()[:8] == PNG
    assert not [p for p in swept.iterdir() if p.name.startswith(".figures")]  # nothing hidden left


def test_plot_elsewhere_and_a_bad_format(swept: Path, tmp_path: Path) -> None:
    paths = escalate.plot(swept, tmp_path / "figs", formats=("svg",), top=3)
    assert [p.parent for p in paths] == [tmp_path / "figs"] * 6
    assert all(p.read_text().lstrip().startswith("<?xml") for p in paths)
    with pytest.raises(ValueError, match="unknown figure format 'gif'"):
        escalate.plot(tmp_path / "not a run", formats=["gif"])  # refused before reading
    with pytest.raises(ResultsError):
        escalate.plot(tmp_path / "not a run", formats=["png"])


def test_report_of_a_sweep(swept: Path, tmp_path: Path, capfd) -> None:
    page = escalate.report(swept, tails=False, baseline="teaching.deterrence-0.60.max_rounds-8")
    assert page == swept / "report.html"
    assert capfd.readouterr() == ("", "")  # the library prints nothing
    text = page.read_text(encoding="utf-8")
    assert "<h2>Sweep</h2>" in text and "<h2>P(at war) by nation</h2>" in text
    assert "baseline <b>teaching.deterrence-0.60.max_rounds-8</b>" in text
    assert "Tail exponents" not in text
    assert text.count("data:image/png;base64,") == 6  # every figure, the sweep's too
    titled = escalate.report(swept, tmp_path / "sub" / "r.html", title="Deterrence & rounds")
    text = titled.read_text(encoding="utf-8")
    assert "<title>Deterrence &amp; rounds</title>" in text
    assert "<h2>Tail exponents of war size</h2>" in text
    with pytest.raises(ValueError, match="no_such_structure"):
        escalate.report(swept, tmp_path / "x.html", baseline="no_such_structure")
    assert not (tmp_path / "x.html").exists()
