"""The numba cascade kernel: a chunk of replicates of one compiled world.

Arrays in, arrays out; no I/O and no Python objects. The semantics are those of
:mod:`escalate.reference` (read that first); this file implements them on the
flat arrays of :class:`~escalate.compile.CompiledWorld` with per-thread scratch
space that is reset sparsely (only what a cascade touched), so a small cascade
costs a few hundred nanoseconds whatever the size of the world.

Replicates are split into fixed blocks of :data:`BLOCK` and the blocks run in
parallel with ``prange``. Every draw is keyed by (seed, replicate, decision), so
the output does not depend on the number of threads or on the chunking.

Most of the time goes to obligations. Each trigger entry carries its obligor, draw
key and threshold in arrays stored in entry order (``trig_*``); the draw is compared
with no branch (whether a promise is kept is a coin flip a branch predictor cannot
learn) and honoured entries are collected for the round, then pull their obligors.
Index arrays and the output index are unsigned, which spares numba's
negative-index wraparound code.
"""

from __future__ import annotations

import numpy as np
from numba import prange

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

__all__ = ["BLOCK", "run_chunk"]

BLOCK = 512
SIDE_A = 1
SIDE_D = 2
VIA_INITIAL, VIA_DEFENSE, VIA_OFFENSE, VIA_ENTENTE, VIA_PLAN, VIA_ORGANIZATION = range(6)
LEVEL_DIPLOMACY, LEVEL_SANCTIONS, LEVEL_MILITARY = 1, 2, 3

_KEY_INIT = np.uint64(decision_key(KIND_INCIDENT_INITIATOR))
_KEY_TARG = np.uint64(decision_key(KIND_INCIDENT_TARGET))
_KEY_DETER = np.uint64(decision_key(KIND_DETERRENCE))
_KEY_OUTCOME = np.uint64(decision_key(KIND_OUTCOME))


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
def _join(x, s, rnd, via, src, side, atwar, aw_round, aw_via, aw_src, n_atwar, org_member, cnt):
    """Put nation ``x`` at war on side ``s``; returns the new at-war count."""
    side[x] = s
    atwar[n_atwar] = x
    aw_round[n_atwar] = rnd
    aw_via[n_atwar] = via
    aw_src[n_atwar] = src
    for o in range(org_member.shape[0]):
        if org_member[o, x]:
            cnt[o, s] += 1
    return n_atwar + 1


@jit(**INLINE_OPTIONS)
def _pull(k, s, rank, pulled, n_pulled, pull_flag, pull_rank_a, pull_rank_d):
    """Pull nation ``k`` towards side ``s`` by source ``rank``; returns the new count.

    A nation pulled towards both sides stays out; the lowest rank names the source.
    """
    if pull_flag[k] == 0:
        pulled[n_pulled] = k
        n_pulled += 1
        pull_rank_a[k] = 2147483647
        pull_rank_d[k] = 2147483647
    if s == SIDE_A:
        pull_flag[k] |= 1
        pull_rank_a[k] = min(pull_rank_a[k], rank)
    else:
        pull_flag[k] |= 2
        pull_rank_d[k] = min(pull_rank_d[k], rank)
    return n_pulled


@jit(**INLINE_OPTIONS)
def _add_aggressor(o, a, agg, n_agg, agg_flag):
    if not agg_flag[o, a]:
        agg_flag[o, a] = 1
        agg[o, n_agg[o]] = a
        n_agg[o] += 1


@jit(**INLINE_OPTIONS)
def _specific_aggression(a, v, org_kind, org_member, agg, n_agg, agg_flag):
    for o in range(org_kind.size):
        if org_kind[o] == 0:
            hit = org_member[o, a] and org_member[o, v]
        else:
            hit = (not org_member[o, a]) and org_member[o, v]
        if hit:
            _add_aggressor(o, a, agg, n_agg, agg_flag)


@jit(**INLINE_OPTIONS)
def _contest(p_a, p_d, m):
    """P(side A wins) = p_a^m / (p_a^m + p_d^m); as :func:`escalate.reference.contest`.

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


@jit(**PARALLEL_OPTIONS)
def run_chunk(
    seed,
    start,
    count,
    want_parts,
    # world (CompiledWorld.kernel_args order)
    power,
    major,
    total_power,
    ob_kind,
    ob_obligor,
    ob_protege,
    ob_rel,
    prot_ptr,
    prot_ob,
    trig_ptr,
    trig_ob,
    trig_obligor,
    trig_key,
    trig_thr,
    neu_ptr,
    neu_protege,
    neu_rel,
    neu_key,
    org_kind,
    org_member,
    org_holder,
    org_static_block,
    org_mem_ptr,
    org_mem,
    org_mem_key,
    org_cum,
    org_cap,
    plan_nation,
    plan_prob,
    plan_key,
    plan_trig_ptr,
    plan_trig,
    plan_att_ptr,
    plan_att,
    inc_random,
    inc_initiator,
    inc_target,
    init_cand,
    init_w,
    targ_cand,
    targ_w,
    max_rounds,
    world_war_majors,
    deterrence,
    contest_exponent,
    sanction_effect,
    # outputs
    o_initiator,
    o_target,
    o_deterred,
    o_belligerents,
    o_side_a,
    o_side_d,
    o_majors,
    o_rounds,
    o_broken,
    o_sanctions,
    o_diplomacy,
    o_share,
    o_vetoed,
    o_winner,
    o_world_war,
    p_nation,
    p_side,
    p_round,
    p_via,
    p_source,
):
    """Run replicates ``start .. start + count - 1`` and fill the output arrays."""
    n = power.size
    m = ob_kind.size
    g = org_kind.size
    n_plans = plan_nation.size
    n_src_org = m
    n_src_plan = m + g
    useed = np.uint64(seed)
    nblocks = (count + BLOCK - 1) // BLOCK
    seed_st = seed_state(useed)
    # with no defense or entente obligations nobody needs the list of attacked nations
    has_att = trig_ptr[2 * n + 1] > trig_ptr[n + 1]
    for b in prange(nblocks):
        # ---- per-block scratch, reset sparsely after each cascade. Index lists are
        # uint32 so that numba emits no negative-index wraparound for them.
        side = np.zeros(n, np.int8)
        atwar = np.empty(n, np.uint32)
        aw_round = np.empty(n, np.int16)
        aw_via = np.empty(n, np.int8)
        aw_src = np.empty(n, np.int32)
        attacked = np.empty(n, np.uint32)
        pull_flag = np.zeros(n, np.uint8)
        pull_rank_a = np.empty(n, np.int32)
        pull_rank_d = np.empty(n, np.int32)
        pulled = np.empty(n, np.uint32)
        entr = np.empty(n, np.uint32)
        entr_side = np.empty(n, np.int8)
        entr_rank = np.empty(n, np.int32)
        trig_decided = np.zeros(max(m, 1), np.uint8)  # by trigger entry
        trig_touched = np.empty(max(m, 1), np.uint32)
        honoured = np.empty(max(m, 1), np.uint32)  # trigger entries honoured this round
        honoured_side = np.empty(max(m, 1), np.int8)  # ... and the side they join
        neu_state = np.zeros(max(neu_key.size, 1), np.uint8)  # 0 undrawn, 1 holds, 2 fails
        neu_touched = np.empty(max(neu_key.size, 1), np.uint32)
        resp_round = np.full((g, n), -1, np.int16)
        resp_level = np.zeros((g, n), np.int8)
        resp_touched = np.empty(max(org_mem.size, 1), np.uint32)
        agg = np.empty((g, n), np.int32)
        n_agg = np.zeros(g, np.int32)
        agg_flag = np.zeros((g, n), np.uint8)
        agg_blocked = np.zeros(n, np.uint8)
        cnt = np.zeros((g, 3), np.int32)
        plan_fired = np.zeros(max(n_plans, 1), np.uint8)
        lo = b * BLOCK
        hi = min(count, lo + BLOCK)
        for qi in range(lo, hi):
            q = np.uint64(qi)  # unsigned: no wraparound code on the output stores
            rs = replicate_state(seed_st, np.uint64(start + qi))
            # ---- incident
            if inc_random:
                ini = _pick(init_cand, init_w, -1, uniform(rs, _KEY_INIT))
                tgt = _pick(targ_cand, targ_w, ini, uniform(rs, _KEY_TARG))
            else:
                ini = inc_initiator
                tgt = inc_target
            o_initiator[q] = ini
            o_target[q] = tgt
            # ---- deterrence
            if deterrence > 0.0:
                facing = power[tgt]
                for e in range(prot_ptr[tgt], prot_ptr[tgt + 1]):
                    ob = prot_ob[e]
                    if ob_obligor[ob] != ini:
                        facing += ob_rel[ob] * power[ob_obligor[ob]]
                own = power[ini]
                for e in range(prot_ptr[ini], prot_ptr[ini + 1]):
                    ob = prot_ob[e]
                    if ob_kind[ob] == VIA_OFFENSE and ob_obligor[ob] != tgt:
                        own += ob_rel[ob] * power[ob_obligor[ob]]
                both = own + facing
                p_back = deterrence * (facing / both) if both > 0.0 else 0.0
                if uniform(rs, _KEY_DETER) < p_back:
                    o_deterred[q] = True
                    o_belligerents[q] = 0
                    o_side_a[q] = 0
                    o_side_d[q] = 0
                    o_majors[q] = 0
                    o_rounds[q] = 0
                    o_broken[q] = 0
                    o_sanctions[q] = 0
                    o_diplomacy[q] = 0
                    o_share[q] = 0.0
                    o_vetoed[q] = False
                    o_winner[q] = 0
                    o_world_war[q] = False
                    continue
            o_deterred[q] = False

            # ---- round 0
            n_atwar = 0
            for z in range(2):  # the initiator on side A, the target on side D
                n_atwar = _join(
                    ini if z == 0 else tgt,
                    SIDE_A if z == 0 else SIDE_D,
                    0,
                    VIA_INITIAL,
                    -1,
                    side,
                    atwar,
                    aw_round,
                    aw_via,
                    aw_src,
                    n_atwar,
                    org_member,
                    cnt,
                )
            new_lo = 0
            attacked[0] = tgt
            n_att = 1
            _specific_aggression(ini, tgt, org_kind, org_member, agg, n_agg, agg_flag)
            n_obt = 0
            n_neut = 0
            n_respt = 0
            broken = 0
            sanctions = 0
            diplomacy = 0
            sanc_a = 0
            sanc_d = 0
            vetoed = False
            last_round = 0
            r = 0
            while True:
                # 1. plans
                changed = n_plans > 0
                while changed:
                    changed = False
                    for pi in range(n_plans):
                        if plan_fired[pi]:
                            continue
                        pn = plan_nation[pi]
                        mine = side[pn]
                        if mine == 0:
                            continue
                        hit = False
                        for e in range(plan_trig_ptr[pi], plan_trig_ptr[pi + 1]):
                            sq = side[plan_trig[e]]
                            if sq != 0 and sq != mine:
                                hit = True
                                break
                        if not hit:
                            continue
                        plan_fired[pi] = 1
                        changed = True
                        if uniform(rs, plan_key[pi]) < plan_prob[pi]:
                            for e in range(plan_att_ptr[pi], plan_att_ptr[pi + 1]):
                                v = plan_att[e]
                                if side[v] != 0:
                                    continue
                                n_atwar = _join(
                                    v,
                                    3 - mine,
                                    r,
                                    VIA_PLAN,
                                    n_src_plan + pn,
                                    side,
                                    atwar,
                                    aw_round,
                                    aw_via,
                                    aw_src,
                                    n_atwar,
                                    org_member,
                                    cnt,
                                )
                                attacked[n_att] = v
                                n_att += 1
                                _specific_aggression(
                                    pn, v, org_kind, org_member, agg, n_agg, agg_flag
                                )
                                last_round = r
                if r == max_rounds:
                    break

                # 2. obligations
                n_pulled = 0
                # The draws are compared without a branch and the honoured entries
                # collected in a buffer: whether an obligation is honoured is a coin
                # flip, and a mispredicted branch costs more than the draw itself.
                # Offense obligations towards nations newly at war. A nation is newly
                # at war once per cascade, so these need no "decided" marks.
                n_hon = 0
                for li in range(new_lo, n_atwar):
                    j = atwar[li]
                    sj = side[j]
                    for e in range(trig_ptr[j], trig_ptr[j + np.uint32(1)]):
                        sk = side[trig_obligor[e]]
                        if sk != 0:  # at war already: on j's side, or a broken promise
                            broken += np.int64(sk != sj)
                            continue
                        ok = np.int64(draw_bits(rs, trig_key[e]) < trig_thr[e])  # u < rel
                        honoured[n_hon] = e
                        honoured_side[n_hon] = sj
                        n_hon += ok
                        broken += 1 - ok
                # Defense and entente obligations towards nations attacked this round,
                # each decided once per cascade (trig_* holds both CSRs back to back).
                base = np.uint32(n + 1)
                for li in range(n_att):
                    j = attacked[li]
                    sj = side[j]
                    jj = base + j  # unsigned: no wraparound code
                    for e in range(trig_ptr[jj], trig_ptr[jj + np.uint32(1)]):
                        if trig_decided[e]:
                            continue
                        sk = side[trig_obligor[e]]
                        if sk != 0:
                            if sk == sj:
                                continue
                            trig_decided[e] = 1
                            trig_touched[n_obt] = e
                            n_obt += 1
                            broken += 1
                            continue
                        trig_decided[e] = 1
                        trig_touched[n_obt] = e
                        n_obt += 1
                        ok = np.int64(draw_bits(rs, trig_key[e]) < trig_thr[e])
                        honoured[n_hon] = e
                        honoured_side[n_hon] = sj
                        n_hon += ok
                        broken += 1 - ok
                # the honoured obligations pull their obligors; the lowest rank is the source
                for x in range(n_hon):
                    e = honoured[x]
                    n_pulled = _pull(
                        trig_obligor[e],
                        honoured_side[x],
                        trig_ob[e],
                        pulled,
                        n_pulled,
                        pull_flag,
                        pull_rank_a,
                        pull_rank_d,
                    )

                # 3. organizations
                for o in range(g):
                    na = n_agg[o]
                    if na == 0:
                        continue
                    any_blocked = False
                    for ai in range(na):
                        a = agg[o, ai]
                        blk = org_static_block[o, a] != 0
                        if not blk:
                            for e in range(org_mem_ptr[o], org_mem_ptr[o + 1]):
                                h = org_mem[e]
                                if org_holder[o, h] and side[h] == side[a]:
                                    blk = True
                                    break
                        agg_blocked[ai] = blk
                        if blk:
                            any_blocked = True
                    if any_blocked:
                        vetoed = True
                    cap = org_cap[o]
                    for e in range(org_mem_ptr[o], org_mem_ptr[o + 1]):
                        mm = org_mem[e]
                        if side[mm] != 0 or resp_round[o, mm] >= 0:
                            continue
                        u = uniform(rs, org_mem_key[e])
                        if u < org_cum[o, 0]:
                            level = LEVEL_MILITARY
                        elif u < org_cum[o, 1]:
                            level = LEVEL_SANCTIONS
                        elif u < org_cum[o, 2]:
                            level = LEVEL_DIPLOMACY
                        else:
                            level = 0
                        resp_round[o, mm] = r
                        resp_level[o, mm] = level
                        resp_touched[n_respt] = o * n + mm
                        n_respt += 1
                        top = 0
                        s_a = False
                        s_d = False
                        for ai in range(na):
                            a = agg[o, ai]
                            la = min(level, cap) if agg_blocked[ai] else level
                            top = max(top, la)
                            if la == LEVEL_MILITARY:  # against a: towards the other side
                                n_pulled = _pull(
                                    mm,
                                    3 - side[a],
                                    n_src_org + o,
                                    pulled,
                                    n_pulled,
                                    pull_flag,
                                    pull_rank_a,
                                    pull_rank_d,
                                )
                            elif la == LEVEL_SANCTIONS:
                                if side[a] == SIDE_A:
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
                        agg_flag[o, agg[o, ai]] = 0
                    n_agg[o] = 0

                # 4. entries: canonical (index) order
                for x in range(1, n_pulled):
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
                    flag = pull_flag[k]
                    pull_flag[k] = 0
                    if flag == 3:
                        continue
                    s = 1 if flag == 1 else 2
                    held = False
                    failed = 0
                    for e in range(neu_ptr[k], neu_ptr[k + 1]):
                        sj = side[neu_protege[e]]
                        if sj != 0 and sj != s:
                            st = neu_state[e]
                            if st == 0:
                                st = 1 if uniform(rs, neu_key[e]) < neu_rel[e] else 2
                                neu_state[e] = st
                                neu_touched[n_neut] = e
                                n_neut += 1
                            if st == 1:
                                held = True
                            else:
                                failed += 1
                    if held:
                        continue
                    broken += failed
                    entr[n_entr] = k
                    entr_side[n_entr] = s
                    if s == SIDE_A:
                        entr_rank[n_entr] = pull_rank_a[k]
                        any_a = True
                    else:
                        entr_rank[n_entr] = pull_rank_d[k]
                        any_d = True
                    n_entr += 1
                if n_entr == 0:
                    break

                # 5. apply the entries of round r + 1
                r += 1
                n_before = n_atwar
                n_att = 0
                for s in range(1, 3 if has_att else 1):
                    if (s == SIDE_A and any_d) or (s == SIDE_D and any_a):
                        for x in range(n_before):
                            if side[atwar[x]] == s:
                                attacked[n_att] = atwar[x]
                                n_att += 1
                for x in range(n_entr):
                    k = entr[x]
                    s = entr_side[x]
                    for o in range(g):
                        if cnt[o, 3 - s] == 0:
                            continue
                        if org_kind[o] == 0:
                            own = resp_round[o, k] == r - 1 and resp_level[o, k] == LEVEL_MILITARY
                            hit = org_member[o, k] != 0 and not own
                        else:
                            hit = org_member[o, k] == 0
                        if hit:
                            _add_aggressor(o, k, agg, n_agg, agg_flag)
                new_lo = n_atwar
                for x in range(n_entr):
                    k = entr[x]
                    rank = entr_rank[x]
                    via = ob_kind[rank] if rank < m else VIA_ORGANIZATION
                    n_atwar = _join(
                        k,
                        entr_side[x],
                        r,
                        via,
                        rank,
                        side,
                        atwar,
                        aw_round,
                        aw_via,
                        aw_src,
                        n_atwar,
                        org_member,
                        cnt,
                    )
                last_round = r

            # ---- outcome
            p_a = 0.0
            p_d = 0.0
            n_a = 0
            n_major = 0
            # one pass in entry order (as the reference sums): totals, participant
            # rows, and the reset of ``side``
            for x in range(n_atwar):
                c = atwar[x]
                sc = side[c]
                is_a = sc == SIDE_A
                pc = power[c]
                p_a += pc if is_a else 0.0  # branch-free; adding 0.0 changes no sum
                p_d += 0.0 if is_a else pc
                n_a += np.int64(is_a)
                n_major += np.int64(major[c])
                if want_parts:
                    p_nation[q, x] = c
                    p_side[q, x] = sc
                    p_round[q, x] = aw_round[x]
                    p_via[q, x] = aw_via[x]
                    p_source[q, x] = aw_src[x]
                side[c] = 0
            # summed in entry order, the total in id order: clamp the rounding excess
            share = min(1.0, (p_a + p_d) / total_power) if total_power > 0.0 else 0.0
            keep = 1.0 - sanction_effect
            for _ in range(sanc_a):
                p_a *= keep
            for _ in range(sanc_d):
                p_d *= keep
            p_win_a = _contest(p_a, p_d, contest_exponent)
            winner = SIDE_A if uniform(rs, _KEY_OUTCOME) < p_win_a else SIDE_D

            o_belligerents[q] = n_atwar
            o_side_a[q] = n_a
            o_side_d[q] = n_atwar - n_a
            o_majors[q] = n_major
            o_rounds[q] = last_round
            o_broken[q] = broken
            o_sanctions[q] = sanctions
            o_diplomacy[q] = diplomacy
            o_share[q] = share
            o_vetoed[q] = vetoed
            o_winner[q] = winner
            o_world_war[q] = n_major >= world_war_majors

            # ---- sparse reset (``side`` was reset in the outcome pass)
            for x in range(n_obt):
                trig_decided[trig_touched[x]] = 0
            for x in range(n_neut):
                neu_state[neu_touched[x]] = 0
            for x in range(n_respt):
                code = resp_touched[x]
                resp_round[code // n, code % n] = -1
            for pi in range(n_plans):
                plan_fired[pi] = 0
            for o in range(g):
                cnt[o, 1] = 0
                cnt[o, 2] = 0
                for ai in range(n_agg[o]):
                    agg_flag[o, agg[o, ai]] = 0
                n_agg[o] = 0
