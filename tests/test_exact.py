"""Exact probabilities of unaligned entry for the states that owe nothing.

:func:`escalate.engine.exact.unaligned_alone` claims that a state owing nothing to
anyone, in a world with a fixed incident and no deterrence, organizations or plans,
goes to war only by unaligned entry. If so, the kernel's count of it on each side
over R cascades equals, exactly, the number of replicates whose keyed draws fall
under the two logistics: checked on random worlds. The calibration then uses these
probabilities in place of smoothed counts.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import given, settings
from strategies import world_dicts
from synthetic_history import synthetic_cases

from escalate.backtest.fit import Objective
from escalate.backtest.params import PARAMS, START
from escalate.engine.codes import SIDE_A, SIDE_D
from escalate.engine.compile import compile_world
from escalate.engine.driver import side_counts
from escalate.engine.exact import unaligned_alone
from escalate.engine.reference.draws import rep_state, uniform
from escalate.model.load import world_from_dict
from escalate.results.arrow import allocate_outputs

R = 200
SEED = 11


def _alone(data: dict) -> dict:
    """``data`` without organizations, plans or deterrence, with two alliances at most
    (so that some states owe nothing), and with unaligned entry on."""
    data = copy.deepcopy(data)
    data["alliances"] = data.get("alliances", [])[:2]
    if data["incident"].get("mode") == "random":  # no exact values (tested below)
        ids = [x["id"] for x in data["nations"]]
        data["incident"] = {"initiator": ids[0], "target": ids[1]}
    data.pop("organizations", None)
    data.pop("plans", None)
    dyn = data.setdefault("dynamics", {})
    dyn.pop("deterrence", None)
    un = dyn.setdefault("unaligned", {})
    un.setdefault("intercept", -1.0)
    return data


def _keyed_counts(cw, k: int, p: float, q: float) -> tuple[int, int]:
    """Replicates whose draws take nation ``k`` in unaligned on side A, on side D."""
    on = [0, 0]
    w = cw.arrays
    for i in range(R):
        state = rep_state(SEED, i)
        u, us = uniform(state, int(w.un_key[k])), uniform(state, int(w.un_side_key[k]))
        assert min(abs(u - p), abs(us - q)) > 1e-9  # not on a threshold (rounding of p, q)
        if u < p:
            on[int(us < q)] += 1
    return on[0], on[1]


def _check_world(data: dict) -> int:
    """Check every state of ``data`` (see the module docstring); how many had a value."""
    world = world_from_dict(_alone(data))
    cw = compile_world(world)
    on_a, on_d = unaligned_alone(cw)
    tally = side_counts(cw, SEED, R, allocate_outputs(R, cw.n, False)[0])
    owes = {k for a in world.alliances for k, _ in a.pairs}
    parties = set(world.incident.initiator_ids) | set(world.incident.target_ids)
    checked = 0
    for k, nid in enumerate(cw.ids):
        if nid in owes or nid in parties:
            assert math.isnan(on_a[k]) and math.isnan(on_d[k]), nid
            continue
        if world.dynamics.model == 2:
            assert on_a[k] == on_d[k] == 0.0
            assert tally[SIDE_A, k] == tally[SIDE_D, k] == 0
            continue
        checked += 1
        p = on_a[k] + on_d[k]
        q = on_d[k] / p if p > 0 else 0.5
        assert 0.0 <= p <= 1.0
        assert (tally[SIDE_A, k], tally[SIDE_D, k]) == _keyed_counts(cw, k, p, q), nid
    return checked


def test_a_state_owing_nothing_is_at_war_exactly_when_its_draws_say():
    worlds: list[int] = []

    @settings(max_examples=60, deadline=None, derandomize=True, database=None)
    @given(world_dicts(min_nations=3, max_nations=8))
    def check(data: dict) -> None:
        worlds.append(_check_world(data))

    check()
    # not vacuous: a quarter of the worlds at least had states to check (about half do)
    assert sum(n > 0 for n in worlds) >= 15 and sum(worlds) >= 30, worlds


WORLD = {
    "name": "small",
    "incident": {"initiator": "A", "target": "B"},
    "dynamics": {"unaligned": {"intercept": -1.0, "major": 2.0}},
    "nations": [
        {"id": x, "name": x, "power": 1.0, "major": x == "C", "region": "europe"}
        for x in ("A", "B", "C", "D", "E")
    ],
    "alliances": [{"name": "pact", "kind": "defense", "members": ["B", "D"]}],
}


def test_the_values_are_the_logistics_of_the_rule():
    cw = compile_world(world_from_dict(WORLD))
    on_a, on_d = unaligned_alone(cw)
    at = {nid: i for i, nid in enumerate(cw.ids)}
    # equal powers on both sides and no side coefficients: each side half the time
    for nid, z in (("C", 1.0), ("E", -1.0)):
        p = 1.0 / (1.0 + math.exp(-z))
        assert on_a[at[nid]] == pytest.approx(p / 2, rel=1e-15)
        assert on_d[at[nid]] == pytest.approx(p / 2, rel=1e-15)
    for nid in ("A", "B", "D"):  # parties, and a state owing a pact: cascades only
        assert math.isnan(on_a[at[nid]])


ORG = {"name": "org", "kind": "collective_security", "members": ["C", "E"],
       "response": {"military": 1.0}}  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        {"dynamics": {"deterrence": 0.5, "unaligned": {"intercept": -1.0}}},
        {"plans": [{"nation": "C", "trigger": ["B"], "attack": ["E"], "probability": 0.5}]},
        {"incident": {"mode": "random"}},
        {"organizations": [ORG]},
    ],
    ids=["deterrence", "plan", "random incident", "organization"],
)
def test_no_exact_value_where_other_paths_exist(change):
    cw = compile_world(world_from_dict(WORLD | change))
    on_a, on_d = unaligned_alone(cw)
    assert np.isnan(on_a).all() and np.isnan(on_d).all()


def test_the_likelihood_uses_the_exact_values():
    theta = START.copy()
    theta[PARAMS.index("unaligned.intercept")] = -2.0
    cases = synthetic_cases(theta, wars=2, seed=5)
    obj = Objective(cases, "enemies", 180, 100, 1)
    for case, (p1, p2) in zip(cases, obj.probabilities_of([0, 1], theta), strict=True):
        free = np.char.startswith(case.ids, "F")  # owe nothing: p = logistic(-2), sides even
        p = 1.0 / (1.0 + math.exp(2.0))
        np.testing.assert_allclose(p1[free], p / 2, rtol=1e-14)
        np.testing.assert_allclose(p2[free], p / 2, rtol=1e-14)
        # states owing a pact: smoothed counts, (c + 1/2) / (R + 3/2)
        pact = np.char.startswith(case.ids, "P")
        counts = p1[pact] * 101.5 - 0.5
        np.testing.assert_allclose(counts, np.round(counts), atol=1e-9)
