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
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..model.defaults import UNALIGNED_TERMS
from ..model.entities import Dynamics, World
from ..model.schema import ALLIANCE_KINDS, REGIONS
from .codes import H_SLOPES
from .phases import entry_chances

__all__ = [
    "CoefficientBatch", "HonourInputs", "coefficient_arrays", "honour_inputs", "with_dynamics",
]  # fmt: skip


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


def _slot_arrays(
    obligations: HonourInputs, trig_ob: np.ndarray, pledges: HonourInputs, d: Dynamics
) -> dict[str, np.ndarray]:
    """The honour arrays of the decision slots: any number of worlds' slots, concatenated.

    ``trig_logit`` and ``neu_logit`` mark the slots that the kernel decides by the
    logistic of covariates that move: logistic slots, when some ``h_slope`` is not 0
    (else the threshold of the slot's p says everything).
    """
    p, logit, static = honour(obligations, d)
    q, q_logit, q_static = honour(pledges, d)
    moving = np.uint8((_slopes(d) != 0.0).any())
    return {
        "ob_rel": p,
        "trig_thr": thresholds(p[trig_ob]),
        "trig_logit": logit[trig_ob] & moving,
        "trig_static": static[trig_ob],
        "neu_thr": thresholds(q),
        "neu_logit": q_logit & moving,
        "neu_static": q_static,
    }


def _slopes(d: Dynamics) -> np.ndarray:
    """The honour slopes whose covariates move during a cascade (``h_slope``; 0 in model 2)."""
    h = dict(d.honour)
    return np.array([h[x] if d.model == 3 else 0.0 for x in H_SLOPES], np.float64)


def _small_arrays(d: Dynamics) -> dict[str, np.ndarray]:
    """``h_slope``, ``coef_on`` and ``un_coef``: the same for every world under ``d``."""
    un_coef = np.array([dict(d.unaligned)[t] for t in UNALIGNED_TERMS], np.float64)
    on = [d.model == 3 and dict(d.unaligned)["intercept"] != -math.inf]
    return {"h_slope": _slopes(d), "coef_on": np.array(on, np.uint8), "un_coef": un_coef}


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
    theatre = world.incident.theatre
    small = _small_arrays(d)
    power, major = nations["power"], nations["major"]
    un_p = np.empty((len(power), 4))
    entry_chances(small["un_coef"], power, major, nations["total_power"], un_p)
    return {
        "model": d.model,
        "entry_enemies": d.model == 3 and d.entry == "enemies",
        "theatre_mask": -1 if theatre is None else sum(1 << REGIONS.index(t) for t in theatre),
        **_slot_arrays(obligations, trig_ob, pledges, d),
        **small,
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


def _concat(inputs: Sequence[HonourInputs]) -> HonourInputs:
    """The slots of several worlds, one after the other."""
    return HonourInputs(
        kind=tuple(k for x in inputs for k in x.kind),
        **{f: np.concatenate([getattr(x, f) for x in inputs]) for f in HonourInputs._fields[1:]},
    )


class CoefficientBatch:
    """Compiled worlds whose coefficient arrays are set in place, all of them at once.

    A calibration evaluates thousands of coefficient vectors on the same worlds. Here
    each world's arrays that the coefficients decide are views into buffers shared by
    all the worlds, and :meth:`set` recomputes them in one numpy pass over the slots
    of every world, in place: a kernel's typed list of :attr:`compiled`'s arrays, built
    once, sees each new vector. The values are those of :func:`with_dynamics` on each
    world (the same elementwise operations; a test checks the bits).

    Parameters
    ----------
    cws, worlds
        Compiled worlds and the worlds they were compiled from (as :func:`with_dynamics`).
    d
        The first dynamics; every later one keeps its model and entry rule.
    """

    def __init__(self, cws: Sequence[Any], worlds: Sequence[World], d: Dynamics) -> None:
        if not cws:
            raise ValueError("a CoefficientBatch needs at least one world")
        self.compiled = [with_dynamics(cw, d, w) for cw, w in zip(cws, worlds, strict=True)]
        self._rules = (d.model, d.entry)
        self._ob = _concat([cw.honour_obligations for cw in self.compiled])
        self._pledges = _concat([cw.honour_pledges for cw in self.compiled])
        ends = np.cumsum([0] + [cw.honour_obligations.code.size for cw in self.compiled])
        trig = [cw.arrays.trig_ob for cw in self.compiled]
        self._trig_ob = np.concatenate([t + e for t, e in zip(trig, ends[:-1], strict=True)])
        first = [cw.arrays for cw in self.compiled]
        # one buffer per field: every world's slots end to end (as set() writes them),
        # or one row each (_SMALL)
        self._buf = _slot_arrays(self._ob, self._trig_ob, self._pledges, d)
        self._buf["un_p"] = np.concatenate([a.un_p for a in first])
        stacked = list(self._buf)
        self._buf.update({f: np.stack([getattr(a, f) for a in first]) for f in _SMALL})
        lo = dict.fromkeys(stacked, 0)
        for i, cw in enumerate(self.compiled):
            views = {f: self._buf[f][i] for f in _SMALL}
            for f in stacked:
                hi = lo[f] + getattr(cw.arrays, f).shape[0]
                views[f] = self._buf[f][lo[f] : hi]
                lo[f] = hi
            self.compiled[i] = dataclasses.replace(cw, arrays=cw.arrays._replace(**views))

    def set(self, d: Dynamics) -> None:
        """Every world's coefficient arrays under ``d``, written in place."""
        if (d.model, d.entry) != self._rules:
            raise ValueError("a CoefficientBatch keeps its model and entry rule")
        for f, v in _slot_arrays(self._ob, self._trig_ob, self._pledges, d).items():
            self._buf[f][...] = v
        small = _small_arrays(d)
        for f, v in small.items():
            self._buf[f][...] = v
        for cw in self.compiled:
            a = cw.arrays
            entry_chances(small["un_coef"], a.power, a.major, a.total_power, a.un_p)


#: The coefficient arrays that are the same for every world (one row each in a batch).
_SMALL = ("h_slope", "coef_on", "un_coef")
