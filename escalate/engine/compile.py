"""Compile a :class:`~escalate.world.World` into flat arrays for the kernel.

Everything is put in a *canonical order* that does not depend on how the world
file lists things: nations by id, obligations by (treaty name, obligor id,
protege id), organizations by name, plans by key. Sums over nations run in that
order, so results are bitwise independent of the file's ordering.

Obligations are stored CSR-style by protege (who is being helped): the kernel
looks up "who is obliged towards j" in O(degree). Neutrality pledges are stored
CSR-style by obligor (the nation whose entry they may block).

The arrays the kernel reads form one :class:`WorldArrays` (a ``typing.NamedTuple``,
which numba passes to the kernel as one argument and caches by its field types);
the integer codes in them are those of :mod:`.codes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..model.entities import World
from ..model.schema import REGIONS
from .codes import (
    LEVEL_LABELS,
    OB_CODES,
    ORG_KIND_LABELS,
)
from .coefficients import HonourInputs, coefficient_arrays, honour_inputs
from .incident import incident_arrays
from .rng import (
    KIND_ARBITRATION,
    KIND_NEUTRALITY,
    KIND_OBLIGATION,
    KIND_ORGANIZATION,
    KIND_PLAN,
    KIND_TREATY,
    KIND_UNALIGNED,
    KIND_UNALIGNED_SIDE,
    decision_key,
)

__all__ = [
    "CompiledWorld",
    "WorldArrays",
    "compile_world",
    "neutrality_order",
    "obligation_order",
]


def obligation_order(world: World) -> list[tuple[str, str, str, str, float]]:
    """The non-neutrality obligations in canonical order.

    Returns a list of ``(treaty name, kind, obligor, protege, reliability)``. The
    position in this list is the obligation's *rank*: when several obligations
    pull a nation into the war in the same round, the lowest rank names its
    ``via`` and ``source``.
    """
    out = []
    for a in world.alliances:
        if a.kind == "neutrality":
            continue
        rel = world.reliability(a)
        for k, j in a.pairs:
            out.append((a.name, a.kind, k, j, rel))
    out.sort(key=lambda x: (x[0], x[2], x[3]))
    return out


def neutrality_order(world: World) -> list[tuple[str, str, str, float, tuple[str, ...]]]:
    """Neutrality pledges ``(treaty, obligor, protege, reliability, against)``, canonical order."""
    out = []
    for a in world.alliances:
        if a.kind != "neutrality":
            continue
        rel = world.reliability(a)
        for k, j in a.pairs:
            out.append((a.name, k, j, rel, tuple(a.against)))
    out.sort(key=lambda x: (x[1], x[0], x[2]))
    return out


def _u32(a) -> np.ndarray:
    """Index arrays are unsigned: numba then skips negative-index wraparound code."""
    return np.ascontiguousarray(a, dtype=np.uint32)


def _csr(n: int, owners: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """CSR index: for each owner 0..n-1, the positions (ascending) of its items."""
    counts = (
        np.bincount(np.asarray(owners, dtype=np.int64), minlength=n)
        if owners
        else np.zeros(n, np.int64)
    )
    ptr = np.zeros(n + 1, np.int32)
    np.cumsum(counts, out=ptr[1:])
    idx = np.zeros(len(owners), np.int32)
    fill = ptr[:-1].copy()
    for pos, o in enumerate(owners):
        idx[fill[o]] = pos
        fill[o] += 1
    return ptr, idx


class WorldArrays(NamedTuple):
    """A world as flat arrays and scalars: the kernel's one world argument.

    Index arrays are ``uint32``: unsigned indices spare the kernel numba's
    negative-index wraparound code, which is a third of its time on small cascades.
    Codes are those of :mod:`.codes`.
    """

    # nations (canonical order: sorted by id)
    power: np.ndarray  # float64[n]
    major: np.ndarray  # uint8[n]
    region: np.ndarray  # int8[n] index in model.schema.REGIONS, -1 none
    total_power: float
    # the rules
    model: int  # 2 or 3
    entry_enemies: bool  # entry = "enemies" (else "side")
    theatre_mask: int  # a bit per region of the incident's theatre; -1: the target's region
    # honour (model 3): the coefficients of the covariates that move during a cascade
    # (coefficients.H_* order); arrays, so that a calibration can set them in place
    h_slope: np.ndarray  # float64[4]
    coef_on: np.ndarray  # uint8[1]: codes.ON_UNALIGNED
    # obligations other than neutrality, canonical order; CSR by protege
    ob_kind: np.ndarray  # int8[m] (codes.OB_* codes)
    ob_obligor: np.ndarray  # uint32[m]
    ob_protege: np.ndarray  # uint32[m]
    ob_rel: np.ndarray  # float64[m] honour probability before the cascade (deterrence)
    prot_ptr: np.ndarray  # uint32[n+1] all obligations towards each nation
    prot_ob: np.ndarray  # uint32[m]
    # four CSRs back to back, each n+1 long: offense obligations without condition
    # (triggered by being newly at war), defense/entente obligations without condition
    # (triggered by being attacked), offense obligations with ``against`` (examined
    # every round), defense/entente obligations with a condition
    trig_ptr: np.ndarray  # uint32[4(n+1)]
    trig_ob: np.ndarray  # uint32[m] obligation rank of each trigger entry
    # what the hot loop needs of each trigger entry, stored in entry order so that it
    # reads them sequentially rather than through trig_ob
    trig_obligor: np.ndarray  # uint32[m]
    trig_key: np.ndarray  # uint64[m] draw key
    trig_thr: np.ndarray  # uint64[m] ceil(p * 2**53) of p before the cascade: rng.threshold
    trig_logit: np.ndarray  # uint8[m] by the logistic of moving covariates (else trig_thr)
    trig_static: np.ndarray  # float64[m] its log-odds known before the cascade
    # conditions of each obligation (by rank)
    ob_unprov: np.ndarray  # uint8[m] unprovoked
    ob_minatt: np.ndarray  # int32[m] min_attackers
    ob_located: np.ndarray  # uint8[m] located (model 3)
    ob_ag_ptr: np.ndarray  # uint32[m+1] CSR of the against lists
    ob_ag: np.ndarray  # uint32[...]
    cond_offense: bool  # some offense obligation has ``against``
    cond_defense: bool  # some defense/entente obligation has a condition
    has_defense: bool  # some defense/entente obligation (the kernel lists the attacked)
    # neutrality pledges, CSR by obligor
    neu_ptr: np.ndarray  # uint32[n+1]
    neu_protege: np.ndarray  # uint32[q]
    neu_thr: np.ndarray  # uint64[q] as trig_thr
    neu_logit: np.ndarray  # uint8[q] as trig_logit
    neu_static: np.ndarray  # float64[q]
    neu_key: np.ndarray  # uint64[q]
    neu_located: np.ndarray  # uint8[q] located (model 3)
    neu_unprov: np.ndarray  # uint8[q] unprovoked (model 3)
    neu_ag_ptr: np.ndarray  # uint32[q+1] CSR of the against lists
    neu_ag: np.ndarray  # uint32[...]
    # organizations
    org_kind: np.ndarray  # int8[g] (codes.ORG_* codes)
    org_member: np.ndarray  # uint8[g, n]
    org_holder: np.ndarray  # uint8[g, n] veto holders (all members under unanimity)
    org_static_block: np.ndarray  # uint8[g, n] aggressor a is a holder or a holder is pledged to a
    org_mem_ptr: np.ndarray  # uint32[g+1]
    org_mem: np.ndarray  # uint32[sum members] members in canonical order
    org_mem_key: np.ndarray  # uint64[sum members] response draw key per member
    org_cum: np.ndarray  # float64[g, 3] military, +sanctions, +diplomacy thresholds
    org_cap: np.ndarray  # int8[g] blocked response level (codes.LEVEL_* codes)
    org_unanimity: np.ndarray  # uint8[g]
    org_unprov: np.ndarray  # uint8[g] collective defense against unprovoked attacks only
    org_settle: np.ndarray  # float64[g] settlement probability (arbitration)
    org_key: np.ndarray  # uint64[g] arbitration draw key
    # plans
    plan_nation: np.ndarray  # uint32[p]
    plan_prob: np.ndarray  # float64[p]
    plan_key: np.ndarray  # uint64[p]
    plan_trig_ptr: np.ndarray  # uint32[p+1]
    plan_trig: np.ndarray  # uint32[...]
    plan_att_ptr: np.ndarray  # uint32[p+1]
    plan_att: np.ndarray  # uint32[...]
    # incident
    inc_random: bool
    inc_initiator: int
    inc_target: int
    inc_inits: np.ndarray  # uint32[...] every initiator of a fixed incident, in list order
    inc_targs: np.ndarray  # uint32[...] every target
    inc_party: np.ndarray  # int8[n] side code of each party of a fixed incident, else 0
    init_cand: np.ndarray  # int32[...] canonical order
    init_w: np.ndarray  # float64[...]
    init_cum: np.ndarray  # float64[... + 1] the weights before each candidate, summed in order
    init_guide: np.ndarray  # int32[...] the guide table of init_cum (.incident.guide_table)
    init_thr: np.ndarray  # float64[...] where each bucket of the guide table starts
    init_scale: float  # buckets per unit of weight
    targ_cand: np.ndarray  # int32[...]
    targ_w: np.ndarray  # float64[...]
    targ_cum: np.ndarray  # float64[... + 1]
    targ_guide: np.ndarray  # int32[...]
    targ_thr: np.ndarray  # float64[...]
    targ_scale: float
    targ_pos: np.ndarray  # int32[n] each nation's position in targ_cand, -1 none
    # dynamics
    max_rounds: int
    world_war_majors: int
    deterrence: float
    contest_exponent: float
    sanction_effect: float
    # unaligned entry (model 3)
    un_coef: np.ndarray  # float64[8] in model.defaults.UNALIGNED_TERMS order
    un_p: np.ndarray  # float64[n, 4] entry chance by 2 * in theatre + ties (entry_chances)
    un_key: np.ndarray  # uint64[n]
    un_side_key: np.ndarray  # uint64[n]
    owe_ptr: np.ndarray  # uint32[n+1] every obligation (any kind) by obligor ...
    owe_prot: np.ndarray  # uint32[...] ... its protege


@dataclass(frozen=True)
class CompiledWorld:
    """A compiled world: the kernel's arrays and the labels of their codes.

    Attributes
    ----------
    arrays
        What the kernel reads (:func:`escalate.engine.kernel.run_chunk`).
    ids
        Nation ids in canonical order: nation code -> id.
    sources
        Source code -> label, see :func:`compile_world`.
    """

    arrays: WorldArrays
    ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    #: what honour needs of each obligation (by rank) and pledge (kernel order):
    #: :func:`escalate.engine.coefficients.with_dynamics` recomputes the coefficient
    #: arrays from them
    honour_obligations: HonourInputs | None = None
    honour_pledges: HonourInputs | None = None

    @property
    def n(self) -> int:
        """The number of nations."""
        return len(self.ids)


def compile_world(world: World) -> CompiledWorld:
    """Compile ``world`` into flat arrays in canonical order.

    Parameters
    ----------
    world
        A validated world.

    Returns
    -------
    CompiledWorld
        Arrays for :func:`escalate.engine.kernel.run_chunk`. ``sources`` maps the
        kernel's source codes to labels: obligation ranks to treaty names, then
        organization names, then planner ids.
    """
    nations = sorted(world.nations, key=lambda x: x.id)
    ids = tuple(x.id for x in nations)
    index = {nid: i for i, nid in enumerate(ids)}
    obs = obligation_order(world)
    orgs = sorted(world.organizations, key=lambda o: o.name)
    d = world.dynamics
    ob_fields = _obligation_arrays(world, obs, index)
    neus = neutrality_order(world)
    _, neu_pos = _csr(len(index), [index[x[1]] for x in neus])
    by_rank = honour_inputs(world, [(o[0], o[1], o[2]) for o in obs])
    by_pledge = honour_inputs(world, [(neus[p][0], "neutrality", neus[p][1]) for p in neu_pos])
    nation_fields = _nation_arrays(nations)
    arrays = WorldArrays(
        **nation_fields,
        **ob_fields,
        **_neutrality_arrays(world, index),
        **_organization_arrays(world, orgs, obs, index),
        **_plan_arrays(world, index),
        **incident_arrays(world, index),
        **_owed(world, index),
        **coefficient_arrays(world, d, by_rank, ob_fields["trig_ob"], by_pledge, nation_fields),
        max_rounds=d.max_rounds,
        world_war_majors=d.world_war_majors,
        deterrence=d.deterrence,
        contest_exponent=d.contest_exponent,
        sanction_effect=d.sanction_effect,
    )
    sources = tuple(o[0] for o in obs) + tuple(o.name for o in orgs) + ids
    return CompiledWorld(arrays, ids, sources, by_rank, by_pledge)


# Each builder below returns some fields of WorldArrays, by name.


def _nation_arrays(nations: list) -> dict[str, Any]:
    """``power``, ``major`` and ``total_power`` of the nations (sorted by id)."""
    total = 0.0
    for x in nations:  # plain left-to-right sum: the reference does the same
        total += x.power
    return {
        "power": np.array([x.power for x in nations], dtype=np.float64),
        "major": np.array([x.major for x in nations], dtype=np.uint8),
        "region": np.array(
            [REGIONS.index(x.region) if x.region is not None else -1 for x in nations], np.int8
        ),
        "total_power": total,
    }


def _obligation_arrays(world: World, obs: list, index: dict[str, int]) -> dict[str, Any]:
    """The ``ob_*``, ``prot_*`` and ``trig_*`` arrays of the obligations ``obs``.

    ``obs`` is :func:`obligation_order` of the world.
    """
    n = len(index)
    treaties = {a.name: a for a in world.alliances}
    v3 = world.dynamics.model == 3
    cond = [treaties[o[0]] for o in obs]  # each obligation's treaty: its conditions
    located = [v3 and a.located for a in cond]
    ob_kind = np.array([OB_CODES[o[1]] for o in obs], dtype=np.int8)
    ob_obligor = np.array([index[o[2]] for o in obs], dtype=np.int32)
    ob_protege = np.array([index[o[3]] for o in obs], dtype=np.int32)
    per_treaty = v3 and world.dynamics.decide == "treaty"
    ob_key = np.array(
        [
            decision_key(KIND_TREATY, o[0], o[1], o[2])
            if per_treaty and o[1] != "neutrality"
            else decision_key(KIND_OBLIGATION, o[0], o[2], o[3])
            for o in obs
        ],
        dtype=np.uint64,
    )
    prot_ptr, prot_ob = _csr(n, [int(x) for x in ob_protege])
    offense = [o[1] == "offense" for o in obs]
    conditional = [
        bool(a.against) or a.unprovoked or a.min_attackers > 1 or located[i]
        for i, a in enumerate(cond)
    ]
    offense_cond = [bool(a.against) or located[i] for i, a in enumerate(cond)]
    m = range(len(obs))
    segs = [
        [i for i in m if offense[i] and not offense_cond[i]],
        [i for i in m if not offense[i] and not conditional[i]],
        [i for i in m if offense[i] and offense_cond[i]],
        [i for i in m if not offense[i] and conditional[i]],
    ]
    ptrs, parts = [], []
    base = 0
    for seg in segs:
        ptr, pos = _csr(n, [int(ob_protege[i]) for i in seg])
        ptrs.append(ptr.astype(np.int64) + base)
        parts.append(np.array([seg[p] for p in pos], np.int64))
        base += len(seg)
    trig_ob = np.concatenate(parts).astype(np.int64)
    ag_ptr = np.zeros(len(obs) + 1, np.int64)
    ag: list[int] = []
    for i in m:
        ag.extend(sorted(index[x] for x in cond[i].against))
        ag_ptr[i + 1] = len(ag)
    return {
        "ob_kind": ob_kind,
        "ob_obligor": _u32(ob_obligor),
        "ob_protege": _u32(ob_protege),
        "prot_ptr": _u32(prot_ptr),
        "prot_ob": _u32(prot_ob.astype(np.int32)),
        "trig_ptr": _u32(np.concatenate(ptrs)),
        "trig_ob": _u32(trig_ob),
        "trig_obligor": _u32(ob_obligor[trig_ob]),
        "trig_key": ob_key[trig_ob],
        "ob_unprov": np.array([a.unprovoked for a in cond], dtype=np.uint8),
        "ob_minatt": np.array([a.min_attackers for a in cond], dtype=np.int32),
        "ob_located": np.array(located, dtype=np.uint8),
        "ob_ag_ptr": _u32(ag_ptr),
        "ob_ag": _u32(np.array(ag, np.int64)),
        "cond_offense": bool(segs[2]),
        "cond_defense": bool(segs[3]),
        "has_defense": bool(segs[1] or segs[3]),
    }


def _neutrality_arrays(world: World, index: dict[str, int]) -> dict[str, Any]:
    """The ``neu_*`` arrays: neutrality pledges, CSR by obligor."""
    neus = neutrality_order(world)
    neu_ptr, neu_pos = _csr(len(index), [index[x[1]] for x in neus])
    treaties = {a.name: a for a in world.alliances}
    v3 = world.dynamics.model == 3
    ag_ptr = np.zeros(len(neus) + 1, np.int64)
    ag: list[int] = []
    for x, p in enumerate(neu_pos):
        ag.extend(sorted(index[y] for y in neus[p][4]))
        ag_ptr[x + 1] = len(ag)
    pledges = [treaties[neus[p][0]] for p in neu_pos]
    return {
        "neu_ag_ptr": _u32(ag_ptr),
        "neu_ag": _u32(np.array(ag, np.int64)),
        "neu_ptr": _u32(neu_ptr),
        "neu_protege": _u32(np.array([index[neus[p][2]] for p in neu_pos], dtype=np.int32)),
        "neu_key": np.array(
            [decision_key(KIND_NEUTRALITY, neus[p][0], neus[p][1], neus[p][2]) for p in neu_pos],
            dtype=np.uint64,
        ),
        "neu_located": np.array([v3 and a.located for a in pledges], dtype=np.uint8),
        "neu_unprov": np.array([v3 and a.unprovoked for a in pledges], dtype=np.uint8),
    }


def _organization_arrays(
    world: World, orgs: list, obs: list, index: dict[str, int]
) -> dict[str, Any]:
    """The ``org_*`` arrays of the organizations ``orgs`` (sorted by name).

    ``org_static_block``: the culprit is a holder, or (model 2 only: model 3 checks
    the conditions during the cascade) a holder owes it a defense or offense obligation.
    """
    ids = tuple(index)
    n, g = len(ids), len(orgs)
    org_kind = np.array([ORG_KIND_LABELS.index(o.kind) for o in orgs], np.int8)
    org_member = np.zeros((g, n), np.uint8)
    org_holder = np.zeros((g, n), np.uint8)
    org_static_block = np.zeros((g, n), np.uint8)
    org_mem_ptr = np.zeros(g + 1, np.int32)
    mem: list[int] = []
    mem_key: list[int] = []
    org_cum = np.zeros((g, 3), np.float64)
    org_cap = np.zeros(g, np.int8)
    pledged_to: dict[str, set[str]] = {}
    for o in obs:
        if o[1] in ("defense", "offense") and world.dynamics.model == 2:
            pledged_to.setdefault(o[3], set()).add(o[2])
    for gi, o in enumerate(orgs):
        members = sorted(o.members)
        holders = set(o.members) if o.unanimity else set(o.veto)
        for m in members:
            org_member[gi, index[m]] = 1
            mem.append(index[m])
            mem_key.append(decision_key(KIND_ORGANIZATION, o.name, m))
        for h in holders:
            org_holder[gi, index[h]] = 1
        for a in ids:
            if a in holders or holders & pledged_to.get(a, set()):
                org_static_block[gi, index[a]] = 1
        org_mem_ptr[gi + 1] = len(mem)
        pm = o.response_probability("military")
        ps = o.response_probability("sanctions")
        pd = o.response_probability("diplomacy")
        org_cum[gi] = (pm, pm + ps, pm + ps + pd)
        org_cap[gi] = LEVEL_LABELS.index(o.blocked_response)
    return {
        "org_kind": org_kind,
        "org_member": org_member,
        "org_holder": org_holder,
        "org_static_block": org_static_block,
        "org_mem_ptr": _u32(org_mem_ptr),
        "org_mem": _u32(np.array(mem, np.int32)),
        "org_mem_key": np.array(mem_key, np.uint64),
        "org_cum": org_cum,
        "org_cap": org_cap,
        "org_unanimity": np.array([o.unanimity for o in orgs], np.uint8),
        "org_unprov": np.array(
            [o.unprovoked and o.kind == "collective_defense" for o in orgs], np.uint8
        ),
        "org_settle": np.array([o.settlement for o in orgs], np.float64),
        "org_key": np.array([decision_key(KIND_ARBITRATION, o.name) for o in orgs], np.uint64),
    }


def _plan_arrays(world: World, index: dict[str, int]) -> dict[str, Any]:
    """The ``plan_*`` arrays of the war plans (sorted by key)."""
    plans = sorted(world.plans, key=lambda p: p.key)
    plan_trig_ptr = np.zeros(len(plans) + 1, np.int32)
    plan_att_ptr = np.zeros(len(plans) + 1, np.int32)
    trig: list[int] = []
    att: list[int] = []
    for pi, p in enumerate(plans):
        trig.extend(sorted(index[x] for x in p.trigger))
        att.extend(sorted(index[x] for x in p.attack))
        plan_trig_ptr[pi + 1] = len(trig)
        plan_att_ptr[pi + 1] = len(att)
    return {
        "plan_nation": _u32(np.array([index[p.nation] for p in plans], np.int32)),
        "plan_prob": np.array([p.probability for p in plans], np.float64),
        "plan_key": np.array([decision_key(KIND_PLAN, p.key) for p in plans], np.uint64),
        "plan_trig_ptr": _u32(plan_trig_ptr),
        "plan_trig": _u32(np.array(trig, np.int32)),
        "plan_att_ptr": _u32(plan_att_ptr),
        "plan_att": _u32(np.array(att, np.int32)),
    }


def _owed(world: World, index: dict[str, int]) -> dict[str, Any]:
    """Unaligned entry (model 3): its draw keys and who owes whom (any kind)."""
    ids = tuple(index)
    owed: list[tuple[int, int]] = []
    for a in world.alliances:
        owed.extend((index[k], index[j]) for k, j in a.pairs)
    owed.sort()
    owe_ptr, _ = _csr(len(ids), [k for k, _ in owed])
    return {
        "un_key": np.array([decision_key(KIND_UNALIGNED, x) for x in ids], np.uint64),
        "un_side_key": np.array([decision_key(KIND_UNALIGNED_SIDE, x) for x in ids], np.uint64),
        "owe_ptr": _u32(owe_ptr),
        "owe_prot": _u32([j for _, j in owed]),
    }
