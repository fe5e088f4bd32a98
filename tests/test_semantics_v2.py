"""The rules that version 2 of the model adds, one certain world per rule.

Reliabilities, response and settlement probabilities are 0 or 1, so every replicate
shows the same cascade; each test runs through both engines (kernel and reference).
"""

from __future__ import annotations

import pytest
from helpers import ENGINES, make_world, simulate
from test_semantics import entries, org, pact, single

N = 32


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


def run(engine: str, world: dict):
    return simulate(engine, world, count=N, seed=77)


def cond(name: str, kind: str, *members: str, **conditions) -> dict:
    return {**pact(name, kind, *members), **conditions}


# ----------------------------------------------------------------- same-round entrants


def test_same_round_entrants_attack_each_other(engine):
    """X (offense for A) and Y (defense for B) enter together and attack each other, so
    Z, Y's ally, is triggered: in version 1 Y was never attacked and Z stayed out."""
    world = make_world(
        ["A", "B", "X", "Y", "Z"],
        alliances=[
            pact("ax", "offense", "A", "X"),
            pact("by", "defense", "B", "Y"),
            pact("yz", "defense", "Y", "Z"),
        ],
    )
    casc, parts = run(engine, world)
    e = entries(parts)
    assert e["X"] == ("A", 1, "offense", "ax")
    assert e["Y"] == ("D", 1, "defense", "by")
    assert e["Z"] == ("D", 2, "defense", "yz")  # Y was attacked by X in round 1
    assert single(casc, "belligerents") == 5


# ----------------------------------------------------------------- conditions


def test_unprovoked_treaty_does_not_help_an_aggressor(engine):
    """1914: Italy's pact with Austria-Hungary held only against unprovoked attack."""
    world = make_world(
        ["AUH", "SRB", "RUS", "ITA", "GMY"],
        initiator="AUH",
        target="SRB",
        alliances=[
            pact("protector", "defense", "SRB", "RUS"),
            cond("triple", "defense", "AUH", "ITA", unprovoked=True),
            pact("dual", "defense", "AUH", "GMY"),
        ],
    )
    casc, parts = run(engine, world)
    e = entries(parts)
    assert e["RUS"][:2] == ("D", 1)
    assert e["GMY"] == ("A", 2, "defense", "dual")
    assert "ITA" not in e  # AUH is the aggressor: not triggered, not a broken promise
    assert single(casc, "broken_promises") == 0


def test_unprovoked_treaty_helps_a_victim(engine):
    world = make_world(
        ["A", "B", "C"], alliances=[cond("shield", "defense", "B", "C", unprovoked=True)]
    )
    _, parts = run(engine, world)
    assert entries(parts)["C"] == ("D", 1, "defense", "shield")


def test_against_binds_only_against_the_named_nation(engine):
    """The Dual Alliance bound Germany against Russia alone: Montenegro's attack on
    Austria-Hungary does not trigger it; Russia's does."""
    world = make_world(
        ["AUH", "SRB", "MNE", "GMY"],
        initiator="AUH",
        target="SRB",
        alliances=[
            pact("balkan", "defense", "SRB", "MNE"),
            cond("dual", "defense", "AUH", "GMY", against=["RUS"]),
        ],
    )
    world["nations"].append({"id": "RUS", "name": "RUS", "power": 1.0, "major": False})
    casc, parts = run(engine, world)
    e = entries(parts)
    assert e["MNE"][:2] == ("D", 1)
    assert "GMY" not in e
    assert single(casc, "broken_promises") == 0
    world["alliances"].append(pact("protector", "defense", "SRB", "RUS"))
    _, parts = run(engine, world)
    assert entries(parts)["GMY"] == ("A", 2, "defense", "dual")


def test_offense_against_waits_until_the_named_enemy_is_at_war(engine):
    """An offense pact against C triggers only once C is at war with the protege,
    which here happens in round 1, not when the protege starts the war."""
    world = make_world(
        ["A", "B", "C", "X"],
        alliances=[
            pact("bc", "defense", "B", "C"),
            cond("ax", "offense", "A", "X", against=["C"]),
        ],
    )
    _, parts = run(engine, world)
    e = entries(parts)
    assert e["C"][:2] == ("D", 1)
    assert e["X"] == ("A", 2, "offense", "ax")


def test_min_attackers_waits_for_enough_attackers(engine):
    """A pact triggered only by two attackers: B is attacked by A (round 0) and by X,
    A's offense ally (round 1); C then enters in round 2."""
    world = make_world(
        ["A", "B", "C", "X"],
        alliances=[
            cond("bc", "defense", "B", "C", min_attackers=2),
            pact("ax", "offense", "A", "X"),
        ],
    )
    _, parts = run(engine, world)
    e = entries(parts)
    assert e["X"] == ("A", 1, "offense", "ax")
    assert e["C"] == ("D", 2, "defense", "bc")
    alone = make_world(
        ["A", "B", "C"], alliances=[cond("bc", "defense", "B", "C", min_attackers=2)]
    )
    _, parts = run(engine, alone)
    assert "C" not in entries(parts)


# ----------------------------------------------------------------- conflicted


def test_an_obligor_at_war_against_its_protege_is_conflicted(engine):
    """X enters for A and attacks B; that second attack triggers X's own pledge to B
    (two attackers needed): it cannot be honoured, counted as conflicted."""
    world = make_world(
        ["A", "B", "X"],
        alliances=[
            pact("ax", "offense", "A", "X"),
            cond("xb", "defense", "X", "B", min_attackers=2),
        ],
    )
    casc, parts = run(engine, world)
    assert entries(parts)["X"][:2] == ("A", 1)
    assert single(casc, "conflicted") == 1
    assert single(casc, "broken_promises") == 0


# ----------------------------------------------------------------- organizations


def test_collective_security_ignores_a_defender(engine):
    """E enters to defend B and attacks A, a fellow member of the Concert: a defender
    commits no aggression, so G does not respond (in version 1 it did)."""
    world = make_world(
        ["A", "B", "E", "G"],
        alliances=[pact("be", "defense", "B", "E")],
        organizations=[org("concert", "collective_security", "EAG")],
    )
    _, parts = run(engine, world)
    e = entries(parts)
    assert e["E"][:2] == ("D", 1)
    assert "G" not in e


def test_collective_security_answers_an_aggressor_member(engine):
    world = make_world(["A", "B", "C"], organizations=[org("league", "collective_security", "ABC")])
    _, parts = run(engine, world)
    assert entries(parts)["C"] == ("D", 1, "organization", "league")


def test_unanimity_excludes_the_parties_to_the_dispute(engine):
    """The Covenant: the aggressor (and its victim) have no vote, so a League of
    unanimity can act against a member aggressor."""
    world = make_world(
        ["A", "B", "C"],
        organizations=[org("league", "collective_security", "ABC", unanimity=True)],
    )
    casc, parts = run(engine, world)
    assert entries(parts)["C"] == ("D", 1, "organization", "league")
    assert single(casc, "vetoed") is False


def test_unanimity_is_still_blocked_by_an_ally_of_the_aggressor(engine):
    world = make_world(
        ["A", "B", "C", "F"],
        alliances=[pact("af", "defense", "A", "F")],
        organizations=[org("league", "collective_security", "ABCF", unanimity=True)],
    )
    casc, parts = run(engine, world)
    assert single(casc, "vetoed") is True
    assert "C" not in entries(parts) or entries(parts)["C"][2] != "organization"


def test_unprovoked_collective_defense_ignores_attacks_by_defenders(engine):
    """B (a member) starts the war on A; A's defender X then attacks B. With
    ``unprovoked``, that is no aggression against a victim: E stays out."""
    base = {
        "initiator": "B",
        "target": "A",
        "alliances": [pact("ax", "defense", "A", "X")],
    }
    plain = make_world(
        ["A", "B", "E", "X"],
        organizations=[org("nato", "collective_defense", "BE")],
        **base,
    )
    _, parts = run(engine, plain)
    assert entries(parts)["E"][:3] == ("A", 2, "organization")  # any attack on a member
    guarded = make_world(
        ["A", "B", "E", "X"],
        organizations=[org("nato", "collective_defense", "BE", unprovoked=True)],
        **base,
    )
    _, parts = run(engine, guarded)
    assert "E" not in entries(parts)


# ----------------------------------------------------------------- arbitration


@pytest.mark.parametrize("settlement, settled", [(1.0, True), (0.0, False)])
def test_arbitration_settles_disputes_between_members(engine, settlement, settled):
    hague = {"name": "hague", "kind": "arbitration", "members": ["A", "B"],
             "settlement": settlement}  # fmt: skip
    world = make_world(["A", "B", "C"], alliances=[pact("bc", "defense", "B", "C")],
                       organizations=[hague])  # fmt: skip
    casc, parts = run(engine, world)
    assert single(casc, "settled") is settled
    if settled:
        assert single(casc, "belligerents") == 0
        assert single(casc, "rounds") == 0
        assert set(casc["winner"]) == {None}
        assert parts.empty
    else:
        assert single(casc, "belligerents") == 3


def test_arbitration_needs_both_parties_as_members(engine):
    hague = {"name": "hague", "kind": "arbitration", "members": ["A", "C"], "settlement": 1.0}
    casc, _ = run(engine, make_world(["A", "B", "C"], organizations=[hague]))
    assert single(casc, "settled") is False
    assert single(casc, "belligerents") == 2


def test_deterrence_is_drawn_before_arbitration(engine):
    hague = {"name": "hague", "kind": "arbitration", "members": ["A", "B"], "settlement": 1.0}
    world = make_world(
        {"A": 1e-9, "B": 1.0}, organizations=[hague], deterrence=1.0
    )  # facing all the power: A backs down with probability ~1
    casc, _ = run(engine, world)
    assert single(casc, "deterred") is True
    assert single(casc, "settled") is False
