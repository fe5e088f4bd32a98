"""The arrays of a compiled world that its dynamics' coefficients decide.

Honour (``[dynamics.honour]``: fixed reliabilities, or the logistic of the decision's
covariates), the rules (model, entry, theatre) and unaligned entry
(``[dynamics.unaligned]``). :func:`escalate.engine.compile.compile_world` builds them
through :func:`coefficient_arrays`, and :func:`with_dynamics` replaces them in a
compiled world without compiling it again: a calibration evaluates thousands of
coefficient vectors on the same worlds.

The static log-odds of an obligation are added in the order of the reference
(:class:`escalate.engine.reference.world.Context`): intercept, major, members,
unwritten.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from ..model.defaults import UNALIGNED_TERMS
from ..model.entities import Dynamics, World
from ..model.schema import ALLIANCE_KINDS, REGIONS
from .phases import entry_chances

__all__ = ["HonourInputs", "coefficient_arrays", "honour_inputs", "with_dynamics"]

#: The coefficients of honour whose covariates move during a cascade, by field.
MOVING = {"h_theatre": "in_theatre", "h_aggr": "aggressor", "h_depth": "depth", "h_power": "power"}


class HonourInputs(NamedTuple):
    """What honour needs of each decision slot (an obligation, or a neutrality pledge).

    ``own``: the treaty's own reliability (NaN: none); ``major``, ``log_members``,
    ``unwritten``: the static covariates (floats).
    """

    kind: tuple[str, ...]
    code: np.ndarray  # index of each kind in ALLIANCE_KINDS
    own: np.ndarray
    major: np.ndarray
    log_members: np.ndarray
    unwritten: np.ndarray


def honour_inputs(world: World, items: list[tuple[str, str, str]]) -> HonourInputs:
    """The :class:`HonourInputs` of ``items``: ``(treaty name, kind, obligor id)`` each."""
    treaty = {a.name: a for a in world.alliances}
    log_size = {a.name: math.log(a.size) for a in world.alliances}  # once per treaty
    major = {x.id: x.major for x in world.nations}
    rows = [(treaty[t], kind, major[k]) for t, kind, k in items]
    return HonourInputs(
        kind=tuple(kind for _, kind, _ in rows),
        code=np.array([ALLIANCE_KINDS.index(kind) for _, kind, _ in rows], np.int64),
        own=np.array([np.nan if a.reliability is None else a.reliability for a, _, _ in rows]),
        major=np.array([1.0 if m else 0.0 for _, _, m in rows]),
        log_members=np.array([log_size[a.name] for a, _, _ in rows]),
        unwritten=np.array([1.0 if a.unwritten else 0.0 for a, _, _ in rows]),
    )


def thresholds(p: np.ndarray) -> np.ndarray:
    """:func:`escalate.engine.rng.threshold` of every entry of ``p`` (exact: 2**53 scales)."""
    # equal to rng.threshold entry by entry (tests/test_compile.py checks every entry)
    return np.ceil(np.asarray(p, np.float64) * 9007199254740992.0).astype(np.uint64)


def _fixed(inputs: HonourInputs, d: Dynamics) -> np.ndarray:
    """The fixed honour probability of each slot (NaN: logistic)."""
    rel = dict(d.reliability)
    if d.model == 2:
        per_kind = np.array([rel[k] for k in ALLIANCE_KINDS])
    else:
        per_kind = np.array([rel[k] if k in d.reliability_set else np.nan for k in ALLIANCE_KINDS])
    return np.where(np.isnan(inputs.own), per_kind[inputs.code], inputs.own)


def honour(inputs: HonourInputs, d: Dynamics) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(p before the cascade, logistic 0/1, static log-odds)`` of every slot."""
    fixed = _fixed(inputs, d)
    logit = np.isnan(fixed)
    h = dict(d.honour)
    z = np.array([h[f"intercept.{k}"] for k in ALLIANCE_KINDS], np.float64)[inputs.code]
    z += h["major"] * inputs.major
    z += h["members"] * inputs.log_members
    z += h["unwritten"] * inputs.unwritten
    with np.errstate(over="ignore"):
        p = np.where(logit, 1.0 / (1.0 + np.exp(-z)), fixed)
    return p, logit.astype(np.uint8), np.where(logit, z, 0.0)


def coefficient_arrays(
    world: World,
    d: Dynamics,
    obligations: HonourInputs,
    trig_ob: np.ndarray,
    pledges: HonourInputs,
    nations: Mapping[str, Any],
) -> dict[str, Any]:
    """The fields of :class:`~escalate.engine.compile.WorldArrays` that ``d`` decides.

    ``obligations`` by rank, ``trig_ob`` the rank of each trigger entry, ``pledges`` in
    the kernel's order (CSR by obligor); ``nations``: the compiled ``power``, ``major``
    and ``total_power``.
    """
    v3 = d.model == 3
    p, logit, static = honour(obligations, d)
    q, q_logit, q_static = honour(pledges, d)
    theatre = world.incident.theatre
    h = dict(d.honour)
    moving = {key: h[name] if v3 else 0.0 for key, name in MOVING.items()}
    un_coef = np.array([dict(d.unaligned)[t] for t in UNALIGNED_TERMS], np.float64)
    un_p = np.empty((len(nations["power"]), 4))
    entry_chances(un_coef, nations["power"], nations["major"], nations["total_power"], un_p)
    return {
        "model": d.model,
        "entry_enemies": v3 and d.entry == "enemies",
        "theatre_mask": -1 if theatre is None else sum(1 << REGIONS.index(t) for t in theatre),
        "honour_dyn": any(v != 0.0 for v in moving.values()),
        **moving,
        "ob_rel": p,
        "trig_thr": thresholds(p[trig_ob]),
        "trig_logit": logit[trig_ob],
        "trig_static": static[trig_ob],
        "neu_thr": thresholds(q),
        "neu_logit": q_logit,
        "neu_static": q_static,
        "un_on": v3 and dict(d.unaligned)["intercept"] != -math.inf,
        "un_coef": un_coef,
        "un_p": un_p,
    }


def with_dynamics(cw: Any, d: Dynamics, world: World) -> Any:
    """``cw`` (a :class:`~escalate.engine.compile.CompiledWorld` of ``world``) under ``d``.

    Only the coefficient arrays change: the nations, obligations and organizations
    must be those of ``world``. Model 2 and 3 compile some arrays differently
    (``org_static_block``, ``located``), so ``d.model`` must be ``world``'s.
    """
    if d.model != world.dynamics.model:
        raise ValueError("with_dynamics keeps the model: compile the world again")
    arrays = cw.arrays._replace(
        **coefficient_arrays(
            world, d, cw.honour_obligations, cw.arrays.trig_ob, cw.honour_pledges,
            {"power": cw.arrays.power, "major": cw.arrays.major,
             "total_power": cw.arrays.total_power},
        )
    )  # fmt: skip
    return dataclasses.replace(cw, arrays=arrays)
