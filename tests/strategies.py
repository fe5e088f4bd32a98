"""Hypothesis strategies for small random valid worlds (as plain dicts, like parsed TOML).

The worlds use every key of model version 3 (regions, theatre, several initiators
and targets, located and unwritten treaties, unprovoked neutrality pledges, model
and entry, honour and unaligned coefficients) beside those of version 2.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from escalate.model.defaults import HONOUR_COVARIATES, UNALIGNED_TERMS
from escalate.model.schema import (
    ALLIANCE_KINDS,
    ATTACK_CONDITION_KINDS,
    LADDER,
    REGIONS,
    RESPONSE_KINDS,
    UNPROVOKED_KINDS,
)

__all__ = ["probabilities", "world_dicts"]

#: Probabilities with the edge cases that matter (exact 0 and 1) over-represented.
probabilities = st.one_of(
    st.sampled_from([0.0, 1.0, 0.5]),
    st.floats(min_value=0.0, max_value=1.0, allow_nan=False, allow_subnormal=False),
)
_powers = st.one_of(
    st.just(0.0),
    st.sampled_from([0.25, 0.5, 1.0, 3.0]),
    st.floats(min_value=1e-6, max_value=10.0, allow_nan=False, allow_subnormal=False),
)
_names = st.text(alphabet="abcdefgxyz", min_size=1, max_size=4)
#: Logistic coefficients: moderate, or large enough (+-50) to make a decision certain.
_coefficients = st.one_of(
    st.floats(min_value=-3.0, max_value=3.0, allow_nan=False, allow_subnormal=False),
    st.sampled_from([-50.0, 50.0, 0.0]),
)
#: The regions of property worlds: three, so that theatres often hold some nations.
_REGIONS = REGIONS[1:4]


def _subset(draw: Any, pool: list[str], lo: int, hi: int) -> list[str]:
    """A random ordered list of ``lo..hi`` distinct ids from ``pool``."""
    hi = min(hi, len(pool))
    return draw(st.lists(st.sampled_from(pool), min_size=lo, max_size=hi, unique=True))


def _alliance(draw: Any, ids: list[str], name: str, regions: bool = False) -> dict[str, Any]:
    a: dict[str, Any] = {"name": name, "kind": draw(st.sampled_from(ALLIANCE_KINDS))}
    if draw(st.booleans()):
        a["members"] = _subset(draw, ids, 2, 4)
    else:
        guarantors = _subset(draw, ids, 1, min(2, len(ids) - 1))
        rest = [x for x in ids if x not in guarantors]
        a["guarantors"] = guarantors
        a["protected"] = _subset(draw, rest, 1, 2)
    if draw(st.booleans()):
        a["reliability"] = draw(probabilities)
    # conditions (model version 2), each on about a third of the treaties
    if draw(st.integers(0, 2)) == 0:
        a["against"] = _subset(draw, ids, 1, 2)
    if a["kind"] in UNPROVOKED_KINDS and draw(st.integers(0, 2)) == 0:
        a["unprovoked"] = draw(st.booleans())
    if a["kind"] in ATTACK_CONDITION_KINDS and draw(st.integers(0, 2)) == 0:
        a["min_attackers"] = draw(st.integers(1, 3))
    # model version 3: located needs regions on the nations
    if regions and draw(st.integers(0, 2)) == 0:
        a["located"] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        a["unwritten"] = draw(st.booleans())
    return a


def _organization(draw: Any, ids: list[str], name: str) -> dict[str, Any]:
    members = _subset(draw, ids, min(len(ids), draw(st.integers(2, 5))), len(ids))
    if draw(st.integers(0, 3)) == 0:  # an arbitration organization: settlement only
        return {
            "name": name,
            "kind": "arbitration",
            "members": members,
            "settlement": draw(st.one_of(st.sampled_from([0.0, 1.0]), probabilities)),
        }
    o: dict[str, Any] = {
        "name": name,
        "kind": draw(st.sampled_from(RESPONSE_KINDS)),
        "members": members,
    }
    veto = _subset(draw, members, 0, 2)
    if veto or draw(st.booleans()):
        o["veto"] = veto
    if draw(st.booleans()):
        o["unanimity"] = not veto and draw(st.booleans())  # a veto list is not for unanimity
    if o["kind"] == "collective_defense" and draw(st.booleans()):
        o["unprovoked"] = draw(st.booleans())
    military = draw(st.one_of(st.sampled_from([0.0, 0.3, 0.6, 1.0]), probabilities))
    left = 1.0 - military
    sanctions = draw(st.sampled_from([0.0, left, left / 2]))
    rest = max(0.0, left - sanctions)
    diplomacy = draw(st.sampled_from([0.0, rest, 0.25 * rest]))
    response = {"military": military, "sanctions": sanctions, "diplomacy": diplomacy}
    keep = draw(st.lists(st.sampled_from(list(response)), unique=True, min_size=1))
    o["response"] = {k: response[k] for k in keep}
    if draw(st.booleans()):
        o["blocked_response"] = draw(st.sampled_from(LADDER))
    return o


def _plan(draw: Any, ids: list[str]) -> dict[str, Any]:
    nation = draw(st.sampled_from(ids))
    rest = [x for x in ids if x != nation]
    p: dict[str, Any] = {
        "nation": nation,
        "trigger": _subset(draw, rest, 1, 2),
        "attack": _subset(draw, rest, 1, 3),
    }
    if draw(st.integers(0, 3)):
        p["probability"] = draw(probabilities)
    return p


def _plan_key(p: dict[str, Any]) -> str:
    if p.get("name"):
        return p["name"]
    return f"{p['nation']}|{','.join(sorted(p['trigger']))}|{','.join(sorted(p['attack']))}"


def _incident(
    draw: Any, ids: list[str], power: dict[str, float], regions: bool = False
) -> dict[str, Any]:
    inc = _incident_parties(draw, ids, power)
    if regions and draw(st.integers(0, 2)) == 0:  # else the target's region
        inc["theatre"] = draw(
            st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3, unique=True)
        )
    return inc


def _incident_parties(draw: Any, ids: list[str], power: dict[str, float]) -> dict[str, Any]:
    if draw(st.booleans()):
        if draw(st.booleans()):
            a, b = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
            return {"initiator": a, "target": b}
        # model version 3: several initiators and targets, disjoint; a list of one too
        parties = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=4, unique=True))
        k = draw(st.integers(1, len(parties) - 1))
        inits, targs = parties[:k], parties[k:]
        return {
            "initiator": inits if len(inits) > 1 or draw(st.booleans()) else inits[0],
            "target": targs if len(targs) > 1 or draw(st.booleans()) else targs[0],
        }
    inc: dict[str, Any] = {"mode": "random"}
    positive = [x for x in ids if power[x] > 0.0]
    weights = "power" if len(positive) >= 2 and draw(st.booleans()) else "uniform"
    if weights == "power" or draw(st.booleans()):
        inc["weights"] = weights
    pool = positive if weights == "power" else ids
    # every candidate initiator must find a candidate target other than itself:
    # two or more targets always do (every pool member has positive weight)
    if draw(st.booleans()):
        inc["initiators"] = _subset(draw, pool, 1, len(pool))
    if draw(st.booleans()) or weights == "power":
        inc["targets"] = _subset(draw, pool, 2, len(pool))
    return inc


def _dynamics(draw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {}
    rounds = draw(st.one_of(st.none(), st.integers(1, 3), st.sampled_from([8, 32])))
    if rounds is not None:
        d["max_rounds"] = rounds
    if draw(st.booleans()):
        d["world_war_majors"] = draw(st.integers(1, 4))
    deterrence = draw(st.sampled_from(["zero", "zero", "one", "any"]))
    if deterrence != "zero" or draw(st.booleans()):
        d["deterrence"] = {"zero": 0.0, "one": 1.0}.get(
            deterrence, draw(st.floats(min_value=1e-3, max_value=1.0, allow_nan=False))
        )
    if draw(st.booleans()):
        d["contest_exponent"] = draw(st.sampled_from([1.0, 0.5, 2.5, 0.0, 1.7]))
    if draw(st.booleans()):
        d["sanction_effect"] = draw(st.sampled_from([0.0, 0.05, 0.3, 1.0]))
    if draw(st.booleans()):  # often partial: under model 3 the other kinds go by honour
        kinds = draw(st.lists(st.sampled_from(ALLIANCE_KINDS), unique=True, min_size=1))
        d["reliability"] = {k: draw(probabilities) for k in kinds}
    return d | _rules(draw) | _coefficient_tables(draw)


def _rules(draw: Any) -> dict[str, Any]:
    """``model`` (mostly 3, often left to the default), ``entry`` and ``decide``."""
    model = draw(st.sampled_from([3, 3, 3, 2]))
    d: dict[str, Any] = {}
    if model == 2 or draw(st.booleans()):
        d["model"] = model
    entries = ["side"] if model == 2 else ["enemies", "side"]
    if draw(st.booleans()):
        d["entry"] = draw(st.sampled_from(entries))
    if model == 3 and draw(st.booleans()):
        d["decide"] = draw(st.sampled_from(["obligation", "treaty"]))
    return d


def _coefficient_tables(draw: Any) -> dict[str, Any]:
    """``[dynamics.honour]`` (often) and ``[dynamics.unaligned]`` (rarely: disabled)."""
    d: dict[str, Any] = {}
    if draw(st.booleans()):
        honour: dict[str, Any] = {}
        kinds = draw(st.lists(st.sampled_from(ALLIANCE_KINDS), unique=True))
        if kinds:
            honour["intercept"] = {k: draw(_coefficients) for k in kinds}
        for x in draw(st.lists(st.sampled_from(HONOUR_COVARIATES), unique=True, max_size=4)):
            honour[x] = draw(_coefficients)
        d["honour"] = honour
    if draw(st.integers(0, 3)) == 3:  # not 0: hypothesis favours it
        unaligned = {"intercept": draw(_coefficients)}
        for t in draw(st.lists(st.sampled_from(UNALIGNED_TERMS[1:]), unique=True, max_size=4)):
            unaligned[t] = draw(_coefficients)
        d["unaligned"] = unaligned
    return d


@st.composite
def world_dicts(draw: Any, min_nations: int = 2, max_nations: int = 8) -> dict[str, Any]:
    """A small valid world dict.

    Nation ids ``N0``.. in a shuffled file order, powers including 0, random
    majors, regions on every nation or on none; alliances of every kind (``members``
    or a guarantee, with and without reliability, 0 and 1 included, with conditions,
    ``located`` where there are regions, ``unwritten``); up to two organizations of
    either kind with random vetoes, unanimity, response ladders and blocked
    responses; up to two war plans; a fixed incident (one or several initiators and
    targets) or a random one, with a theatre sometimes; and random dynamics: model 2
    or 3 and entry, partial reliabilities, honour coefficients (moderate or +-50),
    and unaligned entry now and then.
    """
    n = draw(st.integers(min_nations, max_nations))
    ids = [f"N{i}" for i in range(n)]
    order = draw(st.permutations(ids))
    power = {x: draw(_powers) for x in ids}
    nations = [
        {"id": x, "name": f"Nation {x}", "power": power[x], "major": draw(st.booleans())}
        for x in order
    ]
    regions = draw(st.booleans())  # model version 3: every nation has a region, or none
    if regions:
        for nation in nations:
            nation["region"] = draw(st.sampled_from(_REGIONS))
    n_alliances = draw(st.integers(0, 7))
    names = draw(st.lists(_names, min_size=n_alliances + 2, max_size=n_alliances + 2, unique=True))
    alliances = [_alliance(draw, ids, names[i], regions) for i in range(n_alliances)]
    organizations = [
        _organization(draw, ids, f"org-{names[n_alliances + i]}")
        for i in range(draw(st.sampled_from([0, 1, 1, 2, 2])))
    ]
    plans: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 2))):
        p = _plan(draw, ids)
        if draw(st.integers(0, 3)) == 0:
            p["name"] = f"plan-{i}"
        if _plan_key(p) not in {_plan_key(q) for q in plans}:
            plans.append(p)
    world: dict[str, Any] = {
        "name": "hypothesis",
        "dynamics": _dynamics(draw),
        "incident": _incident(draw, ids, power, regions),
        "nations": nations,
    }
    if alliances or draw(st.booleans()):
        world["alliances"] = alliances
    if organizations:
        world["organizations"] = organizations
    if plans:
        world["plans"] = plans
    return world
