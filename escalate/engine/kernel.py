"""The numba cascade kernel: a chunk of replicates of one compiled world.

Arrays in, arrays out; no I/O and no Python objects. The semantics are those of
:mod:`escalate.engine.reference` (read that first, and docs/model.md); this package
implements them on the flat arrays of :class:`~escalate.engine.compile.WorldArrays`
with per-block scratch space (:class:`~escalate.engine.state.Scratch`) reset sparsely.

Replicates are split into fixed blocks of :data:`BLOCK` and the blocks run in
parallel with ``prange``. Every draw is keyed by (seed, replicate, decision), so
the output does not depend on the number of threads or on the chunking.

Layout
------
:func:`run_chunk` runs the blocks in parallel, each through :func:`_block`, which
allocates the block's scratch space and runs its replicates with :func:`_cascade`:
the round loop of the reference, one helper per phase (:mod:`.phases`: the incident's
round 0, plans, obligations, unaligned entry, entries, entering; :mod:`.orgs`: the
organizations and the veto; :mod:`.state`: the scratch space, attacks and the state
of war), then :func:`_outcome` and :func:`_reset`. The phases are inlined into
:func:`_cascade` at numba-IR level (``INLINE_OPTIONS``), and :func:`_cascade` into
:func:`_block` by LLVM, so the split costs nothing at run time. :func:`run_worlds`
runs the blocks of many worlds in one parallel loop (a calibration's evaluation).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from .codes import (
    NO_SIDE,
    OB_OFFENSE,
    ON_UNALIGNED,
    ORG_ARBITRATION,
    SIDE_A,
    SIDE_D,
    VIA_UNALIGNED,
)
from .options import INLINE_OPTIONS, PARALLEL_OPTIONS, jit
from .orgs import organizations
from .phases import enter, entries, obligations, plans, round_zero, unaligned
from .rng import (
    KIND_DETERRENCE,
    KIND_INCIDENT_INITIATOR,
    KIND_INCIDENT_TARGET,
    KIND_OUTCOME,
    decision_key,
    replicate_state,
    seed_state,
    uniform,
)
from .state import (
    C_EXPECTED,
    C_OVERFLOW,
    C_STAMP,
    FIXED_ONE,
    T_DIPLOMACY,
    T_SANC_A,
    T_SANC_D,
    T_SANCTIONS,
    T_VETOED,
    clear_why,
    new_scratch,
)

__all__ = [
    "BLOCK", "EXPECTED_ROW", "TALLY_ROWS", "CascadeOut", "ParticipantOut", "block_size",
    "run_chunk", "run_worlds",
]  # fmt: skip

#: The most replicates a block runs; a smaller call is split so that every thread
#: gets blocks (:func:`block_size`).
BLOCK = 512
#: A tally (:func:`run_worlds`) has, per block, rows 0-2 counting who took part on each
#: side (by side code) and rows 3-5 the correction that turns them into expected counts,
#: in fixed point (:data:`~escalate.engine.state.FIXED_ONE`).
EXPECTED_ROW = 3
TALLY_ROWS = 6


def block_size(count: int, threads: int) -> int:
    """Replicates per block for a call of ``count`` on ``threads`` threads."""
    return max(32, min(BLOCK, -(-count // (4 * max(threads, 1)))))


_KEY_INIT = np.uint64(decision_key(KIND_INCIDENT_INITIATOR))
_KEY_TARG = np.uint64(decision_key(KIND_INCIDENT_TARGET))
_KEY_DETER = np.uint64(decision_key(KIND_DETERRENCE))
_KEY_OUTCOME = np.uint64(decision_key(KIND_OUTCOME))

#: Options of :func:`_cascade`, which only reads and writes arrays that its caller owns.
#: ``_nrt=False`` (numba's own switch, leading underscore and all) leaves out reference
#: counting: numba counts a reference to every array of a tuple each time the tuple is
#: passed to an inlined phase (a call to an atomic update per array, on entry and on
#: exit), which made the kernel ten times slower. ``forceinline`` lets LLVM inline it
#: into :func:`_block`, where it sees that the scratch arrays are fresh allocations.
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
    unaligned: np.ndarray


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


@jit(**INLINE_OPTIONS)
def _pick(cand, w, cum, guide, thr, scale, ex, u):
    """The candidate at ``u`` of the cumulative weights ``cum``, candidate ``ex`` left out.

    As :func:`escalate.engine.reference.run._pick`: the first ``q`` with
    ``cum[q + 1] > x`` (a candidate of weight 0 never is), found from the guide table
    of :func:`escalate.engine.incident.guide_table`: start at the guide of the last
    bucket at or below ``x`` and step on. ``ex`` is a position in ``cand``, -1 for none.
    """
    m = cand.size
    w_ex = w[ex] if ex >= 0 else 0.0
    x = u * (cum[m] - w_ex)
    if ex >= 0 and x >= cum[ex]:
        x += w_ex
    j = min(np.int64(x * scale), guide.size - 1)
    while j > 0 and x < thr[j]:  # rounding of x * scale: back to a bucket at or below x
        j -= 1
    q = int(guide[j])
    while q < m and cum[q + 1] <= x:
        q += 1
    if q < m:
        return cand[q]
    for q in range(m - 1, -1, -1):  # x at the total (rounding): the last of positive weight
        if q != ex and w[q] > 0.0:
            return cand[q]
    return -1


@jit(**INLINE_OPTIONS)
def _incident(w, rs):
    """The initiator, the target, and whether the initiator backs down (deterrence)."""
    if w.inc_random:
        ini = _pick(w.init_cand, w.init_w, w.init_cum, w.init_guide, w.init_thr, w.init_scale, -1,
                    uniform(rs, _KEY_INIT))  # fmt: skip
        tgt = _pick(w.targ_cand, w.targ_w, w.targ_cum, w.targ_guide, w.targ_thr, w.targ_scale,
                    w.targ_pos[ini], uniform(rs, _KEY_TARG))  # fmt: skip
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
    out.unaligned[q] = 0


@jit(**INLINE_OPTIONS)
def _outcome(w, sc, rs, out, parts, want_parts, tally, b, q, n_atwar, last_round, broken,
             conflicted):  # fmt: skip
    """Write the replicate's row (and participant rows, and tally row ``b``), drawing the winner.

    The other counts are in ``sc.counts`` (``T_*``). Also resets what a nation at
    war holds: ``side``, ``aggr`` and its lists of attacks.
    """
    t = sc.counts
    # a cascade that outgrew its scratch space is run again: its first try counts nothing
    want_tally = tally.shape[0] > 0 and t[C_OVERFLOW] == 0
    sanctions, diplomacy, vetoed = t[T_SANCTIONS], t[T_DIPLOMACY], t[T_VETOED] != 0
    sanc_a, sanc_d = t[T_SANC_A], t[T_SANC_D]
    n_unaligned = np.int64(0)
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
        n_unaligned += np.int64(sc.nvia[c] == VIA_UNALIGNED)
        if want_tally:
            tally[b, sx, c] += 1
            if sc.nvia[c] == VIA_UNALIGNED and w.neu_ptr[c + np.uint32(1)] == w.neu_ptr[c]:
                tally[b, EXPECTED_ROW + sx, c] -= FIXED_ONE  # counted as expected instead
        if want_parts:
            parts.nation[q, x] = c
            parts.side[q, x] = sx
            parts.round[q, x] = sc.nround[c]
            parts.via[q, x] = sc.nvia[c]
            parts.source[q, x] = sc.aw_src[x]
        sc.side[c] = NO_SIDE
        sc.aggr[c] = 0
        sc.in_head[c] = -1
        sc.out_head[c] = -1
        sc.n_in[c] = 0
    if want_tally:
        for i in range(t[C_EXPECTED]):
            k = sc.un_k[i]
            tally[b, EXPECTED_ROW + SIDE_A, k] += sc.un_a[i]
            tally[b, EXPECTED_ROW + SIDE_D, k] += sc.un_d[i]
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
    out.unaligned[q] = n_unaligned


@jit(**INLINE_OPTIONS)
def _reset(w, sc, n_obt, n_neut, n_respt, n_att):
    """Put back what a cascade touched (what nations at war hold: :func:`_outcome`)."""
    n = w.power.size
    for x in range(n_obt):
        sc.trig_decided[sc.trig_touched[x]] = 0
    for x in range(n_neut):
        sc.neu_state[sc.neu_touched[x]] = 0
    for x in range(n_respt):
        code = sc.resp_touched[x]
        sc.resp_round[code // n, code % n] = -1
    for x in range(n_att):
        sc.att_flag[sc.attacked[x]] = 0
    for pi in range(w.plan_nation.size):
        sc.plan_fired[pi] = 0
    for o in range(w.org_kind.size):
        for ai in range(sc.n_agg[o]):
            sc.agg_flag[o, sc.agg[o, ai]] = 0
        sc.n_agg[o] = 0
    clear_why(sc)
    for i in range(sc.counts.size):
        if i != C_STAMP:  # the stamp only grows
            sc.counts[i] = 0


# ----------------------------------------------------------------------------- driver


@jit(**INLINE_OPTIONS)
def theatre_of(w, tgt):
    """The theatre as a bit per region: the world's, else the target's region."""
    if w.theatre_mask >= 0:
        return w.theatre_mask
    reg = w.region[tgt]
    return (np.int64(1) << reg) if reg >= 0 else np.int64(0)


@jit(**_CASCADE_OPTIONS)
def _cascade(w, sc, rs, out, parts, want_parts, tally, b, q):
    """Run one replicate (draw state ``rs``) and write its row ``q``.

    Returns False if the scratch space had too little room for its attacks: then
    nothing it wrote counts, and the caller runs it again with more.
    """
    ini, tgt, deterred = _incident(w, rs)
    out.initiator[q] = ini
    out.target[q] = tgt
    if deterred:
        _no_war_row(out, q, True)
        return True
    for o in range(w.org_kind.size):  # arbitration, in name order
        if (
            w.org_kind[o] == ORG_ARBITRATION
            and w.org_member[o, ini]
            and w.org_member[o, tgt]
            and uniform(rs, w.org_key[o]) < w.org_settle[o]
        ):
            _no_war_row(out, q, False)
            return True
    tmask = theatre_of(w, tgt)
    n_atwar, n_att = round_zero(w, sc, ini, tgt, 0)
    new_lo = 0
    n_obt = 0
    n_neut = 0
    n_respt = 0
    broken = 0
    conflicted = 0
    last_round = 0
    r = 0
    while True:
        n_atwar, n_att, last_round = plans(w, sc, rs, r, n_atwar, n_att, last_round)
        if r == w.max_rounds:
            break
        clear_why(sc)
        n_pulled, n_obt, broken, conflicted = obligations(
            w, sc, rs, r, tmask, new_lo, n_atwar, n_att, n_obt, broken, conflicted
        )
        n_pulled, n_respt = organizations(w, sc, rs, r, tmask, n_pulled, n_respt)
        if r == 0 and w.coef_on[ON_UNALIGNED]:
            n_pulled = unaligned(w, sc, rs, ini, tgt, tmask, n_pulled, tally.shape[0] > 0)
        n_entr, n_neut, broken = entries(w, sc, rs, r, tmask, n_atwar, n_pulled, n_neut, broken)
        if n_entr == 0:
            break
        r += 1
        for x in range(n_att):
            sc.att_flag[sc.attacked[x]] = 0
        n_atwar, n_att, new_lo = enter(w, sc, r, n_entr, n_atwar)
        last_round = r
    ok = sc.counts[C_OVERFLOW] == 0
    _outcome(w, sc, rs, out, parts, want_parts, tally, b, q, n_atwar, last_round, broken,
             conflicted)  # fmt: skip
    _reset(w, sc, n_obt, n_neut, n_respt, n_att)
    return ok


@jit()
def _block(w, out, parts, want_parts, tally, b, seed_st, start, lo, hi):
    """Run rows ``lo .. hi - 1`` (replicates ``start + lo ..``) in fresh scratch space.

    Block ``b`` of :func:`run_chunk` or :func:`run_worlds`: its participant counts go
    to ``tally[b]`` (when ``tally`` has rows).

    A real call from :func:`run_chunk`'s parallel loop, not inlined there: numba's
    parfor passes do not follow arrays held in a tuple, so inside a ``prange`` body
    they hoist the scratch allocations out of the loop (one scratch space for every
    thread) and may drop stores such as ``out.winner[q] = ...`` as dead. Outside it
    this is ordinary serial code; one call per block costs nothing.

    A cascade that needs more room for its attacks than the scratch space has is run
    again in a scratch space twice as large (its draws are keyed: the same cascade).
    """
    n = w.power.size
    cap = min(n * n // 4 + 2 * n + 64, 1 << 22)
    sc = new_scratch(w, cap)  # reset sparsely after each cascade
    for qi in range(lo, hi):
        q = np.uint64(qi)  # unsigned: no wraparound code on the output stores
        rs = replicate_state(seed_st, np.uint64(start + qi))
        while not _cascade(w, sc, rs, out, parts, want_parts, tally, b, q):
            cap *= 2
            sc = new_scratch(w, cap)


@jit(**PARALLEL_OPTIONS)
def run_chunk(seed, start, count, block, want_parts, w, out, parts):
    """Run replicates ``start .. start + count - 1`` and fill the outputs.

    Parameters
    ----------
    seed, start, count
        The run seed (uint64) and the replicates (int64).
    block
        Replicates per block (each block allocates its scratch space once); the rows
        do not depend on it (keyed draws).
    want_parts
        Whether to fill ``parts``.
    w : WorldArrays
        The compiled world (:class:`escalate.engine.compile.WorldArrays`).
    out : CascadeOut
        ``count`` entries per column: row ``i`` is replicate ``start + i``.
    parts : ParticipantOut
        ``count`` x n slots per column when ``want_parts``.

    The counts of who took part on which side, without rows, come from
    :func:`run_worlds`.
    """
    nblocks = (count + block - 1) // block
    seed_st = seed_state(np.uint64(seed))
    tally = np.zeros((0, TALLY_ROWS, 0), np.int64)  # none counted
    for b in prange(nblocks):
        lo = b * block
        _block(w, out, parts, want_parts, tally, b, seed_st, start, lo, min(count, lo + block))


@jit(**PARALLEL_OPTIONS)
def run_worlds(seed, start, count, block, worlds, outs, parts, tallies):
    """Run replicates ``start .. start + count - 1`` of every world of ``worlds``, in one loop.

    What a calibration evaluates: each war's world at the same seed, in one call
    rather than a call per world. Every thread runs a share of every world's blocks,
    so the threads stay busy across worlds of any size. Each world's rows and
    counts are those :func:`run_chunk` gives it alone (keyed draws).

    Parameters
    ----------
    seed, start, count, block
        The run seed (uint64), the replicates of each world and the replicates per
        block (as :func:`run_chunk`'s).
    worlds : numba.typed.List
        Compiled worlds (:class:`escalate.engine.compile.WorldArrays`).
    outs : numba.typed.List
        A :class:`CascadeOut` of ``count`` entries per world.
    parts : ParticipantOut
        ``(0, 0)`` arrays: no participant rows (they would have no one place).
    tallies : numba.typed.List
        Per world, int64 ``[block, TALLY_ROWS, nation]``: rows 0-2 (by side code), how
        often each nation took part on each side in each block of ``block`` replicates
        (sum the first axis), what the likelihood of a calibration needs, without
        participant rows; rows 3-5 (``EXPECTED_ROW`` + side code), in fixed point, what
        turns those counts into expected counts
        (:func:`escalate.engine.driver.expected_counts_worlds`). Added to, not overwritten.
    """
    nblocks = (count + block - 1) // block
    nworlds = len(worlds)
    seed_st = seed_state(np.uint64(seed))
    want_parts = parts.nation.shape[0] > 0  # False, known at run time: the _block of run_chunk
    # Block-major order: prange splits the tasks in contiguous parts, one a thread, so
    # each thread gets blocks of every world (about 4 a thread, block_size), not the
    # big worlds (late wars) of the end of the list.
    for t in prange(nworlds * nblocks):
        b = t // nworlds
        i = t - b * nworlds
        lo = b * block
        _block(worlds[i], outs[i], parts, want_parts, tallies[i], b, seed_st, start, lo,
               min(count, lo + block))  # fmt: skip
