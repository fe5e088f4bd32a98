"""Speed you can plan by: the progress bar's ETA and a warning before a long run.

The bar knows the total, so it shows the time left from the measured rate; before
a run the command line measures the rate of the worlds in a moment and says, in
one line on stderr, how long a run of more than a few minutes will take.
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest

from escalate.cli import main
from escalate.model.load import load_world
from escalate.runner import jobs, rate, run
from escalate.runner.rate import LONG_RUN_S, estimate_seconds, format_duration, measure_rate


def test_the_progress_bar_shows_the_time_left(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("tqdm")
    import tqdm.auto

    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    # every update drawn (by default tqdm skips redraws within 0.1 s: a fast run shows
    # only 0% and 100%)
    monkeypatch.setattr(tqdm.auto.tqdm, "monitor_interval", 0)
    real = tqdm.auto.tqdm.__init__

    def every_update(self, *args, **kwargs):
        real(self, *args, **{**kwargs, "mininterval": 0, "miniters": 1})

    monkeypatch.setattr(tqdm.auto.tqdm, "__init__", every_update)
    run(["teaching"], tmp_path / "out", 4000, 1, chunk_size=500, progress=True)
    bar = err.getvalue().replace("\r", "\n")
    # before the end: elapsed<remaining from the measured rate, not "?"
    assert re.search(r" \d\d?%\|.*/4\.00k \[\d\d:\d\d<\d\d:\d\d, [\d.]+kcascade/s\]", bar), bar
    assert "cascade/s" in bar


def test_measure_rate_leaves_out_the_fixed_cost_of_a_call(monkeypatch) -> None:
    """A call costs 30 ms plus 2 µs a cascade: the rate is 500,000 a second, not less."""

    def fake(world, n, seed, **kw):
        time.sleep(0.03 + 2e-6 * n)

    monkeypatch.setattr(jobs, "simulate", fake)
    monkeypatch.setattr("escalate.engine.compile.compile_world", lambda w: None)
    r = measure_rate(load_world("teaching"), budget_s=0.3)
    assert 350_000 < r < 560_000


def test_a_short_run_is_not_measured_further(monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(rate, "_slow_bound", lambda *a: 1000.0)
    monkeypatch.setattr(rate, "measure_rate", lambda *a, **k: calls.append(1) or 10.0)
    worlds = [load_world("teaching")] * 5
    assert estimate_seconds(worlds, 10, above=60) == (0.05, 1000.0)
    assert calls == []
    seconds, r = estimate_seconds(worlds, 100_000, above=60)  # 500 s at the bound: measure
    assert len(calls) == 3 and r == pytest.approx(10.0) and seconds == pytest.approx(50_000)


@pytest.mark.parametrize(("per_s", "warned"), [(1.0, True), (1e9, False)])
def test_run_warns_in_one_line_before_a_long_run(tmp_path, capsys, monkeypatch, per_s, warned):
    monkeypatch.setattr(rate, "_slow_bound", lambda *a: per_s)
    monkeypatch.setattr(rate, "measure_rate", lambda *a, **k: per_s)
    argv = ["run", "teaching", "-n", "300", "-s", "1", "--out", str(tmp_path / "o")]
    assert main(argv) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "this run will take about" in line]
    assert len(lines) == int(warned)
    if warned:
        assert (
            f"about {format_duration(300 / per_s)} (300 cascades at about 1 cascades/s" in lines[0]
        )
        assert 300 / per_s > LONG_RUN_S


def test_quiet_and_resume_skip_the_estimate(tmp_path, capsys, monkeypatch) -> None:
    def boom(*a, **k):
        raise AssertionError("measured")

    monkeypatch.setattr(rate, "_slow_bound", boom)
    monkeypatch.setattr(rate, "measure_rate", boom)
    out = str(tmp_path / "o")
    assert main(["run", "teaching", "-n", "200", "-s", "1", "--out", out, "--quiet"]) == 0
    assert main(["run", "teaching", "-n", "200", "-s", "1", "--out", out, "--resume"]) == 0


def test_format_duration() -> None:
    assert [format_duration(s) for s in (45, 720, 12_600)] == ["45 s", "12 min", "3.5 h"]
