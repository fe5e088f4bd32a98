"""The kernel's per-block working state (:class:`Scratch`) and its small helpers.

A cascade's state lives in arrays that a block of replicates allocates once and
resets sparsely (only what a cascade touched), so a small cascade costs a few
hundred nanoseconds whatever the size of the world. The attacks of a cascade are
kept explicitly, as edges (attacker -> victim) on two linked lists per nation (the
attacks it made and those it suffered): whom an entrant attacks depends on the
entry rule (docs/model.md), and the conditions of treaties, the veto and "at war
with" read the attacks themselves. Every attack is of a distinct pair (an entrant
is new to the war, a plan victim was not at war), so no edge is written twice.

Edge space is sized for the usual cascade; a cascade that needs more sets
``flags[0]`` and its block runs it again in a larger :class:`Scratch`
(:func:`escalate.engine.kernel._block`): the keyed draws make the rerun identical.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .codes import NO_SIDE, ORG_ARBITRATION, ORG_COLLECTIVE_SECURITY, SIDE_A
from .options import INLINE_OPTIONS, jit

__all__ = [
    "AGGR_ENTRY", "AGGR_PLAN", "FIXED_ONE", "NO_RANK", "Scratch", "clear_why", "must_answer",
    "new_scratch",
]  # fmt: skip

#: ``Scratch.pull_flag``: pulled towards side A, towards side D, or both (stays out);
#: ``OFF_A``/``OFF_D``: one of the pulls towards A/D is an honoured offense obligation.
PULL_A, PULL_D, PULL_BOTH = 1, 2, 3
OFF_A, OFF_D = 4, 8
#: ``Scratch.aggr``: not an aggressor, aggressor since its entry (or an initiator),
#: aggressor since a plan of its attacked a victim.
AGGR_ENTRY, AGGR_PLAN = 1, 2
#: ``Scratch.neu_state``: a neutrality pledge not drawn yet, drawn and holding, failed.
UNDRAWN, HOLDS, FAILS = 0, 1, 2
NO_RANK = 2147483647  # above every source rank
#: ``Scratch.why_kind``: a pull to help a friend (a protege), or against a culprit.
WHY_FRIEND, WHY_CULPRIT = 0, 1
#: ``Scratch.counts``: edges, why entries, the last stamp, overflow (0/1), then the
#: tally of a cascade: sanctions and diplomacy answers, vetoed (0/1), and the
#: sanctions against side A and side D.
C_EDGES, C_WHY, C_STAMP, C_OVERFLOW = 0, 1, 2, 3
T_SANCTIONS, T_DIPLOMACY, T_VETOED, T_SANC_A, T_SANC_D = 4, 5, 6, 7, 8
#: ``Scratch.counts``: the entries of ``un_k`` (expected counts, :func:`note_expected`).
C_EXPECTED = 9
#: Expected counts are added in fixed point, ``round(x * FIXED_ONE)``, so that their
#: sums are exact and the same in any order (any block size, any thread count).
FIXED_ONE = 1 << 32


class Scratch(NamedTuple):
    """Per-block working arrays.

    Between cascades the arrays initialised with zeros (or -1) are back at that
    value; the others are written before being read.
    """

    side: np.ndarray  # int8[n] side code of each nation, NO_SIDE when out
    aggr: np.ndarray  # uint8[n] 0, AGGR_ENTRY or AGGR_PLAN (reset with side)
    nround: np.ndarray  # int16[n] round of entry of each nation at war
    nvia: np.ndarray  # int8[n] its via code
    atwar: np.ndarray  # uint32[n] nations at war in order of entry ...
    aw_src: np.ndarray  # int32[n] ... with their source code
    attacked: np.ndarray  # uint32[n] nations attacked this round
    att_flag: np.ndarray  # uint8[n] membership of attacked
    pull_flag: np.ndarray  # uint8[n] PULL_* of each nation pulled this round
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
    neu_state: np.ndarray  # uint8[q] UNDRAWN, HOLDS, FAILS
    neu_touched: np.ndarray  # uint32[q] pledges drawn (for the reset)
    resp_round: np.ndarray  # int16[g, n] round of a member's response, -1 none
    resp_touched: np.ndarray  # uint32[members] o * n + member of each response
    agg: np.ndarray  # int32[g, n] culprits of each organization this round
    n_agg: np.ndarray  # int32[g] their number
    agg_flag: np.ndarray  # uint8[g, n] membership of agg
    agg_blocked: np.ndarray  # uint8[n] the organization is blocked for agg[o, i]
    plan_fired: np.ndarray  # uint8[p]
    dec0: np.ndarray  # uint8[n] an obligation of this obligor was decided in round 0
    # the attacks (edges), on a linked list by victim and one by attacker
    in_head: np.ndarray  # int32[n] last attack suffered, -1 none
    out_head: np.ndarray  # int32[n] last attack made, -1 none
    n_in: np.ndarray  # int32[n] distinct attackers
    e_from: np.ndarray  # uint32[cap]
    e_to: np.ndarray  # uint32[cap]
    e_next_in: np.ndarray  # int32[cap]
    e_next_out: np.ndarray  # int32[cap]
    e_round: np.ndarray  # int16[cap]
    e_aggr: np.ndarray  # uint8[cap] the attack was an aggression
    # why each nation was pulled this round (entry = "enemies"): friend or culprit
    why_nation: np.ndarray  # uint32[cap]
    why_x: np.ndarray  # uint32[cap]
    why_side: np.ndarray  # int8[cap]
    why_kind: np.ndarray  # uint8[cap]
    why_head: np.ndarray  # int32[n] last why entry of each nation, -1 none
    why_next: np.ndarray  # int32[cap] the nation's previous entry
    # whom each entrant attacks first (entry = "enemies"), CSR over the entrants
    tg_ptr: np.ndarray  # int32[n + 1]
    tg: np.ndarray  # uint32[cap]
    mark: np.ndarray  # int64[n] stamp of the entrant that marked a nation
    # expected counts (only when the block tallies): P(joins A), P(joins D) of each
    # nation whose unaligned decision was taken and no pledge can hold back, fixed point
    un_k: np.ndarray  # uint32[n]
    un_a: np.ndarray  # int64[n]
    un_d: np.ndarray  # int64[n]
    counts: np.ndarray  # int64[10]: C_* and T_* entries


@jit(**INLINE_OPTIONS)
def new_scratch(w, cap):
    """Fresh scratch space for the world ``w`` with room for ``cap`` attacks.

    Index lists are uint32 so that numba emits no negative-index wraparound for them.
    """
    n = w.power.size
    m = max(w.ob_kind.size, 1)
    q = max(w.neu_key.size, 1)
    g = w.org_kind.size
    return Scratch(
        side=np.zeros(n, np.int8),
        aggr=np.zeros(n, np.uint8),
        nround=np.empty(n, np.int16),
        nvia=np.empty(n, np.int8),
        atwar=np.empty(n, np.uint32),
        aw_src=np.empty(n, np.int32),
        attacked=np.empty(n, np.uint32),
        att_flag=np.zeros(n, np.uint8),
        pull_flag=np.zeros(n, np.uint8),
        pull_rank_a=np.empty(n, np.int32),
        pull_rank_d=np.empty(n, np.int32),
        pulled=np.empty(n, np.uint32),
        entr=np.empty(n, np.uint32),
        entr_side=np.empty(n, np.int8),
        entr_rank=np.empty(n, np.int32),
        entr_aggr=np.empty(n, np.uint8),
        trig_decided=np.zeros(m, np.uint8),
        trig_touched=np.empty(m, np.uint32),
        honoured=np.empty(m, np.uint32),
        honoured_side=np.empty(m, np.int8),
        neu_state=np.zeros(q, np.uint8),
        neu_touched=np.empty(q, np.uint32),
        resp_round=np.full((g, n), -1, np.int16),
        resp_touched=np.empty(max(w.org_mem.size, 1), np.uint32),
        agg=np.empty((g, n), np.int32),
        n_agg=np.zeros(g, np.int32),
        agg_flag=np.zeros((g, n), np.uint8),
        agg_blocked=np.zeros(n, np.uint8),
        plan_fired=np.zeros(max(w.plan_nation.size, 1), np.uint8),
        dec0=np.zeros(n, np.uint8),
        in_head=np.full(n, -1, np.int32),
        out_head=np.full(n, -1, np.int32),
        n_in=np.zeros(n, np.int32),
        e_from=np.empty(cap, np.uint32),
        e_to=np.empty(cap, np.uint32),
        e_next_in=np.empty(cap, np.int32),
        e_next_out=np.empty(cap, np.int32),
        e_round=np.empty(cap, np.int16),
        e_aggr=np.empty(cap, np.uint8),
        why_nation=np.empty(cap, np.uint32),
        why_x=np.empty(cap, np.uint32),
        why_side=np.empty(cap, np.int8),
        why_kind=np.empty(cap, np.uint8),
        why_head=np.full(n, -1, np.int32),
        why_next=np.empty(cap, np.int32),
        tg_ptr=np.zeros(n + 1, np.int32),
        tg=np.empty(cap, np.uint32),
        mark=np.zeros(n, np.int64),
        un_k=np.empty(n, np.uint32),
        un_a=np.empty(n, np.int64),
        un_d=np.empty(n, np.int64),
        counts=np.zeros(10, np.int64),
    )


# ---------------------------------------------------------------------- joining, pulling


@jit(**INLINE_OPTIONS)
def join(sc, x, s, rnd, via, src, n_atwar):
    """Put nation ``x`` at war on side ``s``; returns the new at-war count."""
    sc.side[x] = s
    sc.nround[x] = rnd
    sc.nvia[x] = via
    q = np.uint64(n_atwar)  # unsigned: no negative-index wraparound code
    sc.atwar[q] = x
    sc.aw_src[q] = src
    return n_atwar + 1


@jit(**INLINE_OPTIONS)
def pull(sc, k, s, rank, off, n_pulled):
    """Pull nation ``k`` towards side ``s`` by source ``rank``; returns the new count.

    A nation pulled towards both sides stays out; the lowest rank names the source.
    ``off``: the pull is an honoured offense obligation (the entrant is an aggressor).
    """
    if sc.pull_flag[k] == 0:
        sc.pulled[np.uint64(n_pulled)] = k
        n_pulled += 1
        sc.pull_rank_a[k] = NO_RANK
        sc.pull_rank_d[k] = NO_RANK
    if s == SIDE_A:
        sc.pull_flag[k] |= PULL_A | (OFF_A if off else 0)
        sc.pull_rank_a[k] = min(sc.pull_rank_a[k], rank)
    else:
        sc.pull_flag[k] |= PULL_D | (OFF_D if off else 0)
        sc.pull_rank_d[k] = min(sc.pull_rank_d[k], rank)
    return n_pulled


@jit(**INLINE_OPTIONS)
def note_why(sc, k, s, x, kind):
    """Record that ``k`` was pulled to side ``s`` to help ``x`` or against ``x``."""
    c = sc.counts
    i = np.uint64(c[C_WHY])
    if i >= np.uint64(sc.why_x.size):
        c[C_OVERFLOW] = 1  # overflow: the block reruns the cascade with more room
        return
    sc.why_nation[i] = k
    sc.why_x[i] = x
    sc.why_side[i] = s
    sc.why_kind[i] = kind
    sc.why_next[i] = sc.why_head[k]
    sc.why_head[k] = np.int32(i)
    c[C_WHY] = np.int64(i) + 1


@jit(**INLINE_OPTIONS)
def clear_why(sc):
    """Forget the round's why entries (the lists of the nations that had any)."""
    c = sc.counts
    for i in range(np.uint64(c[C_WHY])):
        sc.why_head[sc.why_nation[i]] = -1
    c[C_WHY] = 0


@jit(**INLINE_OPTIONS)
def note_expected(sc, k, p, q):
    """Nation ``k`` joins side A with probability ``p (1 - q)`` and D with ``p q``, known now.

    Kept in fixed point (:data:`FIXED_ONE`) for the block's expected counts.
    """
    c = sc.counts
    i = np.uint64(c[C_EXPECTED])
    sc.un_k[i] = k
    sc.un_a[i] = np.int64(np.floor(p * (1.0 - q) * FIXED_ONE + 0.5))
    sc.un_d[i] = np.int64(np.floor(p * q * FIXED_ONE + 0.5))
    c[C_EXPECTED] = np.int64(i) + 1


# ---------------------------------------------------------------------- attacks


@jit(**INLINE_OPTIONS)
def must_answer(w, sc, o, a, v, aggression):
    """Whether organization ``o`` must answer ``a``'s attack on ``v`` (an ``aggression`` or not).

    The kernel's one home of the rule that makes ``a`` a culprit of ``o``
    (docs/model.md, "Organizations"; the reference's form is
    :meth:`escalate.engine.reference.cascade.Cascade.culprits`). Collective security:
    an aggression by a member against a member. Collective defense: an attack by a
    non-member on a member; under ``unprovoked`` only an aggression, against a member
    that is not itself an aggressor. Arbitration: never (it acts before the war).

    Whether ``v`` is an aggressor can change later in the round (a war plan of its
    own fires), never back within a cascade. So :func:`attack` asks when the attack
    happens, to list the candidates, and an ``unprovoked`` organization, the only one
    whose answer reads it, asks again of the round's attacks when it decides
    (:func:`escalate.engine.orgs.keep_culprits`).
    """
    kind = w.org_kind[o]
    if kind == ORG_ARBITRATION:
        return False
    if kind == ORG_COLLECTIVE_SECURITY:
        return aggression and w.org_member[o, a] != 0 and w.org_member[o, v] != 0
    if w.org_member[o, a] != 0 or w.org_member[o, v] == 0:
        return False
    return w.org_unprov[o] == 0 or (aggression and sc.aggr[v] == 0)


@jit(**INLINE_OPTIONS)
def add_aggressor(sc, o, a):
    """Add ``a`` to the culprits of organization ``o`` this round (once)."""
    if not sc.agg_flag[o, a]:
        sc.agg_flag[o, a] = 1
        sc.agg[o, sc.n_agg[o]] = a
        sc.n_agg[o] += 1


@jit(**INLINE_OPTIONS)
def attack(w, sc, a, v, r, aggression, n_att):
    """``a`` attacks ``v`` in round ``r``; returns the new count of attacked nations.

    Records the edge, lists ``v`` as attacked this round, and makes ``a`` a
    candidate culprit of each organization that must answer the attack
    (:func:`must_answer`, asked again when the organization decides).
    """
    c = sc.counts
    e = np.uint64(c[C_EDGES])
    if e >= np.uint64(sc.e_from.size):
        c[C_OVERFLOW] = 1  # overflow: the block reruns the cascade with more room
    else:
        sc.e_from[e] = a
        sc.e_to[e] = v
        sc.e_round[e] = r
        sc.e_aggr[e] = aggression
        sc.e_next_in[e] = sc.in_head[v]
        sc.in_head[v] = np.int32(e)
        sc.e_next_out[e] = sc.out_head[a]
        sc.out_head[a] = np.int32(e)
        sc.n_in[v] += 1
        c[C_EDGES] = np.int64(e) + 1
    if not sc.att_flag[v]:
        sc.att_flag[v] = 1
        sc.attacked[np.uint64(n_att)] = v
        n_att += 1
    for o in range(w.org_kind.size):
        if must_answer(w, sc, o, a, v, aggression):
            add_aggressor(sc, o, a)
    return n_att


@jit(**INLINE_OPTIONS)
def has_attacked(sc, x, j):
    """Whether ``x`` has attacked ``j``."""
    e = sc.in_head[j]
    while e >= 0:
        if sc.e_from[np.uint32(e)] == x:
            return True
        e = sc.e_next_in[np.uint32(e)]
    return False


@jit(**INLINE_OPTIONS)
def attacked_in(sc, c, h, r, aggression_only):
    """Whether ``c`` attacked ``h`` in round ``r`` (only by aggression if asked)."""
    e = sc.out_head[c]
    while e >= 0:
        eu = np.uint32(e)
        if sc.e_to[eu] == h:
            return sc.e_round[eu] == r and (sc.e_aggr[eu] != 0 or not aggression_only)
        e = sc.e_next_out[eu]
    return False


@jit(**INLINE_OPTIONS)
def at_war_with(w, sc, x, y):
    """Whether ``x`` and ``y`` are at war: opposite sides (model 2), an attack (model 3)."""
    sx = sc.side[x]
    if sx == NO_SIDE or sc.side[y] == NO_SIDE or sx == sc.side[y]:
        return False
    if w.model == 2:
        return True
    return has_attacked(sc, x, y) or has_attacked(sc, y, x)


@jit(**INLINE_OPTIONS)
def at_war_with_listed(w, sc, ptr, lst, e, j):
    """Whether a nation of list ``e`` of the CSR (``ptr``, ``lst``) is at war with ``j``."""
    for x in range(ptr[e], ptr[e + np.uint32(1)]):  # noqa: SIM110 - numba compiles no generators
        if at_war_with(w, sc, lst[x], j):
            return True
    return False


@jit(**INLINE_OPTIONS)
def enemy_power(w, sc, j, n_atwar):
    """The summed power of the nations at war with ``j``, in order of entry."""
    total = 0.0
    for x in range(n_atwar):
        c = sc.atwar[x]
        if at_war_with(w, sc, c, j):
            total += w.power[c]
    return total


@jit(**INLINE_OPTIONS)
def in_theatre(w, x, tmask):
    """Whether nation ``x``'s region is in the theatre ``tmask`` (a bit per region)."""
    reg = w.region[x]
    return reg >= 0 and (tmask >> reg) & 1 != 0


@jit(**INLINE_OPTIONS)
def logistic(z):
    """1 / (1 + exp(-z)); 0.0 where exp overflows (as the reference)."""
    return 1.0 / (1.0 + np.exp(-z))


@jit(**INLINE_OPTIONS)
def log_ratio(x, y):
    """log(x / y), each floored at ``POWER_FLOOR`` (as the reference)."""
    return np.log(max(x, 1e-6) / max(y, 1e-6))
