"""Model version 3 keys: they load into the right fields, round-trip, and bad values
are one-line errors naming the file, the key path and the value.

The keys: ``[[nations]] region``, ``[incident] theatre`` and several initiators and
targets, ``located``/``unwritten`` on any treaty and ``unprovoked`` on neutrality
pledges, ``[dynamics] model``/``entry``, ``[dynamics.honour]``,
``[dynamics.unaligned]``, and which kinds ``[dynamics.reliability]`` fixes. (The
malformed files of ``tests/bad_inputs/v3_*.toml`` go through the command line.)
"""

from __future__ import annotations

import copy
import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from strategies import world_dicts

from escalate.model.defaults import DEFAULT_DYNAMICS, DEFAULT_HONOUR, default
from escalate.model.dump import dump_world
from escalate.model.entities import World, WorldError
from escalate.model.load import load_world, world_from_dict
from escalate.model.schema import ALLIANCE_KINDS
from escalate.model.summary import obligation_lines
from escalate.model.sweep import parse_setting, sweep_worlds, sweepable_keys, variant_table

IDS = ("A", "B", "C", "D")
REGION = {"A": "europe", "B": "europe", "C": "asia", "D": "americas"}


def world(regions: bool = True, dynamics: dict | None = None, **sections: Any) -> dict[str, Any]:
    """A world dict of four nations (with regions unless told), A attacks B, plus ``sections``."""
    nations = [{"id": x, "power": float(i + 1)} for i, x in enumerate(IDS)]
    if regions:
        for n in nations:
            n["region"] = REGION[n["id"]]
    d: dict[str, Any] = {
        "name": "v3",
        "incident": {"initiator": "A", "target": "B"},
        "nations": nations,
    }
    if dynamics is not None:
        d["dynamics"] = dynamics
    return d | sections


def load(d: dict[str, Any]) -> World:
    return world_from_dict(d, source="v3.toml")


def errors(d: dict[str, Any]) -> list[str]:
    """The one-line messages of every problem of ``d`` (which must be invalid)."""
    with pytest.raises(WorldError) as e:
        load(d)
    lines = [str(x) for x in e.value.errors]
    assert all("\n" not in x and x.startswith("v3.toml: ") for x in lines), lines
    return lines


def pact(**keys: Any) -> dict[str, Any]:
    return {"name": "pact", "kind": "defense", "members": ["B", "C"]} | keys


# --------------------------------------------------------------------------- fields


def test_regions_and_theatre_load_into_their_fields() -> None:
    w = load(world(incident={"initiator": "A", "target": "B", "theatre": ["asia", "europe"]}))
    assert [n.region for n in w.nations] == ["europe", "europe", "asia", "americas"]
    assert w.incident.theatre == ("asia", "europe")
    # without a theatre: None (the target's region, decided by the engine)
    assert load(world()).incident.theatre is None
    assert all(n.region is None for n in load(world(regions=False)).nations)


def test_a_random_incident_takes_a_theatre_too() -> None:
    w = load(world(incident={"mode": "random", "theatre": ["americas"]}))
    assert w.incident.mode == "random" and w.incident.theatre == ("americas",)


def test_several_initiators_and_targets() -> None:
    w = load(world(incident={"initiator": ["C", "A"], "target": ["B", "D"]}))
    inc = w.incident
    assert (inc.initiator, inc.co_initiators) == ("C", ("A",))
    assert (inc.target, inc.co_targets) == ("B", ("D",))
    assert inc.initiator_ids == ("C", "A") and inc.target_ids == ("B", "D")
    # a list of one is one nation, as a string is
    one = load(world(incident={"initiator": ["A"], "target": "B"})).incident
    assert one == load(world()).incident and one.co_initiators == ()


def test_treaty_flags_load() -> None:
    w = load(
        world(
            alliances=[
                pact(located=True, unwritten=True),
                {"name": "n", "kind": "neutrality", "members": ["A", "D"], "unprovoked": True},
                {"name": "o", "kind": "offense", "members": ["A", "C"], "unwritten": True},
            ]
        )
    )
    p, n, o = w.alliances
    assert p.located and p.unwritten and p.conditional
    assert n.kind == "neutrality" and n.unprovoked and not n.located
    assert o.unwritten and not o.located and not o.conditional  # unwritten is no condition


def test_model_and_entry() -> None:
    d3 = load(world()).dynamics
    assert (d3.model, d3.entry) == (3, "enemies")
    d2 = load(world(dynamics={"model": 2})).dynamics
    assert (d2.model, d2.entry) == (2, "side")  # version 2's rule is model 2's default
    side = load(world(dynamics={"entry": "side"})).dynamics
    assert (side.model, side.entry) == (3, "side")


def test_honour_and_unaligned_coefficients() -> None:
    dyn = load(
        world(
            dynamics={
                "honour": {"intercept": {"entente": -2.5}, "major": 1.25, "depth": -50},
                "unaligned": {"intercept": -1.0, "ties": 2.0},
            }
        )
    ).dynamics
    assert dyn.honour_value("intercept.entente") == -2.5
    assert dyn.honour_value("major") == 1.25 and dyn.honour_value("depth") == -50.0
    assert type(dyn.honour_value("depth")) is float
    # the rest keep their defaults, in the order of the defaults table
    assert dyn.honour_value("intercept.defense") == default("honour.intercept.defense").value
    assert [k for k, _ in dyn.honour] == [k for k, _ in DEFAULT_HONOUR]
    assert dyn.unaligned_value("intercept") == -1.0 and dyn.unaligned_value("ties") == 2.0
    assert dyn.unaligned_value("power") == 0.0
    # unaligned entry is disabled by default, and -inf may be written to say so
    assert load(world()).dynamics.unaligned_value("intercept") == -math.inf
    off = load(world(dynamics={"unaligned": {"intercept": -math.inf}})).dynamics
    assert off == load(world()).dynamics


def test_reliability_set_records_the_kinds_the_file_fixes() -> None:
    dyn = load(world(dynamics={"reliability": {"neutrality": 0.5, "defense": 0.9}})).dynamics
    assert dyn.reliability_set == ("defense", "neutrality")  # ALLIANCE_KINDS order
    assert dyn.default_reliability("defense") == 0.9
    assert load(world()).dynamics.reliability_set == ()
    # model 2 honours every kind with a fixed reliability
    v2 = load(world(dynamics={"model": 2, "reliability": {"defense": 0.9}})).dynamics
    assert v2.reliability_set == ALLIANCE_KINDS


def test_fixed_reliability_under_model_3() -> None:
    d = world(
        dynamics={"reliability": {"entente": 0.2}},
        alliances=[
            pact(),
            pact(name="own", reliability=0.6),
            {"name": "e", "kind": "entente", "members": ["A", "D"]},
        ],
    )
    w = load(d)
    plain, own, entente = w.alliances
    assert w.fixed_reliability(plain) is None  # [dynamics.honour] decides
    assert w.fixed_reliability(own) == 0.6  # a treaty's own reliability wins
    assert w.fixed_reliability(entente) == 0.2  # the kind is fixed by the world
    lines = obligation_lines(w)
    assert any("defense  honour" in x and "(pact)" in x for x in lines), lines
    assert any("entente  0.2 default" in x for x in lines), lines


def test_fixed_reliability_under_model_2() -> None:
    d = world(
        dynamics={"model": 2, "reliability": {"entente": 0.2}},
        alliances=[pact(), pact(name="own", reliability=0.6)],
    )
    w = load(d)
    plain, own = w.alliances
    assert w.fixed_reliability(plain) == default("reliability.defense").value
    assert w.fixed_reliability(own) == 0.6


# --------------------------------------------------------------------------- round trips

CASES = {
    "regions+theatre": world(incident={"initiator": "A", "target": "B", "theatre": ["europe"]}),
    "lists": world(incident={"initiator": ["A", "C"], "target": ["B", "D"]}),
    "located": world(alliances=[pact(located=True), pact(name="u", unwritten=True)]),
    "neutrality-unprovoked": world(
        alliances=[{"name": "n", "kind": "neutrality", "members": ["B", "C"], "unprovoked": True}]
    ),
    "model2": world(dynamics={"model": 2, "reliability": {"offense": 0.1}}),
    "entry-side": world(dynamics={"entry": "side"}),
    "honour": world(dynamics={"honour": {"intercept": {"offense": 50}, "power": -3}}),
    "unaligned": world(dynamics={"unaligned": {"intercept": 0.5, "side_power": -1}}),
    "partial-reliability": world(dynamics={"reliability": {"entente": 0.0}}),
    "random-theatre": world(incident={"mode": "random", "theatre": ["asia", "americas"]}),
    "no-regions": world(regions=False, incident={"initiator": ["A", "D"], "target": "B"}),
}


@pytest.mark.parametrize("d", CASES.values(), ids=CASES.keys())
def test_round_trip(tmp_path: Path, d: dict[str, Any]) -> None:
    w = load(d)
    assert world_from_dict(w.to_dict()) == w
    path = tmp_path / "w.toml"
    path.write_text(dump_world(w))
    again = load_world(path)
    assert again == w and again.canonical_hash() == w.canonical_hash()
    assert again.to_dict() == w.to_dict()


def test_the_dump_writes_the_new_keys_only_where_set() -> None:
    plain = load(world(regions=False)).to_dict()
    assert "region" not in plain["nations"][0] and "theatre" not in plain["incident"]
    assert plain["incident"] == {"initiator": "A", "target": "B"}
    d = load(
        world(
            incident={"initiator": ["A", "C"], "target": "B", "theatre": ["europe"]},
            alliances=[pact(located=True), pact(name="q", located=False, unwritten=False)],
        )
    ).to_dict()
    assert d["incident"] == {"initiator": ["A", "C"], "target": "B", "theatre": ["europe"]}
    assert d["nations"][2]["region"] == "asia"
    assert d["alliances"][0]["located"] is True and "unwritten" not in d["alliances"][0]
    assert not {"located", "unwritten"} & set(d["alliances"][1])


def test_the_dump_writes_the_reliabilities_a_model_3_world_fixes() -> None:
    d3 = load(world(dynamics={"reliability": {"offense": 0.3}})).to_dict()["dynamics"]
    assert d3["reliability"] == {"offense": 0.3}
    assert "reliability" not in load(world()).to_dict()["dynamics"]
    d2 = load(world(dynamics={"model": 2, "reliability": {"offense": 0.3}})).to_dict()
    assert d2["dynamics"]["reliability"] == DEFAULT_DYNAMICS["reliability"] | {"offense": 0.3}
    assert (d2["dynamics"]["model"], d2["dynamics"]["entry"]) == (2, "side")


def test_the_dump_nests_honour_and_writes_minus_infinity() -> None:
    w = load(world(dynamics={"honour": {"intercept": {"defense": 0.5}}}))
    d = w.to_dict()["dynamics"]
    assert d["honour"]["intercept"]["defense"] == 0.5
    assert set(d["honour"]["intercept"]) == set(ALLIANCE_KINDS)
    assert d["unaligned"]["intercept"] == -math.inf
    text = dump_world(w)
    assert "[dynamics.honour.intercept]" in text and "intercept = -inf" in text
    assert tomllib.loads(text)["dynamics"]["unaligned"]["intercept"] == -math.inf
    assert len(w.canonical_hash()) == 64  # JSON has no -inf: the hash writes it as text


def test_the_hash_tells_the_new_keys_apart() -> None:
    base = load(world())
    variants = [
        world(incident={"initiator": "A", "target": "B", "theatre": ["europe"]}),
        world(incident={"initiator": ["A", "C"], "target": "B"}),
        world(alliances=[pact(located=True)]),
        world(alliances=[pact(unwritten=True)]),
        world(dynamics={"entry": "side"}),
        world(dynamics={"honour": {"major": 1.0}}),
        world(dynamics={"unaligned": {"intercept": 0.0}}),
        world(dynamics={"reliability": {"defense": default("reliability.defense").value}}),
    ]
    hashes = {load(v).canonical_hash() for v in variants}
    assert len(hashes) == len(variants) and base.canonical_hash() not in hashes
    # a theatre is a set of regions: its order does not count
    ab = world(incident={"initiator": "A", "target": "B", "theatre": ["asia", "europe"]})
    ba = world(incident={"initiator": "A", "target": "B", "theatre": ["europe", "asia"]})
    assert load(ab).canonical_hash() == load(ba).canonical_hash()


PROPERTY = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


@PROPERTY
@given(world_dicts())
def test_property_worlds_round_trip(d: dict[str, Any]) -> None:
    w = world_from_dict(d)
    assert world_from_dict(w.to_dict()) == w
    again = world_from_dict(tomllib.loads(dump_world(w)))
    assert again == w and again.canonical_hash() == w.canonical_hash()


FEATURES = {
    "regions": lambda w: w.nations[0].region is not None,
    "theatre": lambda w: w.incident.theatre is not None,
    "co-initiators": lambda w: bool(w.incident.co_initiators),
    "co-targets": lambda w: bool(w.incident.co_targets),
    "located": lambda w: any(a.located for a in w.alliances),
    "unwritten": lambda w: any(a.unwritten for a in w.alliances),
    "unprovoked-neutrality": lambda w: any(
        a.unprovoked and a.kind == "neutrality" for a in w.alliances
    ),
    "model-2": lambda w: w.dynamics.model == 2,
    "model-3-side": lambda w: w.dynamics.model == 3 and w.dynamics.entry == "side",
    "partial-reliability": lambda w: 0 < len(w.dynamics.reliability_set) < len(ALLIANCE_KINDS),
    "certain-honour": lambda w: any(abs(v) == 50 for _, v in w.dynamics.honour),
    "moderate-honour": lambda w: any(0 < abs(v) <= 3 for k, v in w.dynamics.honour if "." not in k),
    "unaligned-on": lambda w: math.isfinite(w.dynamics.unaligned_value("intercept")),
}


@pytest.mark.parametrize("feature", FEATURES.values(), ids=FEATURES.keys())
def test_property_worlds_use_every_v3_key(feature: Any) -> None:
    w = world_from_dict(
        find(
            world_dicts(),
            lambda d: feature(world_from_dict(d)),
            settings=settings(
                max_examples=2000, derandomize=True, deadline=None, phases=[Phase.generate]
            ),
        )
    )
    assert feature(w)


# --------------------------------------------------------------------------- summary, sweep


def test_check_shows_regions_incident_rules_and_coefficients() -> None:
    w = load(
        world(
            incident={"initiator": ["A", "C"], "target": "B", "theatre": ["europe"]},
            dynamics={"reliability": {"offense": 0.3}, "honour": {"major": 1.5}},
        )
    )
    lines = w.summary().splitlines()
    assert "regions      americas 1, europe 2, asia 1" in lines  # REGIONS order
    assert "incident     A, C attack B; theatre europe" in lines
    rules = next(x for x in lines if x.startswith("rules "))
    assert "model 3, entry enemies" in rules
    assert "fixed reliability for offense" in rules
    assert "[dynamics.honour] for defense, entente, neutrality" in rules
    assert any(x.split() == ["honour.major", "1.5", "*", "default", "0"] for x in lines)
    assert any(x.split() == ["unaligned.intercept", "-inf"] for x in lines)
    v2 = load(world(regions=False, dynamics={"model": 2})).summary().splitlines()
    assert not any(x.startswith("regions") for x in v2)
    assert any("model 2 (* default 3), entry side (* default enemies)" in x for x in v2)
    assert "incident     A attacks B" in v2


def test_sweeping_a_reliability_under_model_3_fixes_it() -> None:
    w = load(world(alliances=[pact()]))
    assert "dynamics.reliability.defense" in sweepable_keys(w)
    assert "dynamics.honour.intercept.defense" in sweepable_keys(w)
    assert "dynamics.entry" not in sweepable_keys(w)
    settings_ = [parse_setting("dynamics.reliability.defense=0.2,0.4")]
    variants = sweep_worlds(w, settings_)
    assert [v.dynamics.default_reliability("defense") for v in variants] == [0.2, 0.4]
    assert all(v.dynamics.reliability_set == ("defense",) for v in variants)
    assert [r["dynamics.reliability.defense"] for r in variant_table(variants, settings_)] == [
        0.2,
        0.4,
    ]
    (v,) = sweep_worlds(w, [parse_setting("dynamics.honour.intercept.entente=-1")])
    assert v.dynamics.honour_value("intercept.entente") == -1.0
    assert v.dynamics.reliability_set == ()


# --------------------------------------------------------------------------- bad values


def test_unknown_region_with_did_you_mean() -> None:
    d = world()
    d["nations"][1]["region"] = "Europe"
    (line,) = errors(d)
    assert "nations[B].region: must be one of americas" in line
    assert "got 'Europe'; did you mean 'europe'?" in line


def test_regions_are_all_or_none() -> None:
    d = world()
    del d["nations"][0]["region"]
    del d["nations"][3]["region"]
    lines = errors(d)
    assert len(lines) == 2
    assert "nations[A].region: missing: 2 of 4 nations have a region" in lines[0]
    assert lines[1].startswith("v3.toml: nations[D].region: missing")


@pytest.mark.parametrize(
    "theatre, words",
    [
        ([], "incident.theatre: empty theatre"),
        (["europe", "atlantis"], "incident.theatre[1]: must be one of americas"),
        (["asia", "asia"], "incident.theatre[1]: duplicate region 'asia'"),
        ("europe", "incident.theatre: must be a list of regions"),
    ],
)
def test_bad_theatres(theatre: Any, words: str) -> None:
    (line,) = errors(world(incident={"initiator": "A", "target": "B", "theatre": theatre}))
    assert words in line


def test_theatre_and_located_need_regions() -> None:
    d = world(
        regions=False,
        incident={"initiator": "A", "target": "B", "theatre": ["europe"]},
        alliances=[pact(located=True)],
    )
    lines = errors(d)
    assert any("alliances[pact].located: true, but the nations have no region" in x for x in lines)
    assert any("incident.theatre: ['europe'], but the nations have no region" in x for x in lines)
    assert len(lines) == 2
    # located = false needs nothing
    assert not load(world(regions=False, alliances=[pact(located=False)])).alliances[0].located


def test_an_initiator_cannot_be_a_target() -> None:
    lines = errors(world(incident={"initiator": ["A", "C", "D"], "target": ["D", "B", "C"]}))
    assert [x.split(": ", 1)[1] for x in lines] == [
        "incident.target[0]: 'D' is also an initiator",
        "incident.target[2]: 'C' is also an initiator",
    ]
    (line,) = errors(world(incident={"initiator": ["A", "B"], "target": "B"}))
    assert "incident.target: 'B' is also an initiator" in line


@pytest.mark.parametrize(
    "incident, words",
    [
        ({"initiator": [], "target": "B"}, "incident.initiator: needs at least 1 nation id(s)"),
        ({"initiator": ["A", "A"], "target": "B"}, "incident.initiator[1]: duplicate nation id"),
        ({"initiator": "A", "target": ["B", "Q"]}, "incident.target[1]: unknown nation id 'Q'"),
        ({"mode": "random", "initiator": ["A"]}, "incident.initiator: not allowed with mode"),
    ],
)
def test_bad_incident_lists(incident: dict, words: str) -> None:
    assert any(words in x for x in errors(world(incident=incident)))


@pytest.mark.parametrize(
    "table, path, value",
    [
        ({"honour": {"intercept": {"defense": math.nan}}}, "honour.intercept.defense", "nan"),
        ({"honour": {"power": math.inf}}, "honour.power", "inf"),
        ({"honour": {"aggressor": -math.inf}}, "honour.aggressor", "-inf"),
        ({"unaligned": {"major": -math.inf}}, "unaligned.major", "-inf"),
        ({"unaligned": {"intercept": math.nan}}, "unaligned.intercept", "nan"),
        ({"unaligned": {"intercept": math.inf}}, "unaligned.intercept", "inf"),
    ],
)
def test_non_finite_coefficients(table: dict, path: str, value: str) -> None:
    (line,) = errors(world(dynamics=table))
    assert f"dynamics.{path}: must be finite" in line and line.endswith(f"got {value}")


def test_coefficients_are_bounded() -> None:
    (line,) = errors(world(dynamics={"honour": {"depth": 101}}))
    assert "dynamics.honour.depth: must be <= 100, got 101" in line
    (line,) = errors(world(dynamics={"unaligned": {"intercept": -101}}))
    assert "dynamics.unaligned.intercept: must be >= -100, got -101" in line
    (line,) = errors(world(dynamics={"honour": {"major": True}}))
    assert "dynamics.honour.major: must be a number, got True" in line


@pytest.mark.parametrize(
    "table, words",
    [
        ({"honour": {"majr": 1.0}}, "dynamics.honour.majr: unknown key; did you mean 'major'?"),
        (
            {"honour": {"intercept": {"defence": 1.0}}},
            "dynamics.honour.intercept.defence: unknown key; did you mean 'defense'?",
        ),
        ({"honour": {"intercept": 1.0}}, "dynamics.honour.intercept: must be a table, got 1.0"),
        ({"unaligned": {"tie": 1.0}}, "dynamics.unaligned.tie: unknown key; did you mean 'ties'?"),
        ({"honor": {}}, "dynamics.honor: unknown key; did you mean 'honour'?"),
        ({"model": 4}, "dynamics.model: must be 2 or 3"),
        ({"model": 3.0}, "dynamics.model: must be 2 or 3"),
        ({"entry": "sides"}, "dynamics.entry: must be one of enemies, side, got 'sides'; did"),
        ({"model": 2, "entry": "enemies"}, "dynamics.entry: 'enemies' needs model = 3"),
        ({"decide": "pact"}, "dynamics.decide: must be one of obligation, treaty, got 'pact'"),
        ({"model": 2, "decide": "treaty"}, "dynamics.decide: 'treaty' needs model = 3"),
    ],
)
def test_bad_dynamics_keys(table: dict, words: str) -> None:
    (line,) = errors(world(dynamics=table))
    assert words in line


def test_conditions_by_kind() -> None:
    neutral = {"name": "n", "kind": "neutrality", "members": ["B", "C"]}
    offense = {"name": "o", "kind": "offense", "members": ["B", "C"]}
    (line,) = errors(world(alliances=[offense | {"unprovoked": True}]))
    assert "alliances[o].unprovoked: only for defense, entente and neutrality treaties" in line
    (line,) = errors(world(alliances=[neutral | {"min_attackers": 2}]))
    assert "alliances[n].min_attackers: only for defense and entente treaties" in line
    (line,) = errors(world(alliances=[pact(unwritten="yes")]))
    assert "alliances[pact].unwritten: must be true or false, got 'yes'" in line


def test_every_problem_of_a_world_is_reported() -> None:
    d = world(
        incident={"initiator": "A", "target": "B", "theatre": []},
        dynamics={"model": 2, "entry": "enemies", "honour": {"major": math.nan}},
        alliances=[pact(located="yes")],
    )
    d["nations"][0]["region"] = "mars"
    lines = errors(copy.deepcopy(d))
    assert len(lines) == 5, lines
