"""The numba cascade kernel: a chunk of replicates of one compiled world.

Arrays in, arrays out; no I/O and no Python objects. The semantics are those of
:mod:`escalate.engine.reference` (read that first); this file implements them on
the flat arrays of :class:`~escalate.engine.compile.WorldArrays` with per-thread
scratch space (:class:`Scratch`) that is reset sparsely (only what a cascade
touched), so a small cascade costs a few hundred nanoseconds whatever the size of
the world.

Replicates are split into fixed blocks of :data:`BLOCK` and the blocks run in
parallel with ``prange``. Every draw is keyed by (seed, replicate, decision), so
the output does not depend on the number of threads or on the chunking.

Layout
------
:func:`run_chunk` runs the blocks in parallel, each through :func:`_block`, which
allocates the block's scratch space (:class:`Scratch`) and runs its replicates with
:func:`_cascade`. That is the round loop of :mod:`escalate.engine.reference`, one
helper per phase: :func:`_incident` (and deterrence), :func:`_plans`,
:func:`_obligations`, :func:`_organizations`, :func:`_entries`, :func:`_enter` (the
entries of the next round) and :func:`_outcome`. The world, the scratch space and the
outputs travel as named tuples (``typing.NamedTuple``:
:class:`~escalate.engine.compile.WorldArrays`, :class:`Scratch`,
:class:`CascadeOut`, :class:`ParticipantOut`); the per-cascade counters are plain
scalars that each phase takes and returns. The phases are inlined into
:func:`_cascade` at numba-IR level (``INLINE_OPTIONS``), and :func:`_cascade` into
:func:`_block` by LLVM, so the split costs nothing at run time. Integer codes are
those of :mod:`.codes`.

Most of the time goes to obligations. Each trigger entry carries its obligor, draw
key and threshold in arrays stored in entry order (``trig_*``); the draw is compared
with no branch (whether a promise is kept is a coin flip a branch predictor cannot
learn) and honoured entries are collected for the round, then pull their obligors.
Index arrays and the output index are unsigned, which spares numba's
negative-index wraparound code.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from .codes import (
    LEVEL_DIPLOMACY,
    LEVEL_MILITARY,
    LEVEL_NONE,
    LEVEL_SANCTIONS,
    NO_SIDE,
    NO_SOURCE,
    OB_ENTENTE,
    OB_OFFENSE,
    ORG_ARBITRATION,
    ORG_COLLECTIVE_SECURITY,
    SIDE_A,
    SIDE_D,
    VIA_INITIAL,
    VIA_ORGANIZATION,
    VIA_PLAN,
    other_side,
)
from .options import INLINE_OPTIONS, PARALLEL_OPTIONS, jit
from .rng import (
    KIND_DETERRENCE,
    KIND_INCIDENT_INITIATOR,
    KIND_INCIDENT_TARGET,
    KIND_OUTCOME,
    decision_key,
    draw_bits,
    replicate_state,
    seed_state,
    uniform,
)

__all__ = ["BLOCK", "CascadeOut", "ParticipantOut", "Scratch", "run_chunk"]

BLOCK = 512

_KEY_INIT = np.uint64(decision_key(KIND_INCIDENT_INITIATOR))
_KEY_TARG = np.uint64(decision_key(KIND_INCIDENT_TARGET))
_KEY_DETER = np.uint64(decision_key(KIND_DETERRENCE))
_KEY_OUTCOME = np.uint64(decision_key(KIND_OUTCOME))

#: ``Scratch.pull_flag``: pulled towards side A, towards side D, or both (stays out);
#: ``_OFF_A``/``_OFF_D``: one of the pulls towards A/D is an honoured offense obligation.
_PULL_A, _PULL_D, _PULL_BOTH = 1, 2, 3
_OFF_A, _OFF_D = 4, 8
#: ``Scratch.aggr``: not an aggressor, aggressor since its entry (or the initiator),
#: aggressor since a plan of its attacked a victim.
_AGGR_ENTRY, _AGGR_PLAN = 1, 2
#: ``Scratch.neu_state``: a neutrality pledge not drawn yet, drawn and holding, failed.
_UNDRAWN, _HOLDS, _FAILS = 0, 1, 2
_NO_RANK = 2147483647  # above every source rank

#: Options of :func:`_cascade`, which only reads and writes arrays that its caller owns.
#: ``_nrt=False`` (numba's own switch, leading underscore and all) leaves out reference
#: counting: numba counts a reference to every array of a tuple each time the tuple is
#: passed to an inlined phase (a call to an atomic update per array, on entry and on
#: exit: 500 sites), which made the kernel ten times slower. ``forceinline`` lets LLVM
#: inline it into :func:`_block`, where it sees that the scratch arrays are fresh
#: allocations that alias nothing (5-10% on small cascades).
_CASCADE_OPTIONS: dict[str, object] = {"_nrt": False, "forceinline": True}


class CascadeOut(NamedTuple):
    """The cascade columns: one entry per replicate of the chunk.

    The columns of :mod:`escalate.results.schema`, with the same names, in the same
    order, of its kernel dtypes.
    """

    initiator: np.ndarray  # nation code
    target: np.ndarray  # nation code
    deterred: np.ndarray
    belligerents: np.ndarray
    side_a: np.ndarray
    side_d: np.ndarray
    majors: np.ndarray
    rounds: np.ndarray
    broken_promises: np.ndarray
    conflicted: np.ndarray
    sanctions: np.ndarray
    diplomacy: np.ndarray
    settled: np.ndarray
    power_share: np.ndarray
    vetoed: np.ndarray
    winner: np.ndarray  # side code, NO_SIDE when deterred
    world_war: np.ndarray


class ParticipantOut(NamedTuple):
    """The participant columns: ``[replicate, k]`` is the k-th nation to enter.

    The columns of :mod:`escalate.results.schema`, with the same names, in the same
    order, of its kernel dtypes; ``(0, 0)`` arrays when participants are not wanted.
    """

    nation: np.ndarray  # nation code
    side: np.ndarray  # side code
    round: np.ndarray
    via: np.ndarray  # via code
    source: np.ndarray  # source code (see CompiledWorld.sources), NO_SOURCE for none


class Scratch(NamedTuple):
    """Per-block working arrays.

    Between cascades the arrays initialised with zeros (or -1, ``resp_round``) are back
    at that value; the others are written before being read.
    """

    side: np.ndarray  # int8[n] side code of each nation, NO_SIDE when out
    aggr: np.ndarray  # uint8[n] 0, _AGGR_ENTRY or _AGGR_PLAN (reset with side)
    nround: np.ndarray  # int16[n] round of entry of each nation at war
    nvia: np.ndarray  # int8[n] its via code
    orig: np.ndarray  # int32[n] the nation whose attack brought it in, -1 none
    cum: np.ndarray  # int32[3, max_rounds + 1] entrants of rounds 1..r by side code
    atwar: np.ndarray  # uint32[n] nations at war in order of entry ...
    aw_src: np.ndarray  # int32[n] ... with their source code (round, via: nround, nvia)
    attacked: np.ndarray  # uint32[n] nations attacked this round
    pull_flag: np.ndarray  # uint8[n] _PULL_* of each nation pulled this round
    pull_rank_a: np.ndarray  # int32[n] lowest source rank pulling it to side A
    pull_rank_d: np.ndarray  # int32[n] ... to side D
    pulled: np.ndarray  # uint32[n] nations pulled this round
    entr: np.ndarray  # uint32[n] nations entering next round ...
    entr_side: np.ndarray  # int8[n] with their side
    entr_rank: np.ndarray  # int32[n] source rank
    entr_aggr: np.ndarray  # uint8[n] and whether it is an aggressor
    trig_decided: np.ndarray  # uint8[m] by trigger entry
    trig_touched: np.ndarray  # uint32[m] trigger entries decided (for the reset)
    honoured: np.ndarray  # uint32[m] trigger entries honoured this round ...
    honoured_side: np.ndarray  # int8[m] and the side they join
    neu_state: np.ndarray  # uint8[q] _UNDRAWN, _HOLDS, _FAILS
    neu_touched: np.ndarray  # uint32[q] pledges drawn (for the reset)
    resp_round: np.ndarray  # int16[g, n] round of a member's response, -1 none
    resp_touched: np.ndarray  # uint32[members] o * n + member of each response
    agg: np.ndarray  # int32[g, n] aggressors against each organization this round
    n_agg: np.ndarray  # int32[g] their number
    agg_flag: np.ndarray  # uint8[g, n] membership of agg
    agg_blocked: np.ndarray  # uint8[n] the organization is blocked for agg[o, i]
    cnt: np.ndarray  # int32[g, 3] members of each organization at war, by side code
    plan_fired: np.ndarray  # uint8[p]


@jit(**INLINE_OPTIONS)
def _scratch(w):
    """Fresh scratch space for the world ``w``.

    Index lists are uint32 so that numba emits no negative-index wraparound for them.
    """
    n = w.power.size
    m = max(w.ob_kind.size, 1)
    q = max(w.neu_key.size, 1)
    g = w.org_kind.size
    return Scratch(
        np.zeros(n, np.int8),  # side
        np.zeros(n, np.uint8),  # aggr
        np.empty(n, np.int16),  # nround
        np.empty(n, np.int8),  # nvia
        np.empty(n, np.int32),  # orig
        np.zeros((3, w.max_rounds + 1), np.int32),  # cum
        np.empty(n, np.uint32),  # atwar
        np.empty(n, np.int32),  # aw_src
        np.empty(n, np.uint32),  # attacked
        np.zeros(n, np.uint8),  # pull_flag
        np.empty(n, np.int32),  # pull_rank_a
        np.empty(n, np.int32),  # pull_rank_d
        np.empty(n, np.uint32),  # pulled
        np.empty(n, np.uint32),  # entr
        np.empty(n, np.int8),  # entr_side
        np.empty(n, np.int32),  # entr_rank
        np.empty(n, np.uint8),  # entr_aggr
        np.zeros(m, np.uint8),  # trig_decided
        np.empty(m, np.uint32),  # trig_touched
        np.empty(m, np.uint32),  # honoured
        np.empty(m, np.int8),  # honoured_side
        np.zeros(q, np.uint8),  # neu_state
        np.empty(q, np.uint32),  # neu_touched
        np.full((g, n), -1, np.int16),  # resp_round
        np.empty(max(w.org_mem.size, 1), np.uint32),  # resp_touched
        np.empty((g, n), np.int32),  # agg
        np.zeros(g, np.int32),  # n_agg
        np.zeros((g, n), np.uint8),  # agg_flag
        np.zeros(n, np.uint8),  # agg_blocked
        np.zeros((g, 3), np.int32),  # cnt
        np.zeros(max(w.plan_nation.size, 1), np.uint8),  # plan_fired
    )


# ----------------------------------------------------------------------- small helpers


@jit(**INLINE_OPTIONS)
def _pick(cand, w, exclude, u):
    total = 0.0
    for q in range(cand.size):
        if cand[q] != exclude:
            total += w[q]
    x = u * total
    acc = 0.0
    last = -1
    for q in range(cand.size):
        c = cand[q]
        if c == exclude or w[q] <= 0.0:
            continue
        acc += w[q]
        last = c
        if x < acc:
            return c
    return last


@jit(**INLINE_OPTIONS)
def _join(w, sc, x, s, rnd, via, src, orig, n_atwar):
    """Put nation ``x`` at war on side ``s``; returns the new at-war count.

    ``orig`` is the nation whose attack brought it in (-1: none, an entrant).
    """
    sc.side[x] = s
    sc.nround[x] = rnd
    sc.nvia[x] = via
    sc.orig[x] = orig
    sc.atwar[n_atwar] = x
    sc.aw_src[n_atwar] = src
    for o in range(w.org_member.shape[0]):
        if w.org_member[o, x]:
            sc.cnt[o, s] += 1
    return n_atwar + 1


@jit(**INLINE_OPTIONS)
def _pull(sc, k, s, rank, off, n_pulled):
    """Pull nation ``k`` towards side ``s`` by source ``rank``; returns the new count.

    A nation pulled towards both sides stays out; the lowest rank names the source.
    ``off``: the pull is an honoured offense obligation (the entrant is an aggressor).
    """
    if sc.pull_flag[k] == 0:
        sc.pulled[n_pulled] = k
        n_pulled += 1
        sc.pull_rank_a[k] = _NO_RANK
        sc.pull_rank_d[k] = _NO_RANK
    if s == SIDE_A:
        sc.pull_flag[k] |= _PULL_A | (_OFF_A if off else 0)
        sc.pull_rank_a[k] = min(sc.pull_rank_a[k], rank)
    else:
        sc.pull_flag[k] |= _PULL_D | (_OFF_D if off else 0)
        sc.pull_rank_d[k] = min(sc.pull_rank_d[k], rank)
    return n_pulled


@jit(**INLINE_OPTIONS)
def _add_aggressor(sc, o, a):
    if not sc.agg_flag[o, a]:
        sc.agg_flag[o, a] = 1
        sc.agg[o, sc.n_agg[o]] = a
        sc.n_agg[o] += 1


@jit(**INLINE_OPTIONS)
def _attack_case(w, sc, a, v, aggression):
    """``a`` attacks ``v``: a case for the organizations it concerns (culprit ``a``).

    Collective security: an aggression by a member against a member. Collective
    defense: an attack by a non-member on a member (only aggressions under
    ``unprovoked``; whether the victim is an aggressor is checked at the decision).
    """
    for o in range(w.org_kind.size):
        kind = w.org_kind[o]
        if kind == ORG_COLLECTIVE_SECURITY:
            hit = aggression and w.org_member[o, a] and w.org_member[o, v]
        elif kind == ORG_ARBITRATION:
            hit = False
        else:
            hit = (
                (not w.org_member[o, a])
                and w.org_member[o, v]
                and (aggression or not w.org_unprov[o])
            )
        if hit:
            _add_aggressor(sc, o, a)


@jit(**INLINE_OPTIONS)
def _is_entry(via):
    """Whether a via code is an entry (pulled in), not the incident nor a plan victim."""
    return via != VIA_INITIAL and via != VIA_PLAN


@jit(**INLINE_OPTIONS)
def _n_attackers(sc, j, r):
    """The number of distinct nations that have attacked ``j`` by round ``r``.

    Every entrant on the other side attacked it, if it entered after ``j`` (or in
    the same round, when ``j`` entered too), plus the attack that brought ``j`` in.
    """
    os = other_side(sc.side[j])
    rj = np.int64(sc.nround[j])
    lo = rj - 1 if _is_entry(sc.nvia[j]) else rj
    return sc.cum[os, r] - sc.cum[os, lo] + (1 if sc.orig[j] >= 0 else 0)


@jit(**INLINE_OPTIONS)
def _has_attacked(sc, x, j):
    """Whether ``x`` is among the attackers of ``j`` (both at war)."""
    sx = sc.side[x]
    if sx == NO_SIDE or sx == sc.side[j]:
        return False
    if sc.orig[j] == x:
        return True
    if not _is_entry(sc.nvia[x]):
        return False
    rx = sc.nround[x]
    rj = sc.nround[j]
    return rx > rj or (rx == rj and _is_entry(sc.nvia[j]))


@jit(**INLINE_OPTIONS)
def _attacked_in(sc, c, h, r, aggression_only):
    """Whether ``c`` attacked ``h`` in round ``r`` (only by aggression if asked)."""
    sh = sc.side[h]
    if sh == NO_SIDE or sh == sc.side[c]:
        return False
    rh = sc.nround[h]
    if rh == r and sc.orig[h] == c:  # the incident or a plan of c: an aggression
        return True
    if sc.nround[c] != r or not _is_entry(sc.nvia[c]):
        return False
    if aggression_only and sc.aggr[c] != _AGGR_ENTRY:
        return False
    return rh < r or (rh == r and _is_entry(sc.nvia[h]))


@jit(**INLINE_OPTIONS)
def _at_war_with_listed(w, sc, ptr, lst, e, j):
    """Whether a nation of list ``e`` of the CSR (``ptr``, ``lst``) is at war with ``j``."""
    sj = sc.side[j]
    for x in range(ptr[e], ptr[e + 1]):
        sx = sc.side[lst[x]]
        if sx != NO_SIDE and sx != sj:
            return True
    return False


@jit(**INLINE_OPTIONS)
def _contest(p_a, p_d, m):
    """P(side A wins) = p_a^m / (p_a^m + p_d^m); as :func:`escalate.engine.reference.contest`.

    For m != 1 it is computed in log space, 1 / (1 + exp(m (ln p_d - ln p_a))): the
    powers themselves overflow (or underflow) for large m. An overflowing exp gives
    inf, so 0.0, as the reference's OverflowError does.
    """
    if m == 1.0:
        return p_a / (p_a + p_d) if p_a + p_d > 0.0 else 0.5
    if p_a > 0.0 and p_d > 0.0:
        return 1.0 / (1.0 + np.exp(m * (np.log(p_d) - np.log(p_a))))
    if m == 0.0 or p_a == p_d:  # 0^0 = 1 (every side weighs 1), or both sides powerless
        return 0.5
    return 1.0 if p_a > 0.0 else 0.0


# ----------------------------------------------------------------------------- phases


@jit(**INLINE_OPTIONS)
def _incident(w, rs):
    """The initiator, the target, and whether the initiator backs down (deterrence)."""
    if w.inc_random:
        ini = _pick(w.init_cand, w.init_w, -1, uniform(rs, _KEY_INIT))
        tgt = _pick(w.targ_cand, w.targ_w, ini, uniform(rs, _KEY_TARG))
    else:
        ini = w.inc_initiator
        tgt = w.inc_target
    deterred = False
    if w.deterrence > 0.0:
        facing = w.power[tgt]
        for e in range(w.prot_ptr[tgt], w.prot_ptr[tgt + 1]):
            ob = w.prot_ob[e]
            if w.ob_obligor[ob] == ini or w.ob_minatt[ob] > 1:
                continue
            lo = w.ob_ag_ptr[ob]
            hi = w.ob_ag_ptr[ob + np.uint32(1)]
            if hi > lo:  # only against these nations: the incident triggers it if listed
                listed = False
                for x in range(lo, hi):
                    if w.ob_ag[x] == ini:
                        listed = True
                if not listed:
                    continue
            facing += w.ob_rel[ob] * w.power[w.ob_obligor[ob]]
        own = w.power[ini]
        for e in range(w.prot_ptr[ini], w.prot_ptr[ini + 1]):
            ob = w.prot_ob[e]
            if w.ob_kind[ob] == OB_OFFENSE and w.ob_obligor[ob] != tgt:
                own += w.ob_rel[ob] * w.power[w.ob_obligor[ob]]
        both = own + facing
        p_back = w.deterrence * (facing / both) if both > 0.0 else 0.0
        deterred = uniform(rs, _KEY_DETER) < p_back
    return ini, tgt, deterred


@jit(**INLINE_OPTIONS)
def _round_zero(w, sc, ini, tgt):
    """The initiator (an aggressor) attacks the target; returns the at-war count."""
    n_atwar = 0
    for z in range(2):  # the initiator on side A, the target on side D
        n_atwar = _join(
            w,
            sc,
            ini if z == 0 else tgt,
            SIDE_A if z == 0 else SIDE_D,
            0,
            VIA_INITIAL,
            NO_SOURCE,
            -1 if z == 0 else ini,
            n_atwar,
        )
    sc.aggr[ini] = _AGGR_ENTRY
    sc.attacked[0] = tgt
    _attack_case(w, sc, ini, tgt, True)
    return n_atwar


@jit(**INLINE_OPTIONS)
def _plans(w, sc, rs, r, n_atwar, n_att, last_round):
    """Fire the war plans of round ``r`` until none fires.

    Returns the at-war and attacked counts and the last round with an entry.
    """
    n_plans = w.plan_nation.size
    n_src_plan = w.ob_kind.size + w.org_kind.size
    changed = n_plans > 0
    while changed:
        changed = False
        for pi in range(n_plans):
            if sc.plan_fired[pi]:
                continue
            pn = w.plan_nation[pi]
            mine = sc.side[pn]
            if mine == NO_SIDE:
                continue
            hit = False
            for e in range(w.plan_trig_ptr[pi], w.plan_trig_ptr[pi + 1]):
                sq = sc.side[w.plan_trig[e]]
                if sq != NO_SIDE and sq != mine:
                    hit = True
                    break
            if not hit:
                continue
            sc.plan_fired[pi] = 1
            changed = True
            if uniform(rs, w.plan_key[pi]) < w.plan_prob[pi]:
                for e in range(w.plan_att_ptr[pi], w.plan_att_ptr[pi + 1]):
                    v = w.plan_att[e]
                    if sc.side[v] != NO_SIDE:
                        continue
                    if sc.aggr[pn] == 0:  # an aggressor before its first attack
                        sc.aggr[pn] = _AGGR_PLAN
                    n_atwar = _join(
                        w, sc, v, other_side(mine), r, VIA_PLAN, n_src_plan + pn, pn, n_atwar
                    )
                    sc.attacked[n_att] = v
                    n_att += 1
                    _attack_case(w, sc, pn, v, True)
                    last_round = r
    return n_atwar, n_att, last_round


@jit(**INLINE_OPTIONS)
def _obligations(w, sc, rs, r, new_lo, n_atwar, n_att, n_obt, broken, conflicted):  # noqa: C901
    # (complexity: one loop per trigger segment of the hottest phase, kept in one
    # function so that the honoured buffer and counters stay in registers)
    """Decide the obligations triggered this round; the honoured ones pull their obligors.

    The draws are compared without a branch and the honoured entries collected in a
    buffer: whether an obligation is honoured is a coin flip, and a mispredicted
    branch costs more than the draw itself. Obligations with conditions are stored
    apart (trigger segments 2 and 3) and checked on a slower path. Returns the pulled
    count, the count of decided entries, the broken promises and the conflicted ones.
    """
    n1 = np.uint32(w.power.size + 1)
    # Offense obligations without condition towards nations newly at war. A nation is
    # newly at war once per cascade, so these need no "decided" marks.
    n_hon = np.int64(0)  # honoured entries (an int64 sum of comparisons)
    for li in range(new_lo, n_atwar):
        j = sc.atwar[li]
        sj = sc.side[j]
        for e in range(w.trig_ptr[j], w.trig_ptr[j + np.uint32(1)]):
            sk = sc.side[w.trig_obligor[e]]
            if sk != NO_SIDE:  # at war already: on j's side, or against its protege
                conflicted += np.int64(sk != sj)
                continue
            ok = np.int64(draw_bits(rs, w.trig_key[e]) < w.trig_thr[e])  # u < rel
            sc.honoured[n_hon] = e
            sc.honoured_side[n_hon] = sj
            n_hon += ok
            broken += 1 - ok
    # Defense and entente obligations without condition towards nations attacked this
    # round, each decided once per cascade.
    for li in range(n_att):
        j = sc.attacked[li]
        sj = sc.side[j]
        jj = n1 + j  # unsigned: no wraparound code
        for e in range(w.trig_ptr[jj], w.trig_ptr[jj + np.uint32(1)]):
            if sc.trig_decided[e]:
                continue
            sk = sc.side[w.trig_obligor[e]]
            if sk != NO_SIDE:
                if sk == sj:
                    continue
                sc.trig_decided[e] = 1
                sc.trig_touched[n_obt] = e
                n_obt += 1
                conflicted += 1
                continue
            sc.trig_decided[e] = 1
            sc.trig_touched[n_obt] = e
            n_obt += 1
            ok = np.int64(draw_bits(rs, w.trig_key[e]) < w.trig_thr[e])
            sc.honoured[n_hon] = e
            sc.honoured_side[n_hon] = sj
            n_hon += ok
            broken += 1 - ok
    # Obligations with conditions: offense ones with ``against`` towards every nation
    # at war, defense/entente ones towards the nations attacked this round.
    for seg in range(2):
        if seg == 0 and not w.cond_offense:
            continue
        if seg == 1 and not w.cond_defense:
            continue
        for li in range(n_atwar if seg == 0 else n_att):
            j = sc.atwar[li] if seg == 0 else sc.attacked[li]
            sj = sc.side[j]
            jj = n1 * np.uint32(2 + seg) + j
            for e in range(w.trig_ptr[jj], w.trig_ptr[jj + np.uint32(1)]):
                if sc.trig_decided[e]:
                    continue
                ob = w.trig_ob[e]
                if seg == 0:
                    if not _at_war_with_listed(w, sc, w.ob_ag_ptr, w.ob_ag, ob, j):
                        continue
                else:
                    if w.ob_unprov[ob] and sc.aggr[j] != 0:
                        continue
                    if w.ob_minatt[ob] > 1 and _n_attackers(sc, j, r) < w.ob_minatt[ob]:
                        continue
                    lo = w.ob_ag_ptr[ob]
                    hi = w.ob_ag_ptr[ob + np.uint32(1)]
                    if hi > lo:
                        hit = False
                        for x in range(lo, hi):
                            if _has_attacked(sc, w.ob_ag[x], j):
                                hit = True
                                break
                        if not hit:
                            continue
                sk = sc.side[w.trig_obligor[e]]
                if sk == sj:
                    continue
                sc.trig_decided[e] = 1
                sc.trig_touched[n_obt] = e
                n_obt += 1
                if sk != NO_SIDE:
                    conflicted += 1
                    continue
                ok = np.int64(draw_bits(rs, w.trig_key[e]) < w.trig_thr[e])
                sc.honoured[n_hon] = e
                sc.honoured_side[n_hon] = sj
                n_hon += ok
                broken += 1 - ok
    # the honoured obligations pull their obligors; the lowest rank is the source
    n_pulled = 0
    for x in range(n_hon):
        e = sc.honoured[x]
        rank = w.trig_ob[e]
        n_pulled = _pull(
            sc,
            w.trig_obligor[e],
            sc.honoured_side[x],
            rank,
            w.ob_kind[rank] == OB_OFFENSE,
            n_pulled,
        )
    return n_pulled, n_obt, broken, conflicted


@jit(**INLINE_OPTIONS)
def _blocked(w, sc, o, na, r):
    """Whether a veto holder shields one of the culprits of organization ``o``.

    Marks each culprit ``agg[o, i]`` it shields in ``agg_blocked[i]``. Under unanimity
    the holders are the members other than the parties to the culprit's dispute (the
    culprit and the members it attacked this round).
    """
    any_blocked = False
    for ai in range(na):
        a = sc.agg[o, ai]
        sa = sc.side[a]
        if w.org_unanimity[o]:
            blk = False
            for e in range(w.org_mem_ptr[o], w.org_mem_ptr[o + 1]):
                h = w.org_mem[e]
                if h != a and sc.side[h] == sa:
                    blk = True
                    break
            if not blk:
                for e in range(w.prot_ptr[a], w.prot_ptr[a + 1]):
                    ob = w.prot_ob[e]
                    if w.ob_kind[ob] == OB_ENTENTE:
                        continue
                    h = w.ob_obligor[ob]
                    if w.org_member[o, h] and h != a and not _attacked_in(sc, a, h, r, False):
                        blk = True
                        break
        else:
            blk = w.org_static_block[o, a] != 0
            if not blk:
                for e in range(w.org_mem_ptr[o], w.org_mem_ptr[o + 1]):
                    h = w.org_mem[e]
                    if w.org_holder[o, h] and sc.side[h] == sa:
                        blk = True
                        break
        sc.agg_blocked[ai] = blk
        if blk:
            any_blocked = True
    return any_blocked


@jit(**INLINE_OPTIONS)
def _unprovoked_only(w, sc, o, na, r):
    """Keep the culprits of ``o`` (``unprovoked``); returns their number.

    A culprit is kept if it committed an aggression, this round, against a member
    that is not an aggressor.
    """
    kept = 0
    for ai in range(na):
        c = sc.agg[o, ai]
        keep = False
        for e in range(w.org_mem_ptr[o], w.org_mem_ptr[o + 1]):
            h = w.org_mem[e]
            if sc.aggr[h] == 0 and _attacked_in(sc, c, h, r, True):
                keep = True
                break
        if keep:
            sc.agg[o, kept] = c
            kept += 1
        else:
            sc.agg_flag[o, c] = 0
    sc.n_agg[o] = kept
    return kept


@jit(**INLINE_OPTIONS)
def _level(w, o, u):
    """The response level (``LEVEL_*``) of a member of organization ``o`` drawing ``u``."""
    if u < w.org_cum[o, 0]:
        return LEVEL_MILITARY
    elif u < w.org_cum[o, 1]:
        return LEVEL_SANCTIONS
    elif u < w.org_cum[o, 2]:
        return LEVEL_DIPLOMACY
    return LEVEL_NONE


@jit(**INLINE_OPTIONS)
def _organizations(  # noqa: C901 - the response ladder per culprit, one pass per organization
    w, sc, rs, r, n_pulled, n_respt, vetoed, sanctions, diplomacy, sanc_a, sanc_d
):
    """The members' responses to this round's aggressions; military ones pull members.

    Returns the pulled and response counts, whether a veto blocked an organization,
    the sanctions and diplomacy answers and the sanctions against each side.
    """
    n = w.power.size
    n_src_org = w.ob_kind.size
    for o in range(w.org_kind.size):
        na = sc.n_agg[o]
        if na == 0:
            continue
        if w.org_unprov[o]:
            na = _unprovoked_only(w, sc, o, na, r)
            if na == 0:
                continue
        if _blocked(w, sc, o, na, r):
            vetoed = True
        cap = w.org_cap[o]
        for e in range(w.org_mem_ptr[o], w.org_mem_ptr[o + 1]):
            mm = w.org_mem[e]
            if sc.side[mm] != NO_SIDE or sc.resp_round[o, mm] >= 0:
                continue
            level = _level(w, o, uniform(rs, w.org_mem_key[e]))
            sc.resp_round[o, mm] = r
            sc.resp_touched[n_respt] = o * n + mm
            n_respt += 1
            top = LEVEL_NONE
            s_a = False
            s_d = False
            for ai in range(na):
                a = sc.agg[o, ai]
                la = min(level, cap) if sc.agg_blocked[ai] else level
                top = max(top, la)
                if la == LEVEL_MILITARY:  # against a: towards the other side
                    n_pulled = _pull(sc, mm, other_side(sc.side[a]), n_src_org + o, False, n_pulled)
                elif la == LEVEL_SANCTIONS:
                    if sc.side[a] == SIDE_A:
                        s_a = True
                    else:
                        s_d = True
            if top == LEVEL_SANCTIONS:
                sanctions += 1
            elif top == LEVEL_DIPLOMACY:
                diplomacy += 1
            if s_a:
                sanc_a += 1
            if s_d:
                sanc_d += 1
        for ai in range(na):
            sc.agg_flag[o, sc.agg[o, ai]] = 0
        sc.n_agg[o] = 0
    return n_pulled, n_respt, vetoed, sanctions, diplomacy, sanc_a, sanc_d


@jit(**INLINE_OPTIONS)
def _neutrality(w, sc, rs, k, s, n_neut):
    """Nation ``k``'s neutrality pledges towards nations at war against side ``s``.

    Returns whether one holds ``k`` back, how many failed, and the drawn count.
    """
    held = False
    failed = 0
    for e in range(w.neu_ptr[k], w.neu_ptr[k + 1]):
        j = w.neu_protege[e]
        sj = sc.side[j]
        if sj != NO_SIDE and sj != s:
            # a pledge with ``against`` matters only while a listed nation fights j
            if w.neu_ag_ptr[e + np.uint32(1)] > w.neu_ag_ptr[e] and not _at_war_with_listed(
                w, sc, w.neu_ag_ptr, w.neu_ag, e, j
            ):
                continue
            st = sc.neu_state[e]
            if st == _UNDRAWN:
                st = _HOLDS if uniform(rs, w.neu_key[e]) < w.neu_rel[e] else _FAILS
                sc.neu_state[e] = st
                sc.neu_touched[n_neut] = e
                n_neut += 1
            if st == _HOLDS:
                held = True
            else:
                failed += 1
    return held, failed, n_neut


@jit(**INLINE_OPTIONS)
def _entries(w, sc, rs, n_pulled, n_neut, broken):
    """The pulled nations that enter next round, in canonical (index) order.

    Returns the entrant count, whether any joins side A and side D, the count of
    drawn pledges and the broken promises.
    """
    pulled = sc.pulled
    for x in range(1, n_pulled):  # insertion sort: a handful of nations
        y = pulled[x]
        z = x - 1
        while z >= 0 and pulled[z] > y:
            pulled[z + 1] = pulled[z]
            z -= 1
        pulled[z + 1] = y
    n_entr = 0
    any_a = False
    any_d = False
    for x in range(n_pulled):
        k = pulled[x]
        flag = sc.pull_flag[k]
        sc.pull_flag[k] = 0
        if flag & _PULL_BOTH == _PULL_BOTH:
            continue
        s = SIDE_A if flag & _PULL_A else SIDE_D
        held, failed, n_neut = _neutrality(w, sc, rs, k, s, n_neut)
        if held:
            continue
        broken += failed
        sc.entr[n_entr] = k
        sc.entr_side[n_entr] = s
        sc.entr_aggr[n_entr] = (flag & (_OFF_A | _OFF_D)) != 0
        if s == SIDE_A:
            sc.entr_rank[n_entr] = sc.pull_rank_a[k]
            any_a = True
        else:
            sc.entr_rank[n_entr] = sc.pull_rank_d[k]
            any_d = True
        n_entr += 1
    return n_entr, any_a, any_d, n_neut, broken


@jit(**INLINE_OPTIONS)
def _enter(w, sc, r, n_entr, any_a, any_d, n_atwar, has_att):
    """The entrants of round ``r`` enter at once and attack every nation on the other side.

    That includes the entrants of the other side. Returns the at-war count, the
    attacked count and the index of the first entrant in ``atwar``.
    """
    m = w.ob_kind.size
    new_lo = n_atwar
    for x in range(n_entr):
        k = sc.entr[x]
        s = sc.entr_side[x]
        rank = sc.entr_rank[x]
        via = w.ob_kind[rank] if rank < m else VIA_ORGANIZATION
        n_atwar = _join(w, sc, k, s, r, via, rank, -1, n_atwar)
        sc.aggr[k] = _AGGR_ENTRY if sc.entr_aggr[x] else 0
    for s in range(SIDE_A, SIDE_D + 1):
        c = sc.cum[s, r - 1]
        for x in range(n_entr):
            if sc.entr_side[x] == s:
                c += 1
        sc.cum[s, r] = c
    n_att = 0
    if has_att:
        for x in range(n_atwar):
            sx = sc.side[sc.atwar[x]]
            if (sx == SIDE_A and any_d) or (sx == SIDE_D and any_a):
                sc.attacked[n_att] = sc.atwar[x]
                n_att += 1
    for x in range(n_entr):
        k = sc.entr[x]
        s = sc.entr_side[x]
        aggression = sc.entr_aggr[x] != 0
        for o in range(w.org_kind.size):
            if sc.cnt[o, other_side(s)] == 0:
                continue
            kind = w.org_kind[o]
            if kind == ORG_COLLECTIVE_SECURITY:
                hit = aggression and w.org_member[o, k] != 0
            elif kind == ORG_ARBITRATION:
                hit = False
            else:
                hit = w.org_member[o, k] == 0 and (aggression or not w.org_unprov[o])
            if hit:
                _add_aggressor(sc, o, k)
    return n_atwar, n_att, new_lo


@jit(**INLINE_OPTIONS)
def _no_war_row(out, q, deterred):
    """The row of a replicate whose initiator backed down, or whose dispute was settled."""
    out.deterred[q] = deterred
    out.settled[q] = not deterred
    out.conflicted[q] = 0
    out.belligerents[q] = 0
    out.side_a[q] = 0
    out.side_d[q] = 0
    out.majors[q] = 0
    out.rounds[q] = 0
    out.broken_promises[q] = 0
    out.sanctions[q] = 0
    out.diplomacy[q] = 0
    out.power_share[q] = 0.0
    out.vetoed[q] = False
    out.winner[q] = NO_SIDE
    out.world_war[q] = False


@jit(**INLINE_OPTIONS)
def _outcome(w, sc, rs, out, parts, q, want_parts, n_atwar, last_round, tally):
    """Write the replicate's row (and participant rows), drawing the winner.

    ``tally`` is (broken promises, conflicted, sanctions, diplomacy, vetoed, sanctions
    against side A, against side D). Also resets ``side`` and ``aggr``.
    """
    broken, conflicted, sanctions, diplomacy, vetoed, sanc_a, sanc_d = tally
    p_a = 0.0
    p_d = 0.0
    n_a = np.int64(0)
    n_major = np.int64(0)
    # one pass in entry order (as the reference sums): totals, participant rows, and
    # the reset of ``side``
    for x in range(n_atwar):
        c = sc.atwar[x]
        sx = sc.side[c]
        is_a = sx == SIDE_A
        pc = w.power[c]
        p_a += pc if is_a else 0.0  # branch-free; adding 0.0 changes no sum
        p_d += 0.0 if is_a else pc
        n_a += np.int64(is_a)
        n_major += np.int64(w.major[c])
        if want_parts:
            parts.nation[q, x] = c
            parts.side[q, x] = sx
            parts.round[q, x] = sc.nround[c]
            parts.via[q, x] = sc.nvia[c]
            parts.source[q, x] = sc.aw_src[x]
        sc.side[c] = NO_SIDE
        sc.aggr[c] = 0
    # summed in entry order, the total in id order: clamp the rounding excess
    total = w.total_power
    share = min(1.0, (p_a + p_d) / total) if total > 0.0 else 0.0
    keep = 1.0 - w.sanction_effect
    for _ in range(sanc_a):
        p_a *= keep
    for _ in range(sanc_d):
        p_d *= keep
    p_win_a = _contest(p_a, p_d, w.contest_exponent)
    out.deterred[q] = False
    out.belligerents[q] = n_atwar
    out.side_a[q] = n_a
    out.side_d[q] = n_atwar - n_a
    out.majors[q] = n_major
    out.rounds[q] = last_round
    out.broken_promises[q] = broken
    out.conflicted[q] = conflicted
    out.sanctions[q] = sanctions
    out.diplomacy[q] = diplomacy
    out.settled[q] = False
    out.power_share[q] = share
    out.vetoed[q] = vetoed
    out.winner[q] = SIDE_A if uniform(rs, _KEY_OUTCOME) < p_win_a else SIDE_D
    out.world_war[q] = n_major >= w.world_war_majors


@jit(**INLINE_OPTIONS)
def _reset(w, sc, n_obt, n_neut, n_respt):
    """Put back what a cascade touched (``side`` is reset by :func:`_outcome`)."""
    n = w.power.size
    for x in range(n_obt):
        sc.trig_decided[sc.trig_touched[x]] = 0
    for x in range(n_neut):
        sc.neu_state[sc.neu_touched[x]] = _UNDRAWN
    for x in range(n_respt):
        code = sc.resp_touched[x]
        sc.resp_round[code // n, code % n] = -1
    for pi in range(w.plan_nation.size):
        sc.plan_fired[pi] = 0
    for o in range(w.org_kind.size):
        sc.cnt[o, SIDE_A] = 0
        sc.cnt[o, SIDE_D] = 0
        for ai in range(sc.n_agg[o]):
            sc.agg_flag[o, sc.agg[o, ai]] = 0
        sc.n_agg[o] = 0


# ----------------------------------------------------------------------------- driver


@jit(**_CASCADE_OPTIONS)
def _cascade(w, sc, rs, out, parts, q, want_parts, has_att):
    """Run one replicate (draw state ``rs``) and write its row ``q``.

    A cascade: the incident, then round by round the phases of the module docstring
    until a round adds nobody (or ``max_rounds``), then the outcome and the reset.
    """
    ini, tgt, deterred = _incident(w, rs)
    out.initiator[q] = ini
    out.target[q] = tgt
    if deterred:
        _no_war_row(out, q, True)
        return
    for o in range(w.org_kind.size):  # arbitration, in name order
        if (
            w.org_kind[o] == ORG_ARBITRATION
            and w.org_member[o, ini]
            and w.org_member[o, tgt]
            and uniform(rs, w.org_key[o]) < w.org_settle[o]
        ):
            _no_war_row(out, q, False)
            return
    n_atwar = _round_zero(w, sc, ini, tgt)
    new_lo = 0
    n_att = 1
    n_obt = 0
    n_neut = 0
    n_respt = 0
    broken = 0
    conflicted = 0
    sanctions = 0
    diplomacy = 0
    sanc_a = 0
    sanc_d = 0
    vetoed = False
    last_round = 0
    r = 0
    while True:
        n_atwar, n_att, last_round = _plans(w, sc, rs, r, n_atwar, n_att, last_round)
        if r == w.max_rounds:
            break
        n_pulled, n_obt, broken, conflicted = _obligations(
            w, sc, rs, r, new_lo, n_atwar, n_att, n_obt, broken, conflicted
        )
        n_pulled, n_respt, vetoed, sanctions, diplomacy, sanc_a, sanc_d = _organizations(
            w, sc, rs, r, n_pulled, n_respt, vetoed, sanctions, diplomacy, sanc_a, sanc_d
        )
        n_entr, any_a, any_d, n_neut, broken = _entries(w, sc, rs, n_pulled, n_neut, broken)
        if n_entr == 0:
            break
        r += 1
        n_atwar, n_att, new_lo = _enter(w, sc, r, n_entr, any_a, any_d, n_atwar, has_att)
        last_round = r
    tally = (broken, conflicted, sanctions, diplomacy, vetoed, sanc_a, sanc_d)
    _outcome(w, sc, rs, out, parts, q, want_parts, n_atwar, last_round, tally)
    _reset(w, sc, n_obt, n_neut, n_respt)


@jit()
def _block(w, out, parts, want_parts, has_att, seed_st, start, lo, hi):
    """Run rows ``lo .. hi - 1`` (replicates ``start + lo ..``) in fresh scratch space.

    A real call from :func:`run_chunk`'s parallel loop, not inlined there: numba's
    parfor passes do not follow arrays held in a tuple, so inside a ``prange`` body
    they hoist the scratch allocations out of the loop (one scratch space for every
    thread) and may drop stores such as ``out.winner[q] = ...`` as dead. Outside it
    this is ordinary serial code; one call per block costs nothing.
    """
    sc = _scratch(w)  # reset sparsely after each cascade
    for qi in range(lo, hi):
        q = np.uint64(qi)  # unsigned: no wraparound code on the output stores
        rs = replicate_state(seed_st, np.uint64(start + qi))
        _cascade(w, sc, rs, out, parts, q, want_parts, has_att)


@jit(**PARALLEL_OPTIONS)
def run_chunk(seed, start, count, want_parts, w, out, parts):
    """Run replicates ``start .. start + count - 1`` and fill the outputs.

    Parameters
    ----------
    seed, start, count
        The run seed (uint64) and the replicates (int64).
    want_parts
        Whether to fill ``parts``.
    w : WorldArrays
        The compiled world (:class:`escalate.engine.compile.WorldArrays`).
    out : CascadeOut
        ``count`` entries per column: row ``i`` is replicate ``start + i``.
    parts : ParticipantOut
        ``count`` x n slots per column when ``want_parts``.
    """
    nblocks = (count + BLOCK - 1) // BLOCK
    seed_st = seed_state(np.uint64(seed))
    # with no defense or entente obligations nobody needs the list of attacked nations
    has_att = w.has_defense
    for b in prange(nblocks):
        lo = b * BLOCK
        _block(w, out, parts, want_parts, has_att, seed_st, start, lo, min(count, lo + BLOCK))
