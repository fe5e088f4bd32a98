"""The rules that version 3 of the model adds, one certain world per rule.

Probabilities are 0 or 1, or logistic coefficients of +-50 (p within 2e-22 of 0 or
1), so every replicate shows the same cascade; each test runs through both engines
(kernel and reference).
"""

from __future__ import annotations

import pytest
from helpers import ENGINES, binomial_tolerance, make_world, simulate
from test_semantics import entries, org, pact, single

N = 32
CERTAIN = 50.0


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


def run(engine: str, world: dict):
    return simulate(engine, world, count=N, seed=1903)


def regional(world: dict, regions: dict[str, str], default: str = "europe") -> dict:
    """Give every nation a region (``default`` unless named in ``regions``)."""
    for x in world["nations"]:
        x["region"] = regions.get(x["id"], default)
    return world


def logit_pact(name: str, kind: str, *members: str, **extra) -> dict:
    """A treaty without reliability: honoured by ``[dynamics.honour]``."""
    return {"name": name, "kind": kind, "members": list(members), **extra}


def honour(**coefficients: float) -> dict:
    """``[dynamics.honour]`` that honours nothing, unless a covariate says so."""
    intercept = dict.fromkeys(("defense", "offense", "entente", "neutrality"), -CERTAIN)
    return {"intercept": intercept, **coefficients}


# ----------------------------------------------------------------- location


@pytest.mark.parametrize("theatre, joins", [(["europe"], True), (["americas"], False)])
def test_located_treaty_holds_only_when_the_protege_is_in_the_theatre(engine, theatre, joins):
    """NATO Art. 6: an attack on a party's territory in Europe or North America."""
    world = regional(
        make_world(["ARG", "UKG", "USA"], initiator="ARG", target="UKG",
                   alliances=[{**pact("nato", "defense", "UKG", "USA"), "located": True}],
                   incident={"initiator": "ARG", "target": "UKG", "theatre": theatre}),
        {"ARG": "americas", "USA": "americas"},
    )  # fmt: skip
    casc, parts = run(engine, world)
    assert ("USA" in entries(parts)) is joins
    assert single(casc, "broken_promises") == 0  # not triggered is not broken


def test_the_default_theatre_is_the_target_region(engine):
    world = regional(
        make_world(["ARG", "UKG", "USA"], initiator="ARG", target="UKG",
                   alliances=[{**pact("nato", "defense", "UKG", "USA"), "located": True}]),
        {"ARG": "americas", "USA": "americas", "UKG": "europe"},
    )  # fmt: skip
    _, parts = run(engine, world)
    assert "USA" in entries(parts)


# ----------------------------------------------------------------- neutrality


@pytest.mark.parametrize("unprovoked, stays_out", [(False, True), (True, False)])
def test_an_unprovoked_neutrality_pledge_does_not_hold_towards_an_aggressor(
    engine, unprovoked, stays_out
):
    """K owes neutrality to the initiator A; K's defense pact pulls it against A."""
    world = make_world(
        ["A", "B", "K"],
        alliances=[
            pact("guard", "defense", "B", "K"),
            {**pact("pledge", "neutrality", "K", "A"), "unprovoked": unprovoked},
        ],
    )
    _, parts = run(engine, world)
    assert ("K" not in entries(parts)) is stays_out


# ----------------------------------------------------------------- incident lists


def test_two_initiators_both_attack_the_target(engine):
    world = make_world(
        ["A1", "A2", "B", "X"],
        incident={"initiator": ["A1", "A2"], "target": "B"},
        alliances=[pact("x", "defense", "B", "X")],
    )
    casc, parts = run(engine, world)
    e = entries(parts)
    assert e["A1"] == ("A", 0, "initial", None) and e["A2"] == ("A", 0, "initial", None)
    assert e["X"] == ("D", 1, "defense", "x")
    assert single(casc, "initiator") == "A1"
    assert single(casc, "side_a") == 2


def test_both_initiators_are_aggressors(engine):
    """An unprovoked pact of A2 is not triggered: A2 is an initiator too."""
    world = make_world(
        ["A1", "A2", "B", "X", "Y"],
        incident={"initiator": ["A1", "A2"], "target": "B"},
        alliances=[pact("x", "defense", "B", "X"), {**pact("y", "defense", "A2", "Y"),
                                                      "unprovoked": True}],
    )  # fmt: skip
    _, parts = run(engine, world)
    assert "Y" not in entries(parts)


# ----------------------------------------------------------------- entry


@pytest.mark.parametrize("entry", ["enemies", "side"])
def test_entry_against_enemies_spares_the_planners_ally(engine, entry):
    """P and Q fight T; P's plan attacks V; G, V's guarantor, enters against P only
    (enemies), so Q is not attacked and Q's defender H stays out; under "side" G
    attacks Q too, and H enters."""
    world = make_world(
        ["P", "T", "Q", "V", "G", "H"],
        incident={"initiator": ["P", "Q"], "target": "T"},
        alliances=[pact("gv", "defense", "V", "G"), pact("qh", "defense", "Q", "H")],
        plans=[{"nation": "P", "trigger": ["T"], "attack": ["V"], "probability": 1.0}],
        entry=entry,
    )
    _, parts = run(engine, world)
    e = entries(parts)
    assert e["V"] == ("D", 0, "plan", "P")
    assert e["G"] == ("D", 1, "defense", "gv")
    assert ("H" in e) is (entry == "side")


# ----------------------------------------------------------------- honour


@pytest.mark.parametrize(
    "covariate, setup, moves",
    [
        ("major", {"majors": ["K"]}, True),
        ("major", {}, False),
        ("in_theatre", {"theatre": ["europe"]}, True),
        ("in_theatre", {"theatre": ["asia"]}, False),
        ("depth", {"deep": True}, True),
        ("depth", {"shallow": True}, False),
        ("power", {"strong": True}, True),
        ("power", {}, False),
        ("unwritten", {"unwritten": True}, True),
        ("unwritten", {}, False),
        ("members", {"members": 3}, True),
        ("members", {}, False),
    ],
)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_each_honour_covariate_moves_p_the_way_its_sign_says(engine, covariate, setup,
                                                              moves, sign):  # fmt: skip
    """K's defense pact with B, honoured by a logistic of the decision.

    With coefficient +100 on a covariate that is 1 (or over 0.5) and an intercept of
    -50, K joins; with -100, or where the covariate is 0, it does not.
    """
    world = make_world(
        ["A", "B", "K", "M"] if setup.get("members") else ["A", "B", "K"],
        majors=setup.get("majors", ()),
        alliances=[logit_pact("kb", "defense", *(["B", "K", "M"] if setup.get("members")
                                                 else ["B", "K"]),
                              **({"unwritten": True} if setup.get("unwritten") else {}))],
        honour=honour(**{covariate: 100.0 * sign}),
    )  # fmt: skip
    if "theatre" in setup:
        regional(world, {})
        world["incident"]["theatre"] = setup["theatre"]
    if setup.get("strong"):  # K much stronger than A, B's enemy: log ratio > 0
        next(x for x in world["nations"] if x["id"] == "K")["power"] = 1000.0
    if setup.get("deep"):  # B enters in round 1 (via C); K's offense pledge to B is
        # decided when B is at war, in round 1 (in the shallow case B is the target)
        world = make_world(["A", "C", "B", "K"], target="C",
                           alliances=[pact("cb", "defense", "C", "B"),
                                      logit_pact("kb", "offense", "B", "K")],
                           honour=honour(**{covariate: 100.0 * sign}))  # fmt: skip
    if setup.get("shallow"):
        world["alliances"] = [logit_pact("kb", "offense", "B", "K")]
    if covariate == "members":  # log(3) * 100 > 100 > log(2) * 100
        world["dynamics"]["honour"]["intercept"]["defense"] = -100.0
    _, parts = run(engine, world)
    assert ("K" in entries(parts)) is (moves and sign > 0)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_the_aggressor_covariate_moves_an_offense_pledge(engine, sign):
    """X owes the initiator A offense help: its protege is an aggressor."""
    world = make_world(
        ["A", "B", "X"],
        alliances=[logit_pact("ax", "offense", "A", "X")],
        honour=honour(aggressor=100.0 * sign),
    )
    _, parts = run(engine, world)
    assert ("X" in entries(parts)) is (sign > 0)


def test_an_explicit_reliability_wins_over_honour(engine):
    world = make_world(
        ["A", "B", "K"],
        alliances=[pact("kb", "defense", "B", "K", reliability=1.0)],
        honour=honour(),
    )
    _, parts = run(engine, world)
    assert "K" in entries(parts)


# ----------------------------------------------------------------- unaligned entry


@pytest.mark.parametrize("side_intercept, side", [(CERTAIN, "D"), (-CERTAIN, "A")])
def test_an_unaligned_nation_joins_and_takes_the_side_its_draw_says(engine, side_intercept,
                                                                     side):  # fmt: skip
    world = make_world(
        ["A", "B", "U"],
        unaligned={"intercept": CERTAIN, "side_intercept": side_intercept},
    )
    casc, parts = run(engine, world)
    e = entries(parts)
    assert e["U"] == (side, 1, "unaligned", None)
    assert single(casc, "unaligned") == 1


def test_unaligned_side_follows_ties(engine):
    """U owes B a neutrality pledge (held: never against B): side_ties pulls it to D."""
    world = make_world(
        ["A", "B", "U"],
        alliances=[pact("ub", "neutrality", "U", "B", reliability=0.0)],
        unaligned={"intercept": CERTAIN, "side_ties": CERTAIN},
    )
    _, parts = run(engine, world)
    assert entries(parts)["U"] == ("D", 1, "unaligned", None)


def test_a_nation_with_a_decided_obligation_is_not_unaligned(engine):
    """K broke its pact with B in round 0: it does not get a second chance."""
    world = make_world(
        ["A", "B", "K"],
        alliances=[pact("kb", "defense", "B", "K", reliability=0.0)],
        unaligned={"intercept": CERTAIN},
    )
    casc, parts = run(engine, world)
    assert "K" not in entries(parts)
    assert single(casc, "unaligned") == 0


@pytest.mark.parametrize("entry", ["enemies", "side"])
def test_unaligned_entrants_attack_the_other_sides_incident_parties(engine, entry):
    """U joins D and attacks A only, not A's ally X (enemies), so X's defender Y stays
    out; under "side" U attacks X too and Y enters. (Y broke a pact with B in round
    0, so it is not unaligned itself.)"""
    world = make_world(
        ["A", "B", "X", "Y", "U"],
        alliances=[
            pact("ax", "offense", "A", "X"),
            pact("xy", "defense", "X", "Y"),
            pact("yb", "defense", "B", "Y", reliability=0.0),
        ],
        unaligned={"intercept": CERTAIN, "side_intercept": CERTAIN},
        entry=entry,
    )
    _, parts = run(engine, world)
    e = entries(parts)
    assert e["U"] == ("D", 1, "unaligned", None)
    assert e["X"] == ("A", 1, "offense", "ax")
    assert ("Y" in e) is (entry == "side")


# ----------------------------------------------------------------- veto


@pytest.mark.parametrize("unprovoked, vetoed", [(False, True), (True, False)])
def test_an_unprovoked_only_pledge_no_longer_vetoes(engine, unprovoked, vetoed):
    """V, a veto holder, owes the aggressor A a defense pact; only unprovoked: no veto."""
    world = make_world(
        ["A", "B", "V", "M"],
        alliances=[{**pact("va", "defense", "A", "V", reliability=0.0),
                    "unprovoked": unprovoked}],
        organizations=[org("league", "collective_security", ["A", "B", "V", "M"],
                           veto=["V"])],
    )  # fmt: skip
    casc, parts = run(engine, world)
    assert single(casc, "vetoed") is vetoed
    assert ("M" in entries(parts)) is (not vetoed)


# ----------------------------------------------------------------- decide


@pytest.mark.parametrize("decide, p_enter", [("obligation", 0.75), ("treaty", 0.5)])
def test_a_treaty_decided_once_does_not_compound(engine, decide, p_enter):
    """K owes T1 and T2, both attacked in round 0, under one pact honoured with P 1/2.

    ``decide = "obligation"``: two draws, K enters with P 1 - 1/4 and breaks exactly
    one promise half the time. ``decide = "treaty"``: one draw for both, so K enters
    with P 1/2, and breaks both promises or none.
    """
    n = 2000
    world = make_world(
        ["I", "K", "T1", "T2"],
        incident={"initiator": "I", "target": ["T1", "T2"]},
        alliances=[pact("pact", "defense", "K", "T1", "T2", reliability=0.5)],
        decide=decide,
    )
    casc, parts = simulate(engine, world, count=n, seed=1914)
    entered = parts.loc[parts["nation"] == "K", "replicate"].nunique() / n
    assert abs(entered - p_enter) < binomial_tolerance(p_enter, n)
    broken = set(casc["broken_promises"])
    assert (1 in broken) is (decide == "obligation")
    assert broken <= {0, 1, 2}
