"""Sweeps: parsing settings, the grid of variants, names, errors and pairing."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest
from helpers import cli, warm_cache
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.model.entities import World, WorldError
from escalate.model.load import load_world, world_from_dict
from escalate.model.sweep import (
    Setting,
    parse_setting,
    sweep_worlds,
    sweepable_keys,
    variant_table,
)
from escalate.model.sweep_settings import _linspace

EUROPE = Path(__file__).resolve().parent.parent / "configs" / "europe_1914.toml"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def base_dict() -> dict:
    return {
        "name": "toy",
        "description": "a toy world",
        "dynamics": {"max_rounds": 16},
        "incident": {"initiator": "A", "target": "B"},
        "nations": [
            {"id": "A", "power": 0.4, "major": True},
            {"id": "B", "power": 0.2},
            {"id": "C", "power": 0.3, "major": True},
            {"id": "D", "power": 0.1},
        ],
        "alliances": [
            {"name": "B-C pact (1900)", "kind": "defense", "members": ["B", "C"]},
            {"name": "A-D entente", "kind": "entente", "members": ["A", "D"], "reliability": 0.3},
        ],
        "organizations": [
            {
                "name": "League",
                "kind": "collective_security",
                "members": ["A", "B", "D"],
                "response": {"diplomacy": 0.5, "military": 0.1},
            }
        ],
        "plans": [
            {"nation": "C", "trigger": ["A"], "attack": ["D"], "probability": 0.5},
            {"name": "Plan Blue", "nation": "A", "trigger": ["C"], "attack": ["D"]},
        ],
    }


@pytest.fixture
def toy() -> World:
    return world_from_dict(base_dict(), source="toy.toml")


def sweep(world: World, *texts: str) -> list[World]:
    return sweep_worlds(world, [parse_setting(t) for t in texts])


# ------------------------------------------------------------------ parse_setting


def test_grid_syntax():
    s = parse_setting("dynamics.reliability.defense=0:1:5")
    assert s == Setting("dynamics.reliability.defense", (0.0, 0.25, 0.5, 0.75, 1.0), s.text)
    assert parse_setting("dynamics.deterrence=0:0.3:4").values == (0.0, 0.1, 0.2, 0.3)
    assert parse_setting("dynamics.deterrence=0.5:0.5:1").values == (0.5,)
    assert parse_setting("dynamics.deterrence=1:0:3").values == (1.0, 0.5, 0.0)


def test_integer_and_list_syntax():
    s = parse_setting("dynamics.max_rounds=8:32:4")
    assert s.values == (8, 16, 24, 32) and all(type(v) is int for v in s.values)
    s = parse_setting("dynamics.max_rounds=4,8, 16")
    assert s.values == (4, 8, 16) and all(type(v) is int for v in s.values)
    assert parse_setting("dynamics.deterrence=0.1,0,0.3").values == (0.1, 0, 0.3)
    assert parse_setting("dynamics.deterrence=0.2").values == (0.2,)
    assert parse_setting("alliances[x=y].reliability=0.5").key == "alliances[x=y].reliability"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dynamics.deterrence", "no '='"),
        ("=0,1", "KEY before '=' is empty"),
        ("dynamics.deterrence=", "no values"),
        ("dynamics.deterrence=0:1", r"START:STOP:STEPS \(3 parts\), got 2"),
        ("dynamics.deterrence=0:1:2:3", "got 4"),
        ("dynamics.deterrence=a:1:3", "START 'a' is not a number"),
        ("dynamics.deterrence=0:b:3", "STOP 'b' is not a number"),
        ("dynamics.deterrence=0:1:0", "STEPS '0' must be a whole number >= 1"),
        ("dynamics.deterrence=0:1:2.5", "STEPS '2.5'"),
        ("dynamics.deterrence=0:1:1", "START and STOP must be equal"),
        ("dynamics.deterrence=0.1,x", "value 2 'x' is not a number"),
        ("dynamics.deterrence=0.1,,0.2", "value 2 is empty"),
        ("dynamics.deterrence=inf", "must be finite"),
        ("dynamics.deterrence=0.1,0.1", "0.1 is given twice"),
        ("alliances[pact.reliability=1", "never closed"),
        ("dynamics..deterrence=1", "expected a name"),
        ("dynamics.deterrence!=1", "unexpected '!'"),
    ],
)
def test_bad_syntax_names_the_bad_part(text, message):
    with pytest.raises(ValueError, match=message):
        parse_setting(text)


# ------------------------------------------------------------------ the grid


def test_grid_is_the_cartesian_product(toy):
    worlds = sweep(toy, "dynamics.reliability.defense=0:1:3", "dynamics.deterrence=0,0.1")
    assert len(worlds) == 6
    got = [(w.dynamics.default_reliability("defense"), w.dynamics.deterrence) for w in worlds]
    assert got == [(0.0, 0.0), (0.0, 0.1), (0.5, 0.0), (0.5, 0.1), (1.0, 0.0), (1.0, 0.1)]
    assert worlds[3].name == "toy.defense-0.50.deterrence-0.10"
    for w in worlds:  # nothing else changes
        d, b = w.to_dict(), toy.to_dict()
        for k in ("name", "description", "dynamics"):
            d.pop(k), b.pop(k)
        assert d == b
        assert w.source == toy.source
        assert "sweep: dynamics.reliability.defense=" in w.description


def test_grid_size_three_settings(toy):
    worlds = sweep(
        toy,
        "dynamics.reliability.defense=0:1:5",
        "dynamics.max_rounds=2,4,8",
        "nations[C].power=0.1:0.5:2",
    )
    assert len(worlds) == 5 * 3 * 2
    assert len({w.name for w in worlds}) == 30


def test_integer_keys_stay_integers(toy):
    worlds = sweep(toy, "dynamics.max_rounds=4:12:3", "dynamics.world_war_majors=1,2")
    assert [w.dynamics.max_rounds for w in worlds[::2]] == [4, 8, 12]
    for w in worlds:
        assert type(w.to_dict()["dynamics"]["max_rounds"]) is int
    assert worlds[0].name == "toy.max_rounds-4.world_war_majors-1"
    # whole floats are accepted for integer keys, fractions are not
    assert [w.dynamics.max_rounds for w in sweep(toy, "dynamics.max_rounds=2.0,3")] == [2, 3]
    with pytest.raises(WorldError, match=r"dynamics\.max_rounds: must be an integer, got 2\.5"):
        sweep(toy, "dynamics.max_rounds=2:3:3")


def test_every_kind_of_key(toy):
    (w,) = sweep(toy, "alliances[B-C pact (1900)].reliability=0.9")
    assert w.alliances[0].reliability == 0.9 and w.alliances[1].reliability == 0.3
    assert w.name == "toy.B_C_pact_1900_reliability-0.90"
    (w,) = sweep(toy, "organizations[League].response.sanctions=0.2")
    assert w.organizations[0].response_probability("sanctions") == 0.2
    assert w.organizations[0].response_probability("military") == 0.1
    assert w.name == "toy.League_sanctions-0.20"
    (w,) = sweep(toy, "plans[0].probability=0.25")
    assert w.plans[0].probability == 0.25 and w.plans[1].probability == 1.0
    assert w.name == "toy.plan0_probability-0.25"
    (w,) = sweep(toy, "plans[Plan Blue].probability=0.75")
    assert w.plans[1].probability == 0.75
    (w,) = sweep(toy, "plans[1].probability=0.75")
    assert w.plans[1].probability == 0.75
    (w,) = sweep(toy, "plans[C|A|D].probability=0.75")
    assert w.plans[0].probability == 0.75
    (w,) = sweep(toy, "nations[B].power=1.5")
    assert w.nation("B").power == 1.5
    assert w.name == "toy.B_power-1.50"
    (w,) = sweep(toy, "dynamics.contest_exponent=2")
    assert w.dynamics.contest_exponent == 2.0


def test_every_sweepable_key_resolves(toy):
    for key in sweepable_keys(toy):
        value = 2 if key.endswith(("max_rounds", "world_war_majors")) else 0.05
        (w,) = sweep(toy, f"{key}={value}")
        assert NAME_RE.match(w.name)
        assert variant_table([w], [parse_setting(f"{key}={value}")])[0][key] == value


def test_out_of_range_values_raise_world_error_naming_the_key(toy):
    with pytest.raises(WorldError, match=r"toy\.toml: dynamics\.deterrence: .*must be <= 1"):
        sweep(toy, "dynamics.deterrence=0:1.5:4")
    with pytest.raises(WorldError, match=r"nations\[B\]\.power: .*must be >= 0"):
        sweep(toy, "nations[B].power=-1,1")
    with pytest.raises(WorldError, match=r"organizations\[League\]\.response\.military: .*sum"):
        sweep(toy, "organizations[League].response.military=0.1,0.6")
    with pytest.raises(WorldError, match=r"dynamics\.max_rounds: .*between 1 and"):
        sweep(toy, "dynamics.max_rounds=0,1")
    with pytest.raises(WorldError, match=r"alliances\[A-D entente\]\.reliability"):
        sweep(toy, "alliances[A-D entente].reliability=2")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dynamics.deterence=0.1", "did you mean 'dynamics.deterrence'"),
        ("dynamics.reliability.defence=0.1", "did you mean 'dynamics.reliability.defense'"),
        ("alliances[B-C pact].reliability=0.1", r"did you mean 'alliances\[B-C pact \(1900\)\]"),
        ("organizations[Leage].response.military=0.1", r"did you mean 'organizations\[League\]"),
        ("nations[b].power=0.1", r"did you mean 'nations\[B\]\.power'"),
        ("nations[B].pwer=0.1", r"did you mean 'nations\[B\]\.power'"),
        ("plans[7].probability=0.1", "index below 2"),
        ("nations[B].name=1", "only numbers can be swept"),
        ("nations[B]=1", "add the value to vary"),
        ("dynamics=1", "is a table"),
        ("weather.rain=1", "no key 'weather'"),
    ],
)
def test_unknown_keys_suggest(toy, text, message):
    with pytest.raises(WorldError, match=message):
        sweep(toy, text)


def test_same_key_twice_is_an_error(toy):
    with pytest.raises(WorldError, match="swept twice"):
        sweep(toy, "dynamics.deterrence=0,1", "dynamics.deterrence=0.5")


def test_names_are_unique_valid_and_readable(toy):
    worlds = sweep(
        toy,
        "dynamics.reliability.defense=0:1:11",
        "alliances[B-C pact (1900)].reliability=0.1,0.125,0.15",
        "dynamics.sanction_effect=0.001,0.0015",
    )
    names = [w.name for w in worlds]
    assert len(set(names)) == len(names) == 66
    assert all(NAME_RE.match(n) for n in names)
    assert names[0] == ("toy.defense-0.00.B_C_pact_1900_reliability-0.100.sanction_effect-0.0010")
    assert "toy.defense-0.30." in names[3 * 6]  # no floating-point noise
    # labels that collide fall back to the full key
    worlds = sweep(toy, "dynamics.reliability.defense=0.5", "nations[A].power=0.5")
    assert worlds[0].name == "toy.defense-0.50.A_power-0.50"
    clash = world_from_dict(
        {**base_dict(), "organizations": [], "plans": [], "alliances": []}
        | {"nations": [{"id": "defense", "power": 1.0}, {"id": "B", "power": 1.0}]}
        | {"incident": {"initiator": "defense", "target": "B"}}
    )
    (w,) = sweep(clash, "dynamics.reliability.defense=0.5", "nations[defense].power=0.5")
    assert w.name == "toy.defense-0.50.defense_power-0.50"


def test_variant_table(toy):
    settings = [
        parse_setting("dynamics.max_rounds=4,8"),
        parse_setting("alliances[B-C pact (1900)].reliability=0:1:3"),
    ]
    worlds = sweep_worlds(toy, settings)
    rows = variant_table(worlds, settings)
    assert all(
        list(row) == ["structure", "dynamics.max_rounds", "alliances[B-C pact (1900)].reliability"]
        for row in rows
    )
    assert [r["structure"] for r in rows] == [w.name for w in worlds]
    assert [r["dynamics.max_rounds"] for r in rows] == [4, 4, 4, 8, 8, 8]
    assert all(type(r["dynamics.max_rounds"]) is int for r in rows)
    assert [r["alliances[B-C pact (1900)].reliability"] for r in rows] == [0, 0.5, 1] * 2
    assert all(type(r["alliances[B-C pact (1900)].reliability"]) is float for r in rows)
    # a treaty without its own reliability reports the default that applies
    (row,) = variant_table([toy], [settings[1]])
    assert row[settings[1].key] == toy.dynamics.default_reliability("defense")


@settings(max_examples=300, deadline=None)
@given(
    st.floats(-1e6, 1e6, allow_subnormal=True),
    st.floats(-1e6, 1e6, allow_subnormal=True),
    st.integers(2, 60),
)
def test_grid_points_are_numpys_linspace_to_the_bit(start, stop, steps):
    """The grid was numpy.linspace; the plain-Python one must give the same floats."""
    expected = np.linspace(start, stop, steps).tolist()
    assert _linspace(start, stop, steps) == expected


@pytest.mark.parametrize(
    "start, stop, steps", [(0.0, 1.0, 5), (0.0, 0.7, 8), (1e-300, 3e-300, 3), (5e-324, 1e-323, 4)]
)
def test_grid_points_edge_cases(start, stop, steps):
    assert _linspace(start, stop, steps) == np.linspace(start, stop, steps).tolist()


def test_sweep_command_writes_the_variants_csv(tmp_path):
    warm_cache()
    out = tmp_path / "sw"
    r = cli(
        "sweep",
        "teaching",  # a bundled world, by name
        "--set",
        "dynamics.deterrence=0,0.5",
        "--set",
        "dynamics.max_rounds=4,8",
        "-n",
        50,
        "-s",
        1,
        "-o",
        out,
        "-q",
    )
    assert r.returncode == 0, r.stderr
    text = (out / "variants.csv").read_text()
    rows = list(csv.DictReader(text.splitlines()))
    assert text.splitlines()[0] == "structure,dynamics.deterrence,dynamics.max_rounds"
    assert [(r["dynamics.deterrence"], r["dynamics.max_rounds"]) for r in rows] == [
        ("0.0", "4"),
        ("0.0", "8"),
        ("0.5", "4"),
        ("0.5", "8"),
    ]
    assert rows[0]["structure"] == "teaching.deterrence-0.00.max_rounds-4"
    assert "\r" not in text  # one plain line a variant


def test_variants_keep_treaty_names(toy):
    for w in sweep(toy, "dynamics.reliability.defense=0,1", "plans[0].probability=0,1"):
        assert [a.name for a in w.alliances] == [a.name for a in toy.alliances]
        assert [o.name for o in w.organizations] == [o.name for o in toy.organizations]
        assert [p.key for p in w.plans] == [p.key for p in toy.plans]
        assert w.ids == toy.ids


def test_no_settings_is_the_world(toy):
    assert sweep_worlds(toy, []) == [toy]


@pytest.mark.skipif(not EUROPE.exists(), reason="bundled 1914 world not present")
def test_europe_1914_sweep():
    europe = load_world(EUROPE)
    worlds = sweep(
        europe,
        "dynamics.reliability.defense=0:1:3",
        f"alliances[{europe.alliances[0].name}].reliability=0.5,1",
    )
    assert len(worlds) == 6
    assert all(NAME_RE.match(w.name) for w in worlds)
    assert worlds[2].name.startswith("europe_1914.defense-0.50.")


# ------------------------------------------------------------------ behaviour


def test_reliability_sweep_is_monotone_and_paired():
    from escalate.engine.compile import compile_world
    from escalate.results.arrow import run_arrays

    world = world_from_dict(
        {
            "name": "pact",
            "incident": {"initiator": "A", "target": "B"},
            "nations": [
                {"id": "A", "power": 1.0},
                {"id": "B", "power": 1.0},
                {"id": "C", "power": 1.0},
                {"id": "D", "power": 1.0},
            ],
            "alliances": [{"name": "B-C defense pact", "kind": "defense", "members": ["B", "C"]}],
        }
    )
    setting = parse_setting("alliances[B-C defense pact].reliability=0,0.5,1")
    worlds = sweep_worlds(world, [setting])
    n = 4000
    entered = []
    for w in worlds:
        out, _ = run_arrays(compile_world(w), 2024, 0, n, False)
        assert set(np.unique(out["belligerents"])) <= {2, 3}
        entered.append(out["belligerents"] == 3)
    p = [e.mean() for e in entered]
    assert p[0] == 0.0 and p[2] == 1.0
    assert 0.0 < p[1] < 1.0 and abs(p[1] - 0.5) < 4 * np.sqrt(0.25 / n)
    # paired by replicate: C enters at 0.5 only in replicates where it enters at 1.0
    assert np.all(entered[1] <= entered[2])
    assert np.all(entered[0] <= entered[1])
