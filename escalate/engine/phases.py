"""The kernel's phases of a cascade, one function each (the rules of the reference).

Each phase follows a method of :class:`escalate.engine.reference.cascade.Cascade`
(read that first) on the flat arrays of
:class:`~escalate.engine.compile.WorldArrays` and the block's
:class:`~escalate.engine.state.Scratch`. They are inlined into the cascade at
numba-IR level, so the split costs nothing at run time.
"""

from __future__ import annotations

import numpy as np

from .codes import (
    H_AGGR,
    H_DEPTH,
    H_POWER,
    H_THEATRE,
    NO_SIDE,
    NO_SOURCE,
    OB_OFFENSE,
    ON_UNALIGNED,
    SIDE_A,
    SIDE_D,
    VIA_INITIAL,
    VIA_ORGANIZATION,
    VIA_PLAN,
    VIA_UNALIGNED,
    other_side,
)
from .options import INLINE_OPTIONS, jit
from .orgs import cond_holds
from .rng import draw_bits, uniform
from .state import (
    AGGR_ENTRY,
    AGGR_PLAN,
    C_OVERFLOW,
    C_STAMP,
    FAILS,
    HOLDS,
    OFF_A,
    OFF_D,
    PULL_A,
    PULL_BOTH,
    UNDRAWN,
    WHY_CULPRIT,
    WHY_FRIEND,
    at_war_with,
    at_war_with_listed,
    attack,
    enemy_power,
    in_theatre,
    join,
    log_ratio,
    logistic,
    note_expected,
    note_why,
    pull,
)

__all__ = ["decide", "enter", "entries", "obligations", "plans", "round_zero", "unaligned"]


@jit(**INLINE_OPTIONS)
def decide(w, sc, rs, key, thr, logit, static, k, j, r, tmask, n_atwar):
    """Whether obligor ``k`` honours an obligation towards ``j`` (draw ``key``).

    Fixed (or logistic with no covariate that moves): the draw against the threshold
    ``thr``. Else p = 1 / (1 + exp(-z)), z = ``static`` plus the covariates
    ``in_theatre``, ``aggressor``, ``depth`` and ``power`` times their coefficients,
    in that order (:meth:`escalate.engine.reference.world.Context.honour`).
    """
    if not logit:
        return draw_bits(rs, key) < thr
    h = w.h_slope
    z = static
    z += h[H_THEATRE] * (1.0 if in_theatre(w, k, tmask) else 0.0)
    z += h[H_AGGR] * (1.0 if sc.aggr[j] != 0 else 0.0)
    z += h[H_DEPTH] * r
    if h[H_POWER] != 0.0:
        z += h[H_POWER] * log_ratio(w.power[k], enemy_power(w, sc, j, n_atwar))
    return uniform(rs, key) < logistic(z)


@jit(**INLINE_OPTIONS)
def round_zero(w, sc, ini, tgt, n_att):
    """Every initiator (an aggressor) attacks every target; returns the counts."""
    n_atwar = 0
    n_i = w.inc_inits.size if not w.inc_random else 1
    n_t = w.inc_targs.size if not w.inc_random else 1
    for z in range(n_i):
        a = ini if w.inc_random else w.inc_inits[z]
        n_atwar = join(sc, a, SIDE_A, 0, VIA_INITIAL, NO_SOURCE, n_atwar)
        sc.aggr[a] = AGGR_ENTRY
    for z in range(n_t):
        t = tgt if w.inc_random else w.inc_targs[z]
        n_atwar = join(sc, t, SIDE_D, 0, VIA_INITIAL, NO_SOURCE, n_atwar)
    for z in range(n_i):
        a = ini if w.inc_random else w.inc_inits[z]
        for y in range(n_t):
            t = tgt if w.inc_random else w.inc_targs[y]
            n_att = attack(w, sc, a, t, 0, True, n_att)
    return n_atwar, n_att


@jit(**INLINE_OPTIONS)
def plans(w, sc, rs, r, n_atwar, n_att, last_round):
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
                if at_war_with(w, sc, pn, w.plan_trig[e]):
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
                        sc.aggr[pn] = AGGR_PLAN
                    n_atwar = join(sc, v, other_side(mine), r, VIA_PLAN, n_src_plan + pn, n_atwar)
                    n_att = attack(w, sc, pn, v, r, True, n_att)
                    last_round = r
    return n_atwar, n_att, last_round


@jit(**INLINE_OPTIONS)
def _decided(w, sc, e, k, n_obt, mark0):
    """Mark trigger entry ``e`` (obligor ``k``) decided; returns the touched count."""
    sc.trig_decided[e] = 1
    sc.trig_touched[np.uint64(n_obt)] = e
    if mark0:
        sc.dec0[k] = 1
    return n_obt + 1


@jit(**INLINE_OPTIONS)
def obligations(w, sc, rs, r, tmask, new_lo, n_atwar, n_att, n_obt, broken, conflicted):  # noqa: C901
    # (complexity: one loop per trigger segment of the hottest phase, kept in one
    # function so that the honoured buffer and counters stay in registers)
    """Decide the obligations triggered this round; the honoured ones pull their obligors.

    Honoured entries are collected in a buffer, then pull their obligors. Obligations
    with conditions are stored apart (trigger segments 2 and 3) and checked on a
    slower path. Returns the pulled count, the count of decided entries, the broken
    promises and the conflicted ones.
    """
    n1 = np.uint32(w.power.size + 1)
    mark0 = r == 0 and w.coef_on[ON_UNALIGNED] != 0
    n_hon = np.uint64(0)  # unsigned: no negative-index wraparound code
    # Offense obligations without condition towards nations newly at war. A nation is
    # newly at war once per cascade, so these need no "decided" marks.
    for li in range(new_lo, n_atwar):
        j = sc.atwar[li]
        sj = sc.side[j]
        for e in range(w.trig_ptr[j], w.trig_ptr[j + np.uint32(1)]):
            k = w.trig_obligor[e]
            sk = sc.side[k]
            if mark0 and sk != sj:
                sc.dec0[k] = 1
            if sk != NO_SIDE:  # at war already: on j's side, or against its protege
                conflicted += np.int64(sk != sj)
                continue
            ok = decide(w, sc, rs, w.trig_key[e], w.trig_thr[e], w.trig_logit[e],
                        w.trig_static[e], k, j, r, tmask, n_atwar)  # fmt: skip
            sc.honoured[n_hon] = e
            sc.honoured_side[n_hon] = sj
            n_hon += np.uint64(ok)
            broken += np.int64(1) - np.int64(ok)
    # The others: defense and entente obligations without condition towards nations
    # attacked this round (segment 1), offense ones with conditions towards every
    # nation at war (2), defense/entente ones with conditions towards the attacked (3).
    for seg in range(1, 4):
        if seg == 2 and not w.cond_offense:
            continue
        if seg == 3 and not w.cond_defense:
            continue
        for li in range(n_atwar if seg == 2 else n_att):
            j = sc.atwar[li] if seg == 2 else sc.attacked[li]
            sj = sc.side[j]
            jj = n1 * np.uint32(seg) + j
            for e in range(w.trig_ptr[jj], w.trig_ptr[jj + np.uint32(1)]):
                if sc.trig_decided[e]:
                    continue
                if seg > 1 and not cond_holds(w, sc, w.trig_ob[e], j, tmask, False):
                    continue
                k = w.trig_obligor[e]
                sk = sc.side[k]
                if sk == sj:
                    continue
                n_obt = _decided(w, sc, e, k, n_obt, mark0)
                if sk != NO_SIDE:
                    conflicted += 1
                    continue
                ok = decide(w, sc, rs, w.trig_key[e], w.trig_thr[e], w.trig_logit[e],
                            w.trig_static[e], k, j, r, tmask, n_atwar)  # fmt: skip
                sc.honoured[n_hon] = e
                sc.honoured_side[n_hon] = sj
                n_hon += np.uint64(ok)
                broken += np.int64(1) - np.int64(ok)
    # the honoured obligations pull their obligors; the lowest rank is the source
    n_pulled = 0
    for x in range(n_hon):
        e = sc.honoured[x]
        rank = w.trig_ob[e]
        s = sc.honoured_side[x]
        k = w.trig_obligor[e]
        n_pulled = pull(sc, k, s, rank, w.ob_kind[rank] == OB_OFFENSE, n_pulled)
        if w.entry_enemies:
            note_why(sc, k, s, w.ob_protege[rank], WHY_FRIEND)
    return n_pulled, n_obt, broken, conflicted


@jit(**INLINE_OPTIONS)
def _party(w, x, ini, tgt):
    """The side of ``x`` among the incident's parties (NO_SIDE: not a party)."""
    if w.inc_random:
        return SIDE_A if x == ini else (SIDE_D if x == tgt else NO_SIDE)
    return w.inc_party[x]


@jit(**INLINE_OPTIONS)
def side_powers(w, ini, tgt):
    """The summed power of the incident's parties on side A and on side D."""
    p_a = 0.0
    p_d = 0.0
    for z in range(1 if w.inc_random else w.inc_inits.size):
        p_a += w.power[ini if w.inc_random else w.inc_inits[z]]
    for z in range(1 if w.inc_random else w.inc_targs.size):
        p_d += w.power[tgt if w.inc_random else w.inc_targs[z]]
    return p_a, p_d


@jit(**INLINE_OPTIONS)
def entry_logit(c, major, in_theatre, log_power, ties):
    """The log-odds that a nation enters unaligned (``c``: ``un_coef``; covariates as floats).

    ``major``, ``in_theatre`` and ``ties`` (it owes a belligerent) are 1.0 or 0.0;
    ``log_power`` is :func:`~escalate.engine.state.log_ratio` of its power to the total.
    """
    z = c[0]
    z += c[1] * major
    z += c[2] * in_theatre
    z += c[3] * log_power
    z += c[4] * ties
    return z


@jit()
def entry_chances(c, power, major, total_power, out):
    """Fill ``out[k, 2 * in_theatre + ties]`` with nation ``k``'s chance of entering unaligned.

    The logistic of :func:`entry_logit`, by whether ``k`` is in the theatre and owes a
    belligerent: the only covariates that change during a run, so that a decision
    looks its chance up instead of computing a log and an exp (the same operations,
    so the same bits).
    """
    for k in range(power.size):
        log_power = log_ratio(power[k], total_power)
        m = 1.0 if major[k] else 0.0
        for th in range(2):
            for t in range(2):
                z = entry_logit(c, m, 1.0 if th else 0.0, log_power, 1.0 if t else 0.0)
                out[k, 2 * th + t] = logistic(z)


@jit(**INLINE_OPTIONS)
def entry_chance(w, k, tmask, ties):
    """Nation ``k``'s chance of entering unaligned (``ties``: 1 if it owes a belligerent)."""
    return w.un_p[k, (2 if in_theatre(w, k, tmask) else 0) + ties]


@jit(**INLINE_OPTIONS)
def side_logit(c, log_power_ratio, t_a, t_d):
    """The log-odds that an unaligned entrant takes side D.

    ``log_power_ratio``: :func:`~escalate.engine.state.log_ratio` of side D's power to
    side A's; ``t``: its obligations to each side.
    """
    zs = c[5]
    zs += c[6] * log_power_ratio
    zs += c[7] * float(t_d - t_a)
    return zs


@jit(**INLINE_OPTIONS)
def unaligned(w, sc, rs, ini, tgt, tmask, n_pulled, expect):
    """Version 3, after round 0's obligations: nations without one may join.

    As :meth:`escalate.engine.reference.cascade.Cascade.unaligned`. Returns the
    pulled count; clears ``dec0``. ``expect``: also note, for each nation whose
    decision is taken and that owes no neutrality pledge (so that a pull is an entry),
    its chances of joining each side (:func:`~escalate.engine.state.note_expected`).
    """
    p_a, p_d = side_powers(w, ini, tgt)
    log_pd_pa = log_ratio(p_d, p_a)
    rank = w.ob_kind.size + w.org_kind.size
    for k in range(w.power.size):
        if sc.side[k] != NO_SIDE or sc.pull_flag[k] != 0 or sc.dec0[k]:
            sc.dec0[k] = 0
            continue
        ties = 0
        for e in range(w.owe_ptr[k], w.owe_ptr[k + 1]):
            if sc.side[w.owe_prot[e]] != NO_SIDE:
                ties = 1
                break
        p = entry_chance(w, k, tmask, ties)
        enters = uniform(rs, w.un_key[k]) < p
        known = expect and w.neu_ptr[k + np.uint32(1)] == w.neu_ptr[k]
        if not (enters or known):
            continue
        t_a = 0
        t_d = 0
        for e in range(w.owe_ptr[k], w.owe_ptr[k + 1]):
            ps = _party(w, w.owe_prot[e], ini, tgt)
            t_a += ps == SIDE_A
            t_d += ps == SIDE_D
        q = logistic(side_logit(w.un_coef, log_pd_pa, t_a, t_d))
        if known:
            note_expected(sc, k, p, q)
        if not enters:
            continue
        s = SIDE_D if uniform(rs, w.un_side_key[k]) < q else SIDE_A
        n_pulled = pull(sc, k, s, rank, False, n_pulled)
        if w.entry_enemies:
            for x in range(w.power.size):
                if _party(w, x, ini, tgt) == other_side(s):
                    note_why(sc, k, s, x, WHY_CULPRIT)
    return n_pulled


@jit(**INLINE_OPTIONS)
def _neutrality(w, sc, rs, k, s, r, tmask, n_atwar, n_neut):
    """Nation ``k``'s neutrality pledges towards nations at war against side ``s``.

    Returns whether one holds ``k`` back, how many failed, and the drawn count.
    """
    held = False
    failed = 0
    for e in range(w.neu_ptr[k], w.neu_ptr[k + np.uint32(1)]):
        j = w.neu_protege[e]
        sj = sc.side[j]
        if sj in (NO_SIDE, s):
            continue
        if w.neu_located[e] and not in_theatre(w, j, tmask):
            continue
        if w.neu_unprov[e] and sc.aggr[j] != 0:
            continue
        # a pledge with ``against`` matters only while a listed nation fights j
        if w.neu_ag_ptr[e + np.uint32(1)] > w.neu_ag_ptr[e] and not at_war_with_listed(
            w, sc, w.neu_ag_ptr, w.neu_ag, e, j
        ):
            continue
        st = sc.neu_state[e]
        if st == UNDRAWN:
            holds = decide(w, sc, rs, w.neu_key[e], w.neu_thr[e], w.neu_logit[e],
                           w.neu_static[e], k, j, r, tmask, n_atwar)  # fmt: skip
            st = HOLDS if holds else FAILS
            sc.neu_state[e] = st
            sc.neu_touched[np.uint64(n_neut)] = e
            n_neut += 1
        if st == HOLDS:
            held = True
        else:
            failed += 1
    return held, failed, n_neut


@jit(**INLINE_OPTIONS)
def entries(w, sc, rs, r, tmask, n_atwar, n_pulled, n_neut, broken):
    """The pulled nations that enter next round, in canonical (index) order.

    Returns the entrant count, the count of drawn pledges and the broken promises.
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
    for x in range(n_pulled):
        k = pulled[x]
        flag = sc.pull_flag[k]
        sc.pull_flag[k] = 0
        if flag & PULL_BOTH == PULL_BOTH:
            continue
        s = SIDE_A if flag & PULL_A else SIDE_D
        held, failed, n_neut = _neutrality(w, sc, rs, k, s, r, tmask, n_atwar, n_neut)
        if held:
            continue
        broken += failed
        q = np.uint64(n_entr)  # unsigned: no negative-index wraparound code
        sc.entr[q] = k
        sc.entr_side[q] = s
        sc.entr_aggr[q] = (flag & (OFF_A | OFF_D)) != 0
        sc.entr_rank[q] = sc.pull_rank_a[k] if s == SIDE_A else sc.pull_rank_d[k]
        n_entr += 1
    return n_entr, n_neut, broken


@jit(**INLINE_OPTIONS)
def _first_targets(w, sc, n_entr):
    """``entry = "enemies"``: each entrant's targets among those already at war.

    The nations at war with its friends (the proteges that pulled it in) and the
    culprits it was pulled against, as a CSR over the entrants (``tg_ptr``, ``tg``).
    Computed before the entrants join.
    """
    c = sc.counts
    n_tg = np.uint64(0)  # unsigned indices: no negative-index wraparound code
    cap = np.uint64(sc.tg.size)
    sc.tg_ptr[0] = 0
    for x in range(n_entr):
        k = sc.entr[x]
        s = sc.entr_side[x]
        os = other_side(s)
        c[C_STAMP] += 1
        stamp = c[C_STAMP]
        i = sc.why_head[k]
        while i >= 0:  # the reasons k was pulled, on its own list
            iu = np.uint32(i)
            if sc.why_side[iu] != s:
                i = sc.why_next[iu]
                continue
            f = sc.why_x[iu]
            if sc.why_kind[iu] == WHY_CULPRIT:
                if sc.side[f] == os and sc.mark[f] != stamp and n_tg < cap:
                    sc.mark[f] = stamp
                    sc.tg[n_tg] = f
                    n_tg += np.uint64(1)
                i = sc.why_next[iu]
                continue
            for way in range(2):  # the attackers of f, then its victims
                e = sc.in_head[f] if way == 0 else sc.out_head[f]
                while e >= 0:
                    eu = np.uint32(e)
                    y = sc.e_from[eu] if way == 0 else sc.e_to[eu]
                    if sc.side[y] == os and sc.mark[y] != stamp and n_tg < cap:
                        sc.mark[y] = stamp
                        sc.tg[n_tg] = y
                        n_tg += np.uint64(1)
                    e = sc.e_next_in[eu] if way == 0 else sc.e_next_out[eu]
            i = sc.why_next[iu]
        if n_tg >= cap:
            c[C_OVERFLOW] = 1  # overflow: the block reruns the cascade with more room
        sc.tg_ptr[x + 1] = n_tg


@jit(**INLINE_OPTIONS)
def _attacks_friend(sc, xe, stamp):
    """Whether entrant ``xe``'s first targets include a nation marked ``stamp``."""
    for i in range(sc.tg_ptr[xe], sc.tg_ptr[xe + 1]):  # noqa: SIM110 - numba compiles no generators
        if sc.mark[sc.tg[i]] == stamp:
            return True
    return False


@jit(**INLINE_OPTIONS)
def _same_round(w, sc, k, s, r, aggression, n_entr, n_att):
    """Entrant ``k`` (side ``s``) attacks the other side's entrants that attack its friends."""
    c = sc.counts
    c[C_STAMP] += 1
    stamp = c[C_STAMP]
    i = sc.why_head[k]
    while i >= 0:  # mark k's friends
        if sc.why_side[i] == s and sc.why_kind[i] == WHY_FRIEND:
            sc.mark[sc.why_x[i]] = stamp
        i = sc.why_next[i]
    for xe in range(n_entr):
        if sc.entr_side[xe] != s and _attacks_friend(sc, xe, stamp):
            n_att = attack(w, sc, k, sc.entr[xe], r, aggression, n_att)
    return n_att


@jit(**INLINE_OPTIONS)
def enter(w, sc, r, n_entr, n_atwar):
    """The entrants of round ``r`` enter at once and attack.

    ``entry = "side"``: every nation on the other side, its entrants included.
    ``entry = "enemies"``: their first targets, and the entrants of the other side
    that attack one of their friends. Returns the at-war count, the attacked count
    and the index of the first entrant in ``atwar``.
    """
    m = w.ob_kind.size
    n_un = m + w.org_kind.size
    if w.entry_enemies:
        _first_targets(w, sc, n_entr)
    new_lo = n_atwar
    any_a = False
    any_d = False
    for x in range(n_entr):
        k = sc.entr[x]
        rank = sc.entr_rank[x]
        if sc.entr_side[x] == SIDE_A:
            any_a = True
        else:
            any_d = True
        if rank < m:
            via, src = w.ob_kind[rank], rank
        elif rank < n_un:
            via, src = VIA_ORGANIZATION, rank
        else:
            via, src = VIA_UNALIGNED, NO_SOURCE
        n_atwar = join(sc, k, sc.entr_side[x], r, via, src, n_atwar)
        sc.aggr[k] = AGGR_ENTRY if sc.entr_aggr[x] else 0
    n_att = 0
    for x in range(n_entr):
        k = sc.entr[x]
        s = sc.entr_side[x]
        aggression = sc.entr_aggr[x] != 0
        if not w.entry_enemies:
            for y in range(n_atwar):
                v = sc.atwar[y]
                if sc.side[v] != s:
                    n_att = attack(w, sc, k, v, r, aggression, n_att)
            continue
        for i in range(sc.tg_ptr[x], sc.tg_ptr[x + 1]):
            n_att = attack(w, sc, k, sc.tg[i], r, aggression, n_att)
        if any_a and any_d:  # entrants on both sides: those that attack k's friends
            n_att = _same_round(w, sc, k, s, r, aggression, n_entr, n_att)
    return n_atwar, n_att, new_lo
