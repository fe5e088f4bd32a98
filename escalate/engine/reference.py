"""The cascade semantics in plain Python, written to be read (MODEL.md section 1).

This is the executable specification. The numba kernel (:mod:`escalate.kernel`)
implements the same rules on flat arrays; both consume the same keyed draws
(:mod:`escalate.rng`), so they must produce identical rows. It works directly on
the :class:`~escalate.world.World` (dicts and sets keyed by nation id), so it
also checks the compilation step.

One cascade, round by round
---------------------------
Round 0: the initiator attacks the target (side A = {initiator}, side D =
{target}). Then, for r = 0, 1, ...:

1. **Plans.** Each war plan whose nation is at war with one of its triggers on
   the other side fires once (with its probability): the planner attacks every
   listed victim not yet at war. Victims are at war from round r, on the side
   opposing the planner, and count as attacked in round r. Repeated until no
   plan fires (a victim may trigger another plan in the same round).
2. If r = ``max_rounds`` the cascade stops.
3. **Obligations.** ``offense`` obligations towards nations newly at war in
   round r, and ``defense``/``entente`` obligations towards nations attacked in
   round r, are triggered. Each obligation is decided once per cascade: honoured
   with its reliability (the obligor is pulled towards the protege's side) or
   broken. An obligor already at war on the protege's side is not triggered;
   one at war on the other side cannot honour it: a broken promise, no draw.
4. **Organizations.** Aggressions of round r oblige organizations: under
   collective security a member attacking a member, under collective defense a
   non-member attacking a member (an entry that was this organization's own
   military response is not aggression against it). If a veto holder (every
   member under unanimity) is the aggressor, is at war on its side or has a
   defense/offense obligation towards it, the organization is blocked for that
   aggressor and members answer at most with ``blocked_response``. Each other
   member not at war answers once per organization per cascade: one draw on
   the ladder none < diplomacy < sanctions < military; military pulls it against
   every aggressor of that round it answers at that level.
5. **Entries.** A nation pulled towards both sides stays out this round (its
   obligations are spent). A nation pulled towards one side is held back by any
   neutrality pledge towards a nation at war on the other side that holds
   (each pledge drawn once per cascade, when it first matters); pledges that
   failed count as broken promises when it does enter. The rest enter in round
   r + 1 and attack every nation on the other side at war before round r + 1.
   If nobody enters, the cascade ends.

``via``/``source`` of an entrant name the first pull to its side in canonical
order: obligations by (treaty name, obligor, protege), then organizations by
name. The outcome is drawn by the contest function on summed power (summed in
order of entry), each sanction against a side multiplying its power by ``1 - sanction_effect``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..model.world import LADDER, World
from .compile import obligation_order
from .rng import (
    KIND_DETERRENCE,
    KIND_INCIDENT_INITIATOR,
    KIND_INCIDENT_TARGET,
    KIND_NEUTRALITY,
    KIND_OBLIGATION,
    KIND_ORGANIZATION,
    KIND_OUTCOME,
    KIND_PLAN,
    decision_key,
    rep_state_py,
    uniform_py,
)

__all__ = ["contest", "simulate_reference"]

A, D = "A", "D"
MILITARY, SANCTIONS, DIPLOMACY = LADDER.index("military"), LADDER.index("sanctions"), 1


def _other(side: str) -> str:
    return D if side == A else A


@dataclass
class _Obligation:
    rank: int
    treaty: str
    kind: str
    obligor: str
    protege: str
    reliability: float
    key: int


@dataclass
class _Pledge:
    treaty: str
    obligor: str
    protege: str
    reliability: float
    key: int


class _Context:
    """Lookups built once per world (the reference's own, independent of compile.py)."""

    def __init__(self, world: World):
        self.world = world
        self.ids = sorted(world.ids)
        self.power = {n.id: n.power for n in world.nations}
        self.major = {n.id: n.major for n in world.nations}
        self.total_power = 0.0
        for nid in self.ids:
            self.total_power += self.power[nid]
        self.obligations = [
            _Obligation(r, t, kind, k, j, rel, decision_key(KIND_OBLIGATION, t, k, j))
            for r, (t, kind, k, j, rel) in enumerate(obligation_order(world))
        ]
        self.towards: dict[str, list[_Obligation]] = {nid: [] for nid in self.ids}
        for ob in self.obligations:  # ascending rank
            self.towards[ob.protege].append(ob)
        self.pledges: dict[str, list[_Pledge]] = {nid: [] for nid in self.ids}
        for a in sorted(world.alliances, key=lambda a: a.name):
            if a.kind != "neutrality":
                continue
            for k, j in a.pairs:
                key = decision_key(KIND_NEUTRALITY, a.name, k, j)
                self.pledges[k].append(_Pledge(a.name, k, j, world.reliability(a), key))
        for lst in self.pledges.values():
            lst.sort(key=lambda p: (p.treaty, p.protege))
        self.orgs = sorted(world.organizations, key=lambda o: o.name)
        self.n_obligations = len(self.obligations)
        self.plans = sorted(world.plans, key=lambda p: p.key)
        pledged: dict[str, set[str]] = {}
        for ob in self.obligations:
            if ob.kind in ("defense", "offense"):
                pledged.setdefault(ob.protege, set()).add(ob.obligor)
        self.pledged_defense_offense = pledged


def _pick(cands: list[str], weight: dict[str, float], exclude: str | None, u: float) -> str:
    total = 0.0
    for c in cands:
        if c != exclude:
            total += weight[c]
    x = u * total
    acc = 0.0
    last = ""
    for c in cands:
        if c == exclude or weight[c] <= 0.0:
            continue
        acc += weight[c]
        last = c
        if x < acc:
            return c
    return last


def _cascade(ctx: _Context, seed: int, rep: int, want_participants: bool):
    world = ctx.world
    dyn = world.dynamics
    state = rep_state_py(seed, rep)

    def draw(key: int) -> float:
        return uniform_py(state, key)

    # ---- the incident
    inc = world.incident
    if inc.mode == "fixed":
        initiator, target = inc.initiator, inc.target
    else:
        weight = {nid: (ctx.power[nid] if inc.weights == "power" else 1.0) for nid in ctx.ids}
        inits = sorted(inc.initiators) if inc.initiators is not None else ctx.ids
        targs = sorted(inc.targets) if inc.targets is not None else ctx.ids
        initiator = _pick(inits, weight, None, draw(decision_key(KIND_INCIDENT_INITIATOR)))
        target = _pick(targs, weight, initiator, draw(decision_key(KIND_INCIDENT_TARGET)))

    row = {
        "replicate": rep,
        "initiator": initiator,
        "target": target,
        "deterred": False,
        "belligerents": 0,
        "side_a": 0,
        "side_d": 0,
        "majors": 0,
        "rounds": 0,
        "broken_promises": 0,
        "sanctions": 0,
        "diplomacy": 0,
        "power_share": 0.0,
        "vetoed": False,
        "winner": None,
        "world_war": False,
    }

    # ---- deterrence: the initiator weighs the target and its pledged supporters
    if dyn.deterrence > 0.0:
        facing = ctx.power[target]
        for ob in ctx.towards[target]:
            if ob.obligor != initiator:
                facing += ob.reliability * ctx.power[ob.obligor]
        own = ctx.power[initiator]
        for ob in ctx.towards[initiator]:
            if ob.kind == "offense" and ob.obligor != target:
                own += ob.reliability * ctx.power[ob.obligor]
        both = own + facing
        p_back_down = dyn.deterrence * (facing / both) if both > 0.0 else 0.0
        if draw(decision_key(KIND_DETERRENCE)) < p_back_down:
            row["deterred"] = True
            return row, []

    side: dict[str, str] = {initiator: A, target: D}
    entered: list[tuple[str, str, int, str, str | None]] = [
        (initiator, A, 0, "initial", None),
        (target, D, 0, "initial", None),
    ]
    new_this_round = [initiator, target]
    attacked_this_round = [target]
    aggressors: dict[str, list[str]] = {o.name: [] for o in ctx.orgs}
    decided: set[int] = set()
    pledge_state: dict[int, bool] = {}  # key -> holds?
    responded: dict[tuple[str, str], tuple[int, int]] = {}  # (org, member) -> (round, level)
    fired: set[str] = set()
    sanctions_on = {A: 0, D: 0}
    broken = sanctions = diplomacy = 0
    vetoed = False
    last_round = 0

    def add_specific_aggression(aggressor: str, victim: str) -> None:
        for o in ctx.orgs:
            m = set(o.members)
            if o.kind == "collective_security":
                hit = aggressor in m and victim in m
            else:
                hit = aggressor not in m and victim in m
            if hit and aggressor not in aggressors[o.name]:
                aggressors[o.name].append(aggressor)

    add_specific_aggression(initiator, target)

    pulls: dict[str, dict[str, int]] = {}  # nation -> side -> lowest rank pulling it there

    def pull(nation: str, towards: str, rank: int) -> None:
        best = pulls.setdefault(nation, {})
        best[towards] = min(best.get(towards, rank), rank)

    r = 0
    while True:
        # 1. plans
        changed = True
        while changed:
            changed = False
            for plan in ctx.plans:
                if plan.key in fired or plan.nation not in side:
                    continue
                mine = side[plan.nation]
                if not any(q in side and side[q] != mine for q in plan.trigger):
                    continue
                fired.add(plan.key)
                changed = True
                if draw(decision_key(KIND_PLAN, plan.key)) < plan.probability:
                    for victim in sorted(plan.attack):
                        if victim in side:
                            continue
                        side[victim] = _other(mine)
                        entered.append((victim, side[victim], r, "plan", plan.nation))
                        new_this_round.append(victim)
                        attacked_this_round.append(victim)
                        add_specific_aggression(plan.nation, victim)
                        last_round = r
        if r == dyn.max_rounds:
            break

        # 2. obligations
        pulls.clear()

        def trigger(ob: _Obligation) -> None:
            nonlocal broken
            if ob.rank in decided:
                return
            if ob.obligor in side:
                if side[ob.obligor] == side[ob.protege]:
                    return  # already fighting on the protege's side
                decided.add(ob.rank)
                broken += 1  # fighting against its own protege
                return
            decided.add(ob.rank)
            if draw(ob.key) < ob.reliability:
                pull(ob.obligor, side[ob.protege], ob.rank)
            else:
                broken += 1

        for j in new_this_round:
            for ob in ctx.towards[j]:
                if ob.kind == "offense":
                    trigger(ob)
        for j in attacked_this_round:
            for ob in ctx.towards[j]:
                if ob.kind in ("defense", "entente"):
                    trigger(ob)

        # 3. organizations
        for gi, o in enumerate(ctx.orgs):
            aggs = aggressors[o.name]
            if not aggs:
                continue
            holders = set(o.members) if o.unanimity else set(o.veto)
            blocked = {}
            for a in aggs:
                static = a in holders or bool(holders & ctx.pledged_defense_offense.get(a, set()))
                blocked[a] = static or any(side.get(h) == side[a] for h in holders)
            if any(blocked.values()):
                vetoed = True
            pm = o.response_probability("military")
            ps = o.response_probability("sanctions")
            pd_ = o.response_probability("diplomacy")
            thresholds = (pm, pm + ps, pm + ps + pd_)
            cap = LADDER.index(o.blocked_response)
            for m in sorted(o.members):
                if m in side or (o.name, m) in responded:
                    continue
                u = draw(decision_key(KIND_ORGANIZATION, o.name, m))
                if u < thresholds[0]:
                    level = MILITARY
                elif u < thresholds[1]:
                    level = SANCTIONS
                elif u < thresholds[2]:
                    level = DIPLOMACY
                else:
                    level = 0
                responded[(o.name, m)] = (r, level)
                top = 0
                sanctioned = set()
                for a in aggs:
                    la = min(level, cap) if blocked[a] else level
                    top = max(top, la)
                    if la == MILITARY:
                        pull(m, _other(side[a]), ctx.n_obligations + gi)
                    elif la == SANCTIONS:
                        sanctioned.add(side[a])
                if top == SANCTIONS:
                    sanctions += 1
                elif top == DIPLOMACY:
                    diplomacy += 1
                for s in sanctioned:
                    sanctions_on[s] += 1
            aggs.clear()

        # 4. entries
        entrants: list[tuple[str, str, int]] = []
        for k in sorted(pulls):
            towards = pulls[k]
            if len(towards) == 2:
                continue  # pulled both ways: stays out this round
            ((s, rank),) = towards.items()
            held = False
            failed = 0
            for pl in ctx.pledges[k]:
                if pl.protege in side and side[pl.protege] != s:
                    if pl.key not in pledge_state:
                        pledge_state[pl.key] = draw(pl.key) < pl.reliability
                    if pledge_state[pl.key]:
                        held = True
                    else:
                        failed += 1
            if held:
                continue
            broken += failed
            entrants.append((k, s, rank))
        if not entrants:
            break

        # 5. the entrants attack everybody on the other side at war before this round
        before = dict(side)
        r += 1
        attacked_this_round = []
        new_this_round = []
        for s in (A, D):
            if any(e[1] == _other(s) for e in entrants):
                attacked_this_round += [x for x, _, _, _, _ in entered if before[x] == s]
        for k, s, rank in entrants:
            for o in ctx.orgs:
                m = set(o.members)
                members_opposite = any(x in m and before[x] != s for x in before)
                if not members_opposite:
                    continue
                if o.kind == "collective_security":
                    own_response = responded.get((o.name, k)) == (r - 1, MILITARY)
                    hit = k in m and not own_response
                else:
                    hit = k not in m
                if hit and k not in aggressors[o.name]:
                    aggressors[o.name].append(k)
            if rank < ctx.n_obligations:
                ob = ctx.obligations[rank]
                via, source = ob.kind, ob.treaty
            else:
                via, source = "organization", ctx.orgs[rank - ctx.n_obligations].name
            side[k] = s
            entered.append((k, s, r, via, source))
            new_this_round.append(k)
        last_round = r

    # ---- outcome
    p_a = p_d = 0.0
    for nid, s, *_ in entered:  # summed in order of entry
        if s == A:
            p_a += ctx.power[nid]
        else:
            p_d += ctx.power[nid]
    # summed in entry order, the total in id order: clamp the rounding excess
    share = min(1.0, (p_a + p_d) / ctx.total_power) if ctx.total_power > 0.0 else 0.0
    keep = 1.0 - dyn.sanction_effect
    for _ in range(sanctions_on[A]):
        p_a *= keep
    for _ in range(sanctions_on[D]):
        p_d *= keep
    p_win_a = contest(p_a, p_d, dyn.contest_exponent)
    winner = A if draw(decision_key(KIND_OUTCOME)) < p_win_a else D

    majors = sum(1 for nid in side if ctx.major[nid])
    row.update(
        belligerents=len(side),
        side_a=sum(1 for s in side.values() if s == A),
        side_d=sum(1 for s in side.values() if s == D),
        majors=majors,
        rounds=last_round,
        broken_promises=broken,
        sanctions=sanctions,
        diplomacy=diplomacy,
        power_share=share,
        vetoed=vetoed,
        winner=winner,
        world_war=majors >= dyn.world_war_majors,
    )
    parts = []
    if want_participants:
        parts = [
            {"replicate": rep, "nation": x, "side": s, "round": rr, "via": v, "source": src}
            for x, s, rr, v, src in entered
        ]
    return row, parts


def contest(p_a: float, p_d: float, m: float) -> float:
    """P(side A wins) = p_a^m / (p_a^m + p_d^m), the contest function of the outcome.

    With m = 1 it is the ratio itself. Otherwise it is computed in log space,
    1 / (1 + exp(m (ln p_d - ln p_a))), because p^m overflows (or underflows)
    for large m: with m = 100 and powers of 1e4, p_a^m / (p_a^m + p_d^m) would be
    inf / inf. A side without power loses to one with power (for m > 0); two
    powerless sides, or m = 0 (0^0 = 1: every side weighs 1), give 1/2.

    The kernel computes the same operations in the same order, so the two
    engines agree bit for bit (exp overflows to inf there, so 0.0, as here).
    """
    if m == 1.0:
        return p_a / (p_a + p_d) if p_a + p_d > 0.0 else 0.5
    if p_a > 0.0 and p_d > 0.0:
        try:
            e = math.exp(m * (math.log(p_d) - math.log(p_a)))
        except OverflowError:
            return 0.0  # 1 / (1 + inf)
        return 1.0 / (1.0 + e)
    if m == 0.0 or p_a == p_d:  # 0^0 = 1 (every side weighs 1), or both sides powerless
        return 0.5
    return 1.0 if p_a > 0.0 else 0.0


def simulate_reference(
    world: World, replicates: int, seed: int, start: int = 0, participants: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run replicates ``start .. start + replicates - 1`` in plain Python.

    Slow (tens of thousands of cascades per second at best); meant for tests and
    for reading. Returns the cascades table and, if requested, the participants
    table, with the same columns as :func:`escalate.simulate` (without the
    ``structure`` column and with plain object/int dtypes).
    """
    ctx = _Context(world)
    rows, parts = [], []
    for rep in range(start, start + replicates):
        row, p = _cascade(ctx, seed, rep, participants)
        rows.append(row)
        parts.extend(p)
    cascades = pd.DataFrame(rows)
    if not participants:
        return cascades, None
    cols = ["replicate", "nation", "side", "round", "via", "source"]
    return cascades, pd.DataFrame(parts, columns=cols)
