"""A synthetic history: small wars whose joiners were drawn from known coefficients.

Each war is a world of a few states: the initiator ``A`` attacks the target ``B``;
some third parties owe ``B`` a defence pact (honoured by the logistic of honour),
others owe nothing (candidates for unaligned entry). Its "history" is one cascade of
that world at the true coefficients, on a seed the fits never use, read as who joined
which side on day 0. :func:`synthetic_cases` returns them as backtest cases.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from escalate.backtest.params import dynamics_of
from escalate.backtest.predict import Case
from escalate.backtest.simulator import CaseSimulator
from escalate.backtest.wars import Incident, Participant, War
from escalate.model import world_from_dict

HISTORY_SEED = 987_654_321


def _world(i: int, rng: np.random.Generator) -> dict:
    n_pact = int(rng.integers(6, 11))
    n_free = int(rng.integers(12, 21))
    third = [f"P{k}" for k in range(n_pact)] + [f"F{k}" for k in range(n_free)]
    ids = ["A", "B", *third]
    return {
        "name": f"war_{i}",
        "incident": {"initiator": "A", "target": "B"},
        "nations": [
            {
                "id": x,
                "name": x,
                "power": float(rng.uniform(0.2, 2.0)),
                "major": bool(rng.random() < 0.2),
                "region": "europe",
            }
            for x in ids
        ],
        "alliances": [
            {"name": f"pact_{k}", "kind": "defense", "members": ["B", f"P{k}"]}
            for k in range(n_pact)
        ],
    }


def _case(i: int, data: dict, year: int) -> Case:
    world = world_from_dict(data)
    ids = list(world.ids)
    start = dt.date(year, 1, 1)
    parts = (Participant(2, "A", 1, start, True), Participant(3, "B", 2, start, False))
    war = War(1000 + i, f"synthetic {i}", parts)
    inc = Incident(parts[0], parts[1], initiators=parts[:1], targets=parts[1:])
    codes = np.arange(2, 2 + len(ids), dtype=np.int64)
    third = np.array([x not in ("A", "B") for x in ids])
    no_entry = np.full(len(ids), np.nan)
    return Case(war, inc, world, ids, codes, 1, no_entry, np.zeros(len(ids), np.int8), third, [])


def synthetic_cases(theta: np.ndarray, wars: int, seed: int = 0) -> list[Case]:
    """``wars`` synthetic wars (half before 1945) whose joiners ``theta`` drew."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(wars):
        case = _case(i, _world(i, rng), 1900 + (i * 100) // wars)
        sim = CaseSimulator(case, "enemies")
        c1, c2 = sim.counts(dynamics_of(sim.world.dynamics, theta, "enemies"), 1, HISTORY_SEED + i)
        side = np.where(c1 > 0, 1, np.where(c2 > 0, 2, 0)).astype(np.int8)
        side[~case.third] = 0
        entry = np.where(side > 0, 0.0, np.nan)
        cases.append(dataclasses.replace(case, entry_day=entry, war_side=side))
    return cases
