"""The cascade rules of docs/model.md on tiny worlds with certain outcomes.

Reliabilities and response probabilities are 0 or 1, so every replicate must
show the same cascade; each test runs through both engines. The last tests are
statistical (fixed seed, tolerance of four binomial standard errors).
"""

from __future__ import annotations

import math
import random
import sys
from itertools import pairwise

import pytest
from helpers import (
    ENGINES,
    assert_frames_equal,
    binomial_tolerance,
    engines,
    kernel_frames,
    make_world,
    simulate,
    single_thread,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import world_dicts

from escalate.model.load import world_from_dict

N = 64  # replicates of a deterministic world: all must agree


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


def pact(name: str, kind: str, *members: str, reliability: float = 1.0) -> dict:
    return {"name": name, "kind": kind, "members": list(members), "reliability": reliability}


def guarantee(name, kind, guarantors, protected, reliability: float = 1.0) -> dict:
    return {
        "name": name,
        "kind": kind,
        "guarantors": list(guarantors),
        "protected": list(protected),
        "reliability": reliability,
    }


def org(name: str, kind: str, members, **extra) -> dict:
    d = {"name": name, "kind": kind, "members": list(members)}
    d.setdefault("response", {"military": 1.0})
    d.update(extra)
    return d


def single(frame, column: str):
    """The one value ``column`` takes in every row of ``frame``."""
    values = set(frame[column])
    assert len(values) == 1, f"{column} varies: {sorted(values, key=str)}"
    return values.pop()


def entries(parts) -> dict[str, tuple]:
    """``nation -> (side, round, via, source)`` for replicate-independent cascades.

    Asserts that every replicate has the same participants in the same order.
    """
    by_rep: dict[int, list[tuple]] = {}
    for row in parts.itertuples(index=False):
        by_rep.setdefault(row.replicate, []).append(
            (row.nation, row.side, row.round, row.via, row.source)
        )
    cascades = {tuple(v) for v in by_rep.values()}
    assert len(cascades) == 1, f"participants vary across replicates: {cascades}"
    return {x[0]: x[1:] for x in cascades.pop()}


def run(engine: str, world: dict, count: int = N, seed: int = 4242):
    return simulate(engine, world, count=count, seed=seed)


# ----------------------------------------------------------------- obligations


def test_bilateral_war(engine):
    casc, parts = run(engine, make_world(["A", "B", "C"]))
    assert entries(parts) == {"A": ("A", 0, "initial", None), "B": ("D", 0, "initial", None)}
    assert single(casc, "belligerents") == 2
    assert single(casc, "side_a") == 1
    assert single(casc, "side_d") == 1
    assert single(casc, "rounds") == 0
    assert single(casc, "broken_promises") == 0
    assert single(casc, "deterred") is False


def test_defense_chain_stops_after_one_hop(engine):
    world = make_world(
        ["A", "B", "C", "D"],
        alliances=[pact("bc", "defense", "B", "C"), pact("cd", "defense", "C", "D")],
    )
    casc, parts = run(engine, world)
    # C enters for B and attacks A; nobody attacks C, so D's pledge is never triggered
    assert entries(parts)["C"] == ("D", 1, "defense", "bc")
    assert "D" not in entries(parts)
    assert single(casc, "belligerents") == 3
    assert single(casc, "rounds") == 1
    assert single(casc, "broken_promises") == 0


def test_defense_chain_continues_when_other_side_escalates(engine):
    world = make_world(
        ["A", "B", "C", "D", "E"],
        alliances=[
            pact("bc", "defense", "B", "C"),
            pact("cd", "defense", "C", "D"),
            pact("ae", "defense", "A", "E"),
        ],
    )
    casc, parts = run(engine, world)
    e = entries(parts)
    assert e["C"] == ("D", 1, "defense", "bc")  # C attacks A
    assert e["E"] == ("A", 2, "defense", "ae")  # E defends A and attacks B, C
    assert e["D"] == ("D", 3, "defense", "cd")  # C attacked: D defends it
    assert single(casc, "belligerents") == 5
    assert single(casc, "rounds") == 3
    assert single(casc, "broken_promises") == 0


def test_offense_chain_goes_all_the_way(engine):
    world = make_world(
        ["A", "B", "C", "D", "E", "F"],
        alliances=[
            pact("o1", "offense", "B", "C"),
            pact("o2", "offense", "C", "D"),
            pact("o3", "offense", "D", "E"),
        ],
    )
    casc, parts = run(engine, world)
    e = entries(parts)
    assert e["C"] == ("D", 1, "offense", "o1")
    assert e["D"] == ("D", 2, "offense", "o2")
    assert e["E"] == ("D", 3, "offense", "o3")
    assert "F" not in e
    assert single(casc, "rounds") == 3
    assert single(casc, "side_d") == 4


def test_offense_pledge_of_the_initiator_is_triggered(engine):
    world = make_world(["A", "B", "X"], alliances=[pact("ax", "offense", "A", "X")])
    casc, parts = run(engine, world)
    assert entries(parts)["X"] == ("A", 1, "offense", "ax")
    assert single(casc, "side_a") == 2


def test_initiator_defensive_allies_not_triggered_by_round_0(engine):
    world = make_world(["A", "B", "X"], alliances=[pact("ax", "defense", "A", "X")])
    casc, _ = run(engine, world)
    assert single(casc, "belligerents") == 2
    assert single(casc, "broken_promises") == 0


def test_initiator_defensive_allies_triggered_when_target_ally_enters(engine):
    world = make_world(
        ["A", "B", "X", "Y"],
        alliances=[pact("ax", "defense", "A", "X"), pact("by", "defense", "B", "Y")],
    )
    casc, parts = run(engine, world)
    e = entries(parts)
    assert e["Y"] == ("D", 1, "defense", "by")
    assert e["X"] == ("A", 2, "defense", "ax")
    assert single(casc, "rounds") == 2


def test_entente_is_triggered_like_defense(engine):
    world = make_world(
        ["A", "B", "X", "Y"],
        alliances=[pact("ax", "entente", "A", "X"), pact("by", "entente", "B", "Y")],
    )
    e = entries(run(engine, world)[1])
    assert e["Y"] == ("D", 1, "entente", "by")
    assert e["X"] == ("A", 2, "entente", "ax")


def test_failed_defense_pledge_is_a_broken_promise(engine):
    world = make_world(["A", "B", "X"], alliances=[pact("bx", "defense", "B", "X", reliability=0)])
    casc, _ = run(engine, world)
    assert single(casc, "belligerents") == 2
    assert single(casc, "broken_promises") == 1


def test_two_treaties_on_one_pair_are_two_obligations(engine):
    world = make_world(
        ["A", "B", "X"],
        alliances=[
            pact("t1", "defense", "B", "X", reliability=0),
            pact("t2", "defense", "B", "X", reliability=0),
        ],
    )
    assert single(run(engine, world)[0], "broken_promises") == 2
    world["alliances"][1]["reliability"] = 1.0
    casc, parts = run(engine, world)
    assert single(casc, "broken_promises") == 1
    assert entries(parts)["X"] == ("D", 1, "defense", "t2")


def test_lowest_treaty_name_names_the_entry(engine):
    world = make_world(
        ["A", "B", "X"],
        alliances=[pact("zeta", "defense", "B", "X"), pact("alpha", "entente", "B", "X")],
    )
    assert entries(run(engine, world)[1])["X"] == ("D", 1, "entente", "alpha")


def test_neutrality_that_holds_keeps_the_obligor_out(engine):
    world = make_world(
        ["A", "B", "X"],
        alliances=[pact("bx", "defense", "B", "X"), pact("nx", "neutrality", "X", "A")],
    )
    casc, _ = run(engine, world)
    assert single(casc, "belligerents") == 2
    assert single(casc, "broken_promises") == 0


def test_failed_neutrality_is_a_broken_promise_when_obligor_enters(engine):
    world = make_world(
        ["A", "B", "X"],
        alliances=[
            pact("bx", "defense", "B", "X"),
            pact("nx", "neutrality", "X", "A", reliability=0),
        ],
    )
    casc, parts = run(engine, world)
    assert entries(parts)["X"] == ("D", 1, "defense", "bx")
    assert single(casc, "broken_promises") == 1


def test_failed_neutrality_not_counted_when_another_pledge_holds(engine):
    world = make_world(
        ["A", "B", "X"],
        alliances=[
            pact("bx", "defense", "B", "X"),
            pact("n1", "neutrality", "X", "A", reliability=0),
            pact("n2", "neutrality", "X", "A", reliability=1),
        ],
    )
    casc, _ = run(engine, world)
    assert single(casc, "belligerents") == 2
    assert single(casc, "broken_promises") == 0


def test_neutrality_does_not_block_entry_on_the_protege_side(engine):
    world = make_world(
        ["A", "B", "X"],
        alliances=[pact("bx", "defense", "B", "X"), pact("nx", "neutrality", "X", "B")],
    )
    casc, parts = run(engine, world)
    assert entries(parts)["X"] == ("D", 1, "defense", "bx")
    assert single(casc, "broken_promises") == 0


def test_guarantee_protects_the_protected(engine):
    world = make_world(["A", "G", "P"], "A", "P", alliances=[guarantee("g", "defense", "G", "P")])
    assert entries(run(engine, world)[1])["G"] == ("D", 1, "defense", "g")


def test_guarantee_is_one_way(engine):
    world = make_world(["A", "G", "P"], "A", "G", alliances=[guarantee("g", "defense", "G", "P")])
    casc, _ = run(engine, world)
    assert single(casc, "belligerents") == 2
    assert single(casc, "broken_promises") == 0


def test_obligor_fighting_its_protege_is_conflicted(engine):
    """Model version 2: an obligation triggered while its obligor is at war against its
    protege is *conflicted*, not a broken promise (version 1 counted it broken)."""
    world = make_world(["A", "B"], alliances=[pact("ab", "defense", "A", "B")])
    casc, _ = run(engine, world)
    assert single(casc, "conflicted") == 1  # A -> B triggered; B -> A never
    assert single(casc, "broken_promises") == 0
    world["alliances"][0]["kind"] = "offense"
    casc, _ = run(engine, world)
    assert single(casc, "conflicted") == 2  # both at war on opposite sides
    assert single(casc, "broken_promises") == 0


def test_obligor_already_at_war_against_a_later_protege(engine):
    world = make_world(
        ["A", "B", "X", "Y"],
        alliances=[
            pact("by", "defense", "B", "Y"),
            pact("xa", "defense", "X", "A"),
            guarantee("xy", "defense", ["X"], ["Y"]),
        ],
    )
    casc, parts = run(engine, world)
    e = entries(parts)
    assert e["Y"] == ("D", 1, "defense", "by")
    assert e["X"] == ("A", 2, "defense", "xa")  # then attacks Y, which it guarantees
    assert single(casc, "conflicted") == 1
    assert single(casc, "broken_promises") == 0


def test_nation_pulled_both_ways_stays_out(engine):
    world = make_world(
        ["A", "B", "X"],
        alliances=[pact("ox", "offense", "A", "X"), pact("dx", "defense", "B", "X")],
    )
    casc, _ = run(engine, world)
    assert single(casc, "belligerents") == 2
    assert single(casc, "broken_promises") == 0  # spent, neither entry nor broken
    assert single(casc, "rounds") == 0


def test_obligations_are_spent_after_conflicting_pulls(engine):
    # X is torn in round 0; Y's entry then attacks A, but X's pledge to A
    # ("ox" is offense, already decided) cannot pull it in again
    world = make_world(
        ["A", "B", "X", "Y"],
        alliances=[
            pact("ox", "offense", "A", "X"),
            pact("dx", "defense", "B", "X"),
            pact("by", "defense", "B", "Y"),
        ],
    )
    parts = run(engine, world)[1]
    assert set(entries(parts)) == {"A", "B", "Y"}


# ----------------------------------------------------------------- war plans


def test_plan_attacks_its_victims_who_pull_in_their_guarantors(engine):
    world = make_world(
        ["A", "B", "V1", "V2", "G"],
        alliances=[guarantee("g", "defense", ["G"], ["V1"])],
        plans=[{"nation": "A", "trigger": ["B"], "attack": ["V2", "V1", "B"]}],
    )
    casc, parts = run(engine, world)
    e = entries(parts)
    assert e["V1"] == ("D", 0, "plan", "A")
    assert e["V2"] == ("D", 0, "plan", "A")
    assert e["G"] == ("D", 1, "defense", "g")
    assert list(e) == ["A", "B", "V1", "V2", "G"]  # victims in id order
    assert single(casc, "belligerents") == 5
    assert single(casc, "rounds") == 1


def test_plan_fires_in_the_round_its_trigger_is_at_war(engine):
    world = make_world(
        ["A", "B", "Y", "W"],
        alliances=[pact("by", "defense", "B", "Y")],
        plans=[
            {"nation": "B", "trigger": ["Y"], "attack": ["W"]},  # never: same side
            {"nation": "A", "trigger": ["Y"], "attack": ["W"], "name": "west"},
        ],
    )
    casc, parts = run(engine, world)
    e = entries(parts)
    assert e["Y"] == ("D", 1, "defense", "by")
    assert e["W"] == ("D", 1, "plan", "A")
    assert single(casc, "rounds") == 1


def test_plan_of_the_target_side(engine):
    world = make_world(["A", "B", "V"], plans=[{"nation": "B", "trigger": ["A"], "attack": ["V"]}])
    assert entries(run(engine, world)[1])["V"] == ("A", 0, "plan", "B")


def test_plan_with_probability_0_never_fires(engine):
    world = make_world(
        ["A", "B", "V"],
        plans=[{"nation": "A", "trigger": ["B"], "attack": ["V"], "probability": 0.0}],
    )
    assert single(run(engine, world, count=500)[0], "belligerents") == 2


# ----------------------------------------------------------------- organizations


def test_collective_security_answers_a_member_attacking_a_member(engine):
    world = make_world(["A", "B", "C"], organizations=[org("league", "collective_security", "ABC")])
    casc, parts = run(engine, world)
    assert entries(parts)["C"] == ("D", 1, "organization", "league")
    assert single(casc, "vetoed") is False


def test_collective_security_ignores_an_outsider(engine):
    world = make_world(["A", "B", "C"], organizations=[org("league", "collective_security", "BC")])
    assert single(run(engine, world)[0], "belligerents") == 2


def test_collective_defense_answers_an_outsider(engine):
    world = make_world(["A", "B", "C"], organizations=[org("nato", "collective_defense", "BC")])
    assert entries(run(engine, world)[1])["C"] == ("D", 1, "organization", "nato")


def test_collective_defense_ignores_a_member_attacking_a_member(engine):
    world = make_world(["A", "B", "C"], organizations=[org("nato", "collective_defense", "ABC")])
    assert single(run(engine, world)[0], "belligerents") == 2


def test_obligation_ranks_before_organization_for_via(engine):
    world = make_world(
        ["A", "B", "C"],
        alliances=[pact("zz", "defense", "B", "C")],
        organizations=[org("aa", "collective_security", "ABC")],
    )
    assert entries(run(engine, world)[1])["C"] == ("D", 1, "defense", "zz")


def test_veto_of_the_aggressor_blocks(engine):
    world = make_world(
        ["A", "B", "C", "D"],
        organizations=[org("league", "collective_security", "ABCD", veto=["A"])],
    )
    casc, _ = run(engine, world)
    assert single(casc, "vetoed") is True
    assert single(casc, "belligerents") == 2
    assert single(casc, "diplomacy") == 2  # C and D, capped at diplomacy
    assert single(casc, "sanctions") == 0


def test_veto_of_a_holder_pledged_to_the_aggressor_blocks(engine):
    world = make_world(
        ["A", "B", "C", "D"],
        alliances=[pact("ca", "defense", "C", "A", reliability=0.0)],
        organizations=[org("league", "collective_security", "ABCD", veto=["C"])],
    )
    casc, _ = run(engine, world)
    assert single(casc, "vetoed") is True
    assert single(casc, "belligerents") == 2
    assert single(casc, "diplomacy") == 2  # C itself answers, capped, and D


def test_veto_of_a_holder_at_war_on_the_aggressor_side_blocks(engine):
    # B's plan attacks C: C (veto holder) is at war on A's side, so the league is
    # blocked against A; B attacking C is aggression too, and is not blocked
    world = make_world(
        ["A", "B", "C", "D"],
        plans=[{"nation": "B", "trigger": ["A"], "attack": ["C"]}],
        organizations=[org("league", "collective_security", "ABCD", veto=["C"])],
    )
    casc, parts = run(engine, world)
    e = entries(parts)
    assert e["C"] == ("A", 0, "plan", "B")
    assert e["D"] == ("A", 1, "organization", "league")
    assert single(casc, "vetoed") is True
    assert single(casc, "diplomacy") == 0


def test_veto_holder_without_ties_does_not_block(engine):
    world = make_world(
        ["A", "B", "C", "D"],
        organizations=[org("league", "collective_security", "ABCD", veto=["C"])],
    )
    casc, _ = run(engine, world)
    assert single(casc, "vetoed") is False
    assert single(casc, "belligerents") == 4


def test_unanimity_does_not_let_the_aggressor_block(engine):
    """Model version 2 (the Covenant, Art. 15): the parties to the dispute have no vote,
    so the aggressor cannot block (in version 1 it could, and the League never acted)."""
    world = make_world(
        ["A", "B", "C"],
        organizations=[org("league", "collective_security", "ABC", unanimity=True)],
    )
    casc, _ = run(engine, world)
    assert single(casc, "vetoed") is False
    assert single(casc, "belligerents") == 3


@pytest.mark.parametrize(("cap", "sanctions", "diplomacy"), [("sanctions", 2, 0), ("none", 0, 0)])
def test_blocked_response_caps_the_answer(engine, cap, sanctions, diplomacy):
    world = make_world(
        ["A", "B", "C", "D"],
        organizations=[
            org("league", "collective_security", "ABCD", veto=["A"], blocked_response=cap)
        ],
    )
    casc, _ = run(engine, world)
    assert single(casc, "belligerents") == 2
    assert single(casc, "sanctions") == sanctions
    assert single(casc, "diplomacy") == diplomacy


def test_responders_are_not_aggressors_against_their_organization(engine):
    # if C's answer counted as aggression, C's own veto would block the league
    world = make_world(
        ["A", "B", "C", "D"],
        organizations=[org("league", "collective_security", "ABCD", veto=["C"])],
    )
    casc, parts = run(engine, world)
    e = entries(parts)
    assert e["C"] == ("D", 1, "organization", "league")
    assert e["D"] == ("D", 1, "organization", "league")
    assert single(casc, "vetoed") is False
    assert single(casc, "rounds") == 1


def test_member_entering_to_defend_is_not_an_aggressor(engine):
    """Model version 2: C enters to defend B and attacks A, a fellow member; a defender
    commits no aggression, so D does not respond (version 1 made C an aggressor)."""
    world = make_world(
        ["A", "B", "C", "D"],
        alliances=[pact("bc", "defense", "B", "C")],
        organizations=[org("league", "collective_security", "ACD")],
    )
    e = entries(run(engine, world)[1])
    assert e["C"] == ("D", 1, "defense", "bc")
    assert "D" not in e


def test_members_respond_once_per_organization(engine):
    world = make_world(
        ["A", "B", "C", "D", "E"],
        alliances=[pact("bc", "defense", "B", "C")],
        organizations=[org("league", "collective_security", "ABCDE", response={"diplomacy": 1.0})],
    )
    casc, parts = run(engine, world)
    # round 0: C, D, E answer A's attack with diplomacy; C then enters to defend B
    # (no aggression), and D and E have answered already in any case
    assert entries(parts)["C"] == ("D", 1, "defense", "bc")
    assert single(casc, "diplomacy") == 3
    assert single(casc, "belligerents") == 3


def test_sanctions_are_counted(engine):
    world = make_world(
        ["A", "B", "S1", "S2"],
        organizations=[
            org("league", "collective_security", ["A", "B", "S1", "S2"], response={"sanctions": 1})
        ],
    )
    casc, _ = run(engine, world)
    assert single(casc, "sanctions") == 2
    assert single(casc, "diplomacy") == 0
    assert single(casc, "belligerents") == 2


# ----------------------------------------------------------------- rounds, outcome


@pytest.mark.parametrize(("max_rounds", "last"), [(1, "C"), (2, "D"), (3, "E"), (32, "F")])
def test_max_rounds_caps_the_cascade(engine, max_rounds, last):
    chain = ["B", "C", "D", "E", "F"]
    world = make_world(
        ["A", *chain],
        alliances=[pact(f"o{i}", "offense", a, b) for i, (a, b) in enumerate(pairwise(chain))],
        max_rounds=max_rounds,
    )
    casc, parts = run(engine, world)
    e = entries(parts)
    assert list(e)[-1] == last
    assert single(casc, "rounds") == min(max_rounds, 4)
    assert single(casc, "belligerents") == 2 + min(max_rounds, 4)


def test_deterrence_0_never_deters(engine):
    world = make_world({"A": 0.0, "B": 1.0}, deterrence=0.0)
    assert single(run(engine, world, count=500)[0], "deterred") is False


def test_deterrence_1_against_overwhelming_power_always_deters(engine):
    world = make_world(
        {"A": 0.0, "B": 1.0, "C": 5.0},
        alliances=[pact("bc", "defense", "B", "C")],
        deterrence=1.0,
    )
    casc, parts = run(engine, world, count=500)
    assert single(casc, "deterred") is True
    for col in ("belligerents", "side_a", "side_d", "majors", "rounds", "broken_promises"):
        assert single(casc, col) == 0
    assert single(casc, "winner") is None
    assert single(casc, "world_war") is False
    assert single(casc, "vetoed") is False
    assert single(casc, "power_share") == 0.0
    assert single(casc, "initiator") == "A"
    assert single(casc, "target") == "B"
    assert len(parts) == 0


@pytest.mark.parametrize(("threshold", "expected"), [(2, True), (3, True), (4, False)])
def test_world_war_threshold(engine, threshold, expected):
    world = make_world(
        ["A", "B", "C", "D"],
        majors=("A", "B", "C"),
        alliances=[pact("bc", "defense", "B", "C")],
        world_war_majors=threshold,
    )
    casc, _ = run(engine, world)
    assert single(casc, "majors") == 3
    assert single(casc, "world_war") is expected


def test_power_share(engine):
    world = make_world(
        {"A": 0.5, "B": 0.25, "C": 0.125, "D": 0.125},
        alliances=[pact("bc", "defense", "B", "C")],
    )
    assert single(run(engine, world)[0], "power_share") == 0.875


def test_power_share_of_everybody_at_war_is_at_most_one(engine):
    # summed in entry order (C, A, B) the powers exceed the total (summed A, B, C)
    # by one ulp; the share is clamped to 1
    world = make_world(
        {"A": 0.1, "B": 0.4, "C": 0.1}, "C", "A", alliances=[pact("ab", "defense", "A", "B")]
    )
    casc, _ = run(engine, world)
    assert single(casc, "belligerents") == 3
    assert single(casc, "power_share") == 1.0


def test_power_share_of_a_powerless_world(engine):
    world = make_world({"A": 0.0, "B": 0.0})
    casc, _ = run(engine, world, count=2000)
    assert single(casc, "power_share") == 0.0
    share_a = (casc["winner"] == "A").mean()
    assert abs(share_a - 0.5) <= binomial_tolerance(0.5, 2000)


# ----------------------------------------------------------------- statistical


@pytest.mark.parametrize("m", [1.0, 2.0, 0.5])
def test_winner_follows_the_contest_function(engine, m):
    n = 4000
    world = make_world({"A": 1.0, "B": 3.0}, contest_exponent=m)
    casc, _ = run(engine, world, count=n, seed=1914)
    p = 1.0 / (1.0 + 3.0**m)
    assert abs((casc["winner"] == "A").mean() - p) <= binomial_tolerance(p, n)


# A contest exponent of 100 with powers of 1e10: P^m overflows (inf / inf gave
# P(A wins) = 0 in the kernel whichever side was stronger, and an OverflowError in the
# reference); with powers of 1e-10 it underflows (0 / 0 gave 1/2).
@pytest.mark.parametrize("scale", [1e10, 1e-10, 1e300])
@pytest.mark.parametrize("stronger", ["A", "B"])
def test_the_stronger_side_wins_a_steep_contest(engine, scale, stronger):
    powers = {"A": scale, "B": scale}
    powers[stronger] *= 3.0
    world = make_world(powers, contest_exponent=100.0)
    casc, _ = run(engine, world, count=200)
    assert single(casc, "winner") == ("A" if stronger == "A" else "D")


def test_a_steep_contest_of_close_powers(engine):
    # 1.01^100 = 2.7: P(A wins) = 1 / (1 + 1.01^-100) = 0.73, not 0 or 1
    n = 4000
    world = make_world({"A": 1.01e10, "B": 1e10}, contest_exponent=100.0)
    casc, _ = run(engine, world, count=n, seed=100)
    p = 1.0 / (1.0 + 1.01**-100)
    assert abs((casc["winner"] == "A").mean() - p) <= binomial_tolerance(p, n)


@pytest.mark.parametrize("m", [100.0, 37.5, 0.0])
def test_engines_agree_row_for_row_on_steep_contests(m):
    # several belligerents, sanctions and close powers: the probabilities vary per row
    world = make_world(
        {"A": 2e10, "B": 1.9e10, "C": 3e9, "D": 1e-300, "S": 0.0},
        alliances=[pact("bc", "defense", "B", "C", reliability=0.5)],
        plans=[{"nation": "D", "trigger": ["B"], "attack": ["A"], "probability": 0.5}],
        organizations=[
            org("un", "collective_security", ["A", "B", "S"], response={"sanctions": 0.5})
        ],
        contest_exponent=m,
        sanction_effect=0.01,
    )
    res = engines(world, seed=7, start=0, count=2000)
    assert_frames_equal(res["kernel"][0], res["reference"][0], "cascades")
    if m:
        assert 0.05 < (res["kernel"][0]["winner"] == "A").mean() < 0.95


def _contest_cases() -> list[tuple[float, float, float]]:
    rng = random.Random(1914)
    edge = [0.0, 5e-324, 2.2e-308, 1e-200, 1e-10, 0.3, 1.0, 3.0, 1e10, 1e200, sys.float_info.max]
    ms = [0.0, 0.5, 1.0, 2.0, 7.0989, 100.0]
    cases = [(a, d, m) for a in edge for d in edge for m in ms]
    # around the overflow of exp (z = 709.78): ln(p_d / p_a) = z / m
    for z in (709.0, 709.78, 709.7827, 709.78271289338397, 709.79, 710.0, -745.2, -746.0):
        for m in (100.0, 10.0):
            cases.append((1.0, math.exp(z / m), m))
    for _ in range(20_000):
        a = 10 ** rng.uniform(-320, 308)
        d = a * 10 ** rng.uniform(-8, 8) if rng.random() < 0.5 else 10 ** rng.uniform(-320, 308)
        cases.append((a, min(d, sys.float_info.max), rng.choice([*ms, rng.uniform(0, 100)])))
    return cases


def test_kernel_and_reference_contest_agree_bit_for_bit():
    import numba
    import numpy as np

    from escalate.engine.kernel import _contest
    from escalate.engine.reference import contest

    @numba.njit
    def many(a, d, m, out):
        for i in range(a.size):
            out[i] = _contest(a[i], d[i], m[i])

    cases = _contest_cases()
    a, d, m = (np.array(x, dtype=np.float64) for x in zip(*cases, strict=True))
    out = np.empty(a.size)
    many(a, d, m, out)
    ref = np.array([contest(float(x), float(y), float(z)) for x, y, z in cases])
    assert not np.isnan(ref).any() and ((ref >= 0.0) & (ref <= 1.0)).all()
    mismatch = np.flatnonzero(out.view(np.uint64) != ref.view(np.uint64))
    assert mismatch.size == 0, [(cases[i], out[i], ref[i]) for i in mismatch[:5]]


def test_contest_values():
    from escalate.engine.reference import contest

    assert contest(1.0, 3.0, 1.0) == 0.25
    assert contest(1.0, 3.0, 2.0) == pytest.approx(0.1, rel=1e-14)
    assert contest(3e10, 1e10, 100.0) == 1.0
    assert contest(1e10, 3e10, 100.0) == pytest.approx(3.0**-100, rel=1e-12)
    assert contest(1.0, 1e10, 100.0) == 0.0  # exp(2302.6) overflows: 1 / (1 + inf)
    assert contest(1e10, 1.0, 100.0) == 1.0
    assert contest(0.0, 1.0, 2.0) == 0.0 and contest(1.0, 0.0, 2.0) == 1.0
    assert contest(0.0, 0.0, 2.0) == 0.5 == contest(0.0, 0.0, 1.0)
    assert contest(0.0, 1.0, 0.0) == 0.5  # m = 0: 0^0 = 1, power does not matter
    assert contest(5.0, 1.0, 0.0) == 0.5


@pytest.mark.parametrize(("effect", "p"), [(0.0, 0.5), (0.5, 0.2)])
def test_sanctions_shift_the_contest(engine, effect, p):
    # two members sanction the aggressor A: its power is halved twice
    n = 4000
    world = make_world(
        {"A": 1.0, "B": 1.0, "S1": 0.0, "S2": 0.0},
        organizations=[
            org("league", "collective_security", ["A", "B", "S1", "S2"], response={"sanctions": 1})
        ],
        sanction_effect=effect,
    )
    casc, _ = run(engine, world, count=n, seed=7)
    assert abs((casc["winner"] == "A").mean() - p) <= binomial_tolerance(p, n)


def test_deterrence_probability(engine):
    # own 1, facing 1 + 0.5 * 2 = 2: backs down with 0.5 * 2/3
    n = 4000
    world = make_world(
        {"A": 1.0, "B": 1.0, "C": 2.0},
        alliances=[pact("bc", "defense", "B", "C", reliability=0.5)],
        deterrence=0.5,
    )
    casc, _ = run(engine, world, count=n, seed=3)
    p = 1.0 / 3.0
    assert abs(casc["deterred"].mean() - p) <= binomial_tolerance(p, n)


def test_reliability_is_the_honour_rate(engine):
    n = 4000
    world = make_world(
        ["A", "B", "C"], alliances=[pact("bc", "defense", "B", "C", reliability=0.3)]
    )
    casc, _ = run(engine, world, count=n, seed=11)
    honoured = (casc["belligerents"] == 3).mean()
    assert abs(honoured - 0.3) <= binomial_tolerance(0.3, n)
    assert ((casc["belligerents"] == 3) != (casc["broken_promises"] == 1)).all()


def test_random_incident_power_weights(engine):
    n = 4000
    world = make_world(
        {"A": 1.0, "B": 3.0, "C": 0.0},
        incident={"mode": "random", "weights": "power"},
    )
    casc, _ = run(engine, world, count=n, seed=5)
    assert "C" not in set(casc["initiator"]) | set(casc["target"])
    assert (casc["initiator"] != casc["target"]).all()
    assert abs((casc["initiator"] == "A").mean() - 0.25) <= binomial_tolerance(0.25, n)


def test_random_incident_uniform(engine):
    n = 3000
    world = make_world(
        {"A": 1.0, "B": 3.0, "C": 0.0},
        incident={"mode": "random", "initiators": ["A", "C"], "targets": ["A", "B", "C"]},
    )
    casc, _ = run(engine, world, count=n, seed=6)
    assert set(casc["initiator"]) == {"A", "C"}
    assert (casc["initiator"] != casc["target"]).all()
    assert abs((casc["initiator"] == "C").mean() - 0.5) <= binomial_tolerance(0.5, n)
    targets_of_a = casc["target"][casc["initiator"] == "A"]
    assert abs((targets_of_a == "B").mean() - 0.5) <= binomial_tolerance(0.5, len(targets_of_a))


# ----------------------------------------------------------------- invariants of every row


@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(world=world_dicts(), seed=st.integers(0, 2**64 - 1))
def test_row_invariants(world, seed):
    w = world_from_dict(world, source="hypothesis")
    with single_thread():
        casc, parts = kernel_frames(w, seed, 0, 150)
    ids = set(w.ids)
    majors = {x.id for x in w.nations if x.major}
    treaties = {a.name: a.kind for a in w.alliances}
    orgs = {o.name for o in w.organizations}
    dyn = w.dynamics
    by_rep: dict[int, list] = {}
    for p in parts.itertuples(index=False):
        by_rep.setdefault(p.replicate, []).append(p)
    for row in casc.itertuples(index=False):
        assert row.initiator in ids and row.target in ids and row.initiator != row.target
        assert row.side_a + row.side_d == row.belligerents
        assert 0 <= row.majors <= row.belligerents
        assert 0.0 <= row.power_share <= 1.0
        assert 0 <= row.rounds <= dyn.max_rounds
        assert row.world_war == (row.majors >= dyn.world_war_majors)
        rows = by_rep.get(row.replicate, [])
        assert len(rows) == row.belligerents
        assert not (row.deterred and row.settled)  # deterrence is drawn first
        if row.deterred or row.settled:  # no war
            assert row.belligerents == 0 and row.winner is None and row.rounds == 0
            assert row.broken_promises == row.conflicted == row.sanctions == row.diplomacy == 0
            assert not row.vetoed and not row.world_war and row.power_share == 0.0
            continue
        assert row.winner in ("A", "D")
        inc = w.incident  # model version 3: several initiators and targets, in that order
        inits = list(inc.initiator_ids) if inc.mode == "fixed" else [row.initiator]
        targs = list(inc.target_ids) if inc.mode == "fixed" else [row.target]
        first = [(p.nation, p.side, p.round) for p in rows[: len(inits) + len(targs)]]
        assert first == [(x, "A", 0) for x in inits] + [(x, "D", 0) for x in targs]
        assert (inits[0], targs[0]) == (row.initiator, row.target)
        assert len({p.nation for p in rows}) == len(rows)
        assert sum(p.side == "A" for p in rows) == row.side_a
        assert sum(p.nation in majors for p in rows) == row.majors
        rounds = [p.round for p in rows]
        assert rounds == sorted(rounds) and max(rounds) == row.rounds
        for p in rows[len(inits) + len(targs) :]:
            if p.via == "plan":
                assert p.source in ids
            elif p.via == "organization":
                assert p.source in orgs
            elif p.via == "unaligned":  # model version 3: joined without an obligation
                assert p.source is None and p.round == 1
            else:
                assert treaties[p.source] == p.via
                assert p.round >= 1
