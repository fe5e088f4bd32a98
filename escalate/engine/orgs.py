"""The kernel's organization step: culprits, the veto, and the members' responses.

The rules are those of :meth:`escalate.engine.reference.cascade.Cascade.organizations`
(read that first). Which attacks an organization must answer is one helper,
:func:`escalate.engine.state.must_answer`: :func:`escalate.engine.state.attack` lists
the candidate culprits as the attacks happen, and :func:`keep_culprits` asks it again
when an ``unprovoked`` organization decides (the one case where the answer can
change). The veto is :func:`_blocked`.
"""

from __future__ import annotations

import numpy as np

from .codes import (
    LEVEL_DIPLOMACY,
    LEVEL_MILITARY,
    LEVEL_NONE,
    LEVEL_SANCTIONS,
    NO_SIDE,
    OB_ENTENTE,
    OB_OFFENSE,
    SIDE_A,
    other_side,
)
from .options import INLINE_OPTIONS, jit
from .rng import uniform
from .state import (
    T_DIPLOMACY,
    T_SANC_A,
    T_SANC_D,
    T_SANCTIONS,
    T_VETOED,
    WHY_CULPRIT,
    at_war_with_listed,
    attacked_in,
    has_attacked,
    in_theatre,
    must_answer,
    note_why,
    pull,
)

__all__ = ["cond_holds", "keep_culprits", "organizations"]


@jit(**INLINE_OPTIONS)
def cond_holds(w, sc, ob, j, tmask, veto):
    """Whether the casus foederis of obligation ``ob`` holds towards ``j`` now.

    ``located``, then ``against`` (offense: at war with a listed nation; defense
    and entente: attacked by one), ``unprovoked`` and ``min_attackers``. For the
    veto (``veto``), ``min_attackers`` counts only above 1 (being attacked at all
    is the trigger of a defense obligation, not a condition).
    """
    if w.ob_located[ob] and not in_theatre(w, j, tmask):
        return False
    lo = w.ob_ag_ptr[ob]
    hi = w.ob_ag_ptr[ob + np.uint32(1)]
    if w.ob_kind[ob] == OB_OFFENSE:
        return hi == lo or at_war_with_listed(w, sc, w.ob_ag_ptr, w.ob_ag, ob, j)
    if w.ob_unprov[ob] and sc.aggr[j] != 0:
        return False
    if (w.ob_minatt[ob] > 1 or not veto) and sc.n_in[j] < w.ob_minatt[ob]:
        return False
    if hi > lo:
        for x in range(lo, hi):  # noqa: SIM110 - numba compiles no generators
            if has_attacked(sc, w.ob_ag[x], j):
                return True
        return False
    return True


@jit(**INLINE_OPTIONS)
def _pledged(w, sc, o, a, tmask, unanimity, r):
    """Whether a holder of ``o`` owes culprit ``a`` a defense or offense obligation that counts.

    Under unanimity every member but the parties to the dispute is a holder (``a``
    and the members it attacked this round). Model 2: any such obligation; model 3:
    one whose conditions hold towards ``a`` now.
    """
    for e in range(w.prot_ptr[a], w.prot_ptr[a + np.uint32(1)]):
        ob = w.prot_ob[e]
        if w.ob_kind[ob] == OB_ENTENTE:
            continue
        h = w.ob_obligor[ob]
        if unanimity:
            if not w.org_member[o, h] or h == a or attacked_in(sc, a, h, r, False):
                continue
        elif not w.org_holder[o, h]:
            continue
        if w.model == 2 or cond_holds(w, sc, ob, a, tmask, True):
            return True
    return False


@jit(**INLINE_OPTIONS)
def _blocked(w, sc, o, na, r, tmask):
    """Whether a veto holder shields one of the culprits of organization ``o``.

    Marks each culprit ``agg[o, i]`` it shields in ``agg_blocked[i]``: a holder that
    is the culprit, fights on its side, or is pledged to it (:func:`_pledged`).

    The veto (docs/model.md, "Organizations", **Veto**) has three homes, which change
    together. What does not depend on the cascade is computed once per world by the
    compiler: ``org_static_block`` (:func:`escalate.engine.compile._organization_arrays`:
    the culprit is a holder, or, model 2, a holder owes it a defense or offense
    obligation); it does not apply under unanimity, whose holders depend on the round's
    attacks. This function is the draw-time part, read during the cascade. The
    reference's executable form, the whole rule in one place, is
    :meth:`escalate.engine.reference.cascade.Cascade.blocked` (with ``pledged``).
    """
    any_blocked = False
    unanimity = w.org_unanimity[o] != 0
    for ai in range(na):
        a = sc.agg[o, ai]
        sa = sc.side[a]
        blk = (not unanimity) and w.org_static_block[o, a] != 0
        if not blk:
            for e in range(w.org_mem_ptr[o], w.org_mem_ptr[o + 1]):
                h = w.org_mem[e]
                if h != a and sc.side[h] == sa and (unanimity or w.org_holder[o, h]):
                    blk = True
                    break
        if not blk and (unanimity or w.model == 3):
            blk = _pledged(w, sc, o, a, tmask, unanimity, r)
        sc.agg_blocked[ai] = blk
        if blk:
            any_blocked = True
    return any_blocked


@jit(**INLINE_OPTIONS)
def keep_culprits(w, sc, o, na, r):
    """Keep the candidate culprits of ``o`` that it must answer now; returns their number.

    A candidate is kept if one of its attacks of round ``r`` still obliges ``o``
    (:func:`escalate.engine.state.must_answer`): under ``unprovoked`` its victim may
    have become an aggressor since the attack. The order of the candidates is kept.
    """
    kept = 0
    for ai in range(na):
        c = sc.agg[o, ai]
        keep = False
        e = sc.out_head[c]
        while e >= 0 and sc.e_round[e] == r:  # c's attacks, the latest first
            if must_answer(w, sc, o, c, sc.e_to[e], sc.e_aggr[e] != 0):
                keep = True
                break
            e = sc.e_next_out[e]
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
def organizations(w, sc, rs, r, tmask, n_pulled, n_respt):  # noqa: C901
    # (complexity: the response ladder per culprit, one pass per organization)
    """The members' responses to this round's cases; military ones pull members.

    Counts in ``sc.counts`` (its ``T_*`` entries, :mod:`escalate.engine.state`):
    sanctions, diplomacy, vetoed, sanctions against side A, against side D. Returns
    the pulled and response counts.
    """
    tally = sc.counts
    n = w.power.size
    n_src_org = w.ob_kind.size
    for o in range(w.org_kind.size):
        na = sc.n_agg[o]
        if na == 0:
            continue
        if w.org_unprov[o]:  # elsewhere must_answer reads only the world: asked once
            na = keep_culprits(w, sc, o, na, r)
            if na == 0:
                continue
        if _blocked(w, sc, o, na, r, tmask):
            tally[T_VETOED] = 1
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
                    s = other_side(sc.side[a])
                    n_pulled = pull(sc, mm, s, n_src_org + o, False, n_pulled)
                    if w.entry_enemies:
                        note_why(sc, mm, s, a, WHY_CULPRIT)
                elif la == LEVEL_SANCTIONS:
                    if sc.side[a] == SIDE_A:
                        s_a = True
                    else:
                        s_d = True
            if top == LEVEL_SANCTIONS:
                tally[T_SANCTIONS] += 1
            elif top == LEVEL_DIPLOMACY:
                tally[T_DIPLOMACY] += 1
            if s_a:
                tally[T_SANC_A] += 1
            if s_d:
                tally[T_SANC_D] += 1
        for ai in range(na):
            sc.agg_flag[o, sc.agg[o, ai]] = 0
        sc.n_agg[o] = 0
    return n_pulled, n_respt
