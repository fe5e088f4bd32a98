"""docs/backtest/fit.toml, the version 3 fit to the COW wars (written by escalate calibrate).

It is not the shipped defaults (docs/backtest.md says why); these tests check that it
is what ``escalate calibrate`` writes: every fitted coefficient, inside the search's
bounds, with its bootstrap interval and the command that reproduces it, and that a
world takes it as its ``[dynamics]`` unchanged.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

import pytest

from escalate.backtest.params import BOUNDS, PARAMS
from escalate.model.load import load_world, world_from_dict

FIT = Path(__file__).resolve().parents[1] / "docs" / "backtest" / "fit.toml"
TEXT = FIT.read_text(encoding="utf-8")
DATA = tomllib.loads(TEXT)


def _value(key: str) -> float:
    table, _, name = key.partition(".")
    d = DATA["dynamics"][table]
    if name.startswith("intercept."):
        return float(d["intercept"][name.split(".")[1]])
    return float(d[name])


def test_every_coefficient_is_fitted_inside_the_bounds() -> None:
    assert DATA["dynamics"]["entry"] in ("enemies", "side")
    for key, (lo, hi) in zip(PARAMS, BOUNDS, strict=True):
        v = _value(key)
        assert math.isfinite(v) and lo <= v <= hi, key


@pytest.mark.parametrize("key", [p for p in PARAMS if not p.startswith("honour.intercept.")])
def test_each_slope_carries_its_bootstrap_interval(key: str) -> None:
    table, _, name = key.partition(".")
    section = TEXT.split(f"[dynamics.{table}]")[1].split("\n[")[0]
    (line,) = [x for x in section.splitlines() if x.startswith(f"{name} = ")]
    lo, hi = map(float, re.search(r"# \[(\S+), (\S+)\]$", line).groups())
    assert lo <= hi
    assert lo - 1e-3 <= _value(key) <= hi + 1e-3 or hi - lo < 0.05, (key, lo, hi)


def test_the_header_names_the_command_that_reproduces_it() -> None:
    assert re.search(r"^# Reproduce: escalate calibrate --wars \S+", TEXT, flags=re.M)
    assert "bootstrap refits over wars" in TEXT


def test_a_world_takes_the_fit_as_its_dynamics() -> None:
    base = load_world("teaching")
    world = world_from_dict(
        {
            "name": "fitted",
            "dynamics": DATA["dynamics"],
            "incident": {"initiator": base.nations[0].id, "target": base.nations[1].id},
            "nations": [{"id": n.id, "power": n.power} for n in base.nations],
        }
    )
    assert world.dynamics.model == 3
    assert world.dynamics.entry == DATA["dynamics"]["entry"]
    honour = dict(world.dynamics.honour)
    assert honour["depth"] == pytest.approx(_value("honour.depth"))
    unaligned = dict(world.dynamics.unaligned)
    assert unaligned["intercept"] == pytest.approx(_value("unaligned.intercept"))


def test_each_intercept_carries_its_bootstrap_interval() -> None:
    (line,) = [x for x in TEXT.splitlines() if x.startswith("# intercept intervals: ")]
    spans = {k: (lo, hi) for k, lo, hi in re.findall(r"(\w+) \[(\S+), (\S+)\]", line)}
    assert set(spans) == set(DATA["dynamics"]["honour"]["intercept"])
    for kind, (lo, hi) in spans.items():
        assert float(lo) <= _value(f"honour.intercept.{kind}") <= float(hi), kind
