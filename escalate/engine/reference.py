"""The cascade semantics in plain Python, written to be read (MODEL.md section 1).

This is the executable specification. The numba kernel
(:mod:`escalate.engine.kernel`) implements the same rules on flat arrays; both
consume the same keyed draws, so they must produce identical rows. It works
directly on the :class:`~escalate.model.world.World` (dicts and sets keyed by
nation id) and imports nothing of the code it checks: not the compiler
(:mod:`escalate.engine.compile`), whose canonical order it writes out again
(:func:`canonical_obligations`), nor numba. Its draws (MODEL.md section 2) are
written out here too, in plain Python: :mod:`escalate.engine.rng` holds the same
definition next to its jitted mirrors, and tests check that the two agree.

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

__all__ = ["canonical_obligations", "contest", "simulate_reference"]

A, D = "A", "D"
MILITARY, SANCTIONS, DIPLOMACY = LADDER.index("military"), LADDER.index("sanctions"), 1


def _other(side: str) -> str:
    return D if side == A else A


# ---- the draws (MODEL.md section 2) ---------------------------------------------------
# One uniform per decision, from a hash of (run seed, replicate, decision key): the
# SplitMix64 finalizer (Steele, Lea & Flood 2014) over 64-bit words. A decision key
# folds a kind tag with FNV-1a hashes of the strings that name the decision.

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_SEED_SALT = 0x6A09E667F3BCC909

#: Kind tags: each kind of decision has its own key space.
KIND_OBLIGATION = 1
KIND_NEUTRALITY = 2
KIND_ORGANIZATION = 3
KIND_PLAN = 4
KIND_DETERRENCE = 5
KIND_OUTCOME = 6
KIND_INCIDENT_INITIATOR = 7
KIND_INCIDENT_TARGET = 8


def _mix64(z: int) -> int:
    z &= _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _string_hash(text: str) -> int:
    h = 0xCBF29CE484222325  # FNV-1a offset basis
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x100000001B3) & _MASK
    return _mix64(h)


def decision_key(kind: int, *parts: str) -> int:
    """The key of one decision: its kind tag folded with the hashes of its names."""
    h = _mix64(kind * _GOLDEN)
    for part in parts:
        h = _mix64(h ^ _string_hash(part))
    return h


def rep_state(seed: int, replicate: int) -> int:
    """The state from which every draw of replicate ``replicate`` is keyed."""
    s = _mix64((seed ^ _SEED_SALT) & _MASK)
    return _mix64(s ^ _mix64((replicate + _GOLDEN) & _MASK))


def uniform(state: int, key: int) -> float:
    """The draw of decision ``key`` in replicate state ``state``: 53 bits in [0, 1)."""
    return (_mix64(state ^ key) >> 11) * 2.0**-53


# ---- canonical order --------------------------------------------------------------------


def canonical_obligations(world: World) -> list[tuple[str, str, str, str, float]]:
    """The obligations other than neutrality pledges, in canonical order.

    Returns ``(treaty, kind, obligor, protege, reliability)`` tuples ordered by treaty
    name, then obligor id, then protege id. The position in this list is the
    obligation's *rank*: of the pulls that bring a nation in, the lowest rank names
    its ``via`` and ``source``. The same rule as
    :func:`escalate.engine.compile.obligation_order`, written here on its own.
    """
    found = [
        (a.name, a.kind, obligor, protege, world.reliability(a))
        for a in world.alliances
        if a.kind != "neutrality"
        for obligor, protege in a.pairs
    ]
    return sorted(found, key=lambda ob: (ob[0], ob[2], ob[3]))


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
            for r, (t, kind, k, j, rel) in enumerate(canonical_obligations(world))
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
    """The cascades row (and participant rows) of replicate ``rep``."""
    c = _Cascade(ctx, seed, rep)
    row = {
        "replicate": rep,
        "initiator": c.initiator,
        "target": c.target,
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
    if c.deterred():
        row["deterred"] = True
        return row, []
    c.run()
    row.update(c.outcome())
    parts = []
    if want_participants:
        parts = [
            {"replicate": rep, "nation": x, "side": s, "round": rr, "via": v, "source": src}
            for x, s, rr, v, src in c.entered
        ]
    return row, parts


class _Cascade:
    """One cascade: the incident, then round by round the phases of the module docstring."""

    def __init__(self, ctx: _Context, seed: int, rep: int):
        self.ctx = ctx
        self.dyn = ctx.world.dynamics
        self.state = rep_state(seed, rep)
        self.initiator, self.target = self._incident()
        self.side: dict[str, str] = {}
        self.entered: list[tuple[str, str, int, str, str | None]] = []
        self.new_this_round: list[str] = []
        self.attacked_this_round: list[str] = []
        self.aggressors: dict[str, list[str]] = {o.name: [] for o in ctx.orgs}
        self.decided: set[int] = set()
        self.pledge_state: dict[int, bool] = {}  # key -> holds?
        # (org, member) -> (round, level)
        self.responded: dict[tuple[str, str], tuple[int, int]] = {}
        self.fired: set[str] = set()
        self.sanctions_on = {A: 0, D: 0}
        self.broken = self.sanctions = self.diplomacy = 0
        self.vetoed = False
        self.last_round = 0
        self.r = 0
        self.pulls: dict[str, dict[str, int]] = {}  # nation -> side -> lowest rank

    def draw(self, key: int) -> float:
        """The draw of decision ``key`` in this replicate."""
        return uniform(self.state, key)

    # ---- the incident

    def _incident(self) -> tuple[str, str]:
        ctx = self.ctx
        inc = ctx.world.incident
        if inc.mode == "fixed":
            assert inc.initiator is not None and inc.target is not None  # validated
            return inc.initiator, inc.target
        weight = {nid: (ctx.power[nid] if inc.weights == "power" else 1.0) for nid in ctx.ids}
        inits = sorted(inc.initiators) if inc.initiators is not None else ctx.ids
        targs = sorted(inc.targets) if inc.targets is not None else ctx.ids
        initiator = _pick(inits, weight, None, self.draw(decision_key(KIND_INCIDENT_INITIATOR)))
        target = _pick(targs, weight, initiator, self.draw(decision_key(KIND_INCIDENT_TARGET)))
        return initiator, target

    def deterred(self) -> bool:
        """Whether the initiator, weighing the target and its pledged supporters, backs down."""
        if self.dyn.deterrence <= 0.0:
            return False
        ctx, initiator, target = self.ctx, self.initiator, self.target
        facing = ctx.power[target]
        for ob in ctx.towards[target]:
            if ob.obligor != initiator:
                facing += ob.reliability * ctx.power[ob.obligor]
        own = ctx.power[initiator]
        for ob in ctx.towards[initiator]:
            if ob.kind == "offense" and ob.obligor != target:
                own += ob.reliability * ctx.power[ob.obligor]
        both = own + facing
        p_back_down = self.dyn.deterrence * (facing / both) if both > 0.0 else 0.0
        return self.draw(decision_key(KIND_DETERRENCE)) < p_back_down

    # ---- the rounds

    def run(self) -> None:
        """Round 0, then the rounds until one adds nobody or ``max_rounds``."""
        initiator, target = self.initiator, self.target
        self.side = {initiator: A, target: D}
        self.entered = [(initiator, A, 0, "initial", None), (target, D, 0, "initial", None)]
        self.new_this_round = [initiator, target]
        self.attacked_this_round = [target]
        self.add_specific_aggression(initiator, target)
        while True:
            self.plans()
            if self.r == self.dyn.max_rounds:
                break
            self.pulls.clear()
            self.obligations()
            self.organizations()
            entrants = self.entries()
            if not entrants:
                break
            self.enter(entrants)

    def add_specific_aggression(self, aggressor: str, victim: str) -> None:
        """``aggressor`` attacks ``victim``: an aggression against the organizations it concerns."""
        for o in self.ctx.orgs:
            m = set(o.members)
            if o.kind == "collective_security":
                hit = aggressor in m and victim in m
            else:
                hit = aggressor not in m and victim in m
            if hit and aggressor not in self.aggressors[o.name]:
                self.aggressors[o.name].append(aggressor)

    def pull(self, nation: str, towards: str, rank: int) -> None:
        """Pull ``nation`` towards side ``towards`` by the source of rank ``rank``."""
        best = self.pulls.setdefault(nation, {})
        best[towards] = min(best.get(towards, rank), rank)

    def plans(self) -> None:
        """Plans: the war plans that fire in this round, until none does."""
        side, r = self.side, self.r
        changed = True
        while changed:
            changed = False
            for plan in self.ctx.plans:
                if plan.key in self.fired or plan.nation not in side:
                    continue
                mine = side[plan.nation]
                if not any(q in side and side[q] != mine for q in plan.trigger):
                    continue
                self.fired.add(plan.key)
                changed = True
                if self.draw(decision_key(KIND_PLAN, plan.key)) < plan.probability:
                    for victim in sorted(plan.attack):
                        if victim in side:
                            continue
                        side[victim] = _other(mine)
                        self.entered.append((victim, side[victim], r, "plan", plan.nation))
                        self.new_this_round.append(victim)
                        self.attacked_this_round.append(victim)
                        self.add_specific_aggression(plan.nation, victim)
                        self.last_round = r

    def trigger(self, ob: _Obligation) -> None:
        """Decide obligation ``ob`` (once per cascade)."""
        if ob.rank in self.decided:
            return
        side = self.side
        if ob.obligor in side:
            if side[ob.obligor] == side[ob.protege]:
                return  # already fighting on the protege's side
            self.decided.add(ob.rank)
            self.broken += 1  # fighting against its own protege
            return
        self.decided.add(ob.rank)
        if self.draw(ob.key) < ob.reliability:
            self.pull(ob.obligor, side[ob.protege], ob.rank)
        else:
            self.broken += 1

    def obligations(self) -> None:
        """Obligations: decide those triggered in this round."""
        for j in self.new_this_round:
            for ob in self.ctx.towards[j]:
                if ob.kind == "offense":
                    self.trigger(ob)
        for j in self.attacked_this_round:
            for ob in self.ctx.towards[j]:
                if ob.kind in ("defense", "entente"):
                    self.trigger(ob)

    def organizations(self) -> None:
        """Organizations: the members' answers to this round's aggressions."""
        for gi, o in enumerate(self.ctx.orgs):
            aggs = self.aggressors[o.name]
            if not aggs:
                continue
            holders = set(o.members) if o.unanimity else set(o.veto)
            pledged = self.ctx.pledged_defense_offense
            blocked = {}
            for a in aggs:
                static = a in holders or bool(holders & pledged.get(a, set()))
                blocked[a] = static or any(self.side.get(h) == self.side[a] for h in holders)
            if any(blocked.values()):
                self.vetoed = True
            for m in sorted(o.members):
                if m not in self.side and (o.name, m) not in self.responded:
                    self.respond(gi, o, m, aggs, blocked)
            aggs.clear()

    def respond(self, gi: int, o, m: str, aggs: list[str], blocked: dict[str, bool]) -> None:
        """Member ``m`` of organization ``o`` (index ``gi``) answers the aggressors ``aggs``."""
        pm = o.response_probability("military")
        ps = o.response_probability("sanctions")
        pd_ = o.response_probability("diplomacy")
        u = self.draw(decision_key(KIND_ORGANIZATION, o.name, m))
        if u < pm:
            level = MILITARY
        elif u < pm + ps:
            level = SANCTIONS
        elif u < pm + ps + pd_:
            level = DIPLOMACY
        else:
            level = 0
        self.responded[(o.name, m)] = (self.r, level)
        cap = LADDER.index(o.blocked_response)
        top = 0
        sanctioned = set()
        for a in aggs:
            la = min(level, cap) if blocked[a] else level
            top = max(top, la)
            if la == MILITARY:
                self.pull(m, _other(self.side[a]), self.ctx.n_obligations + gi)
            elif la == SANCTIONS:
                sanctioned.add(self.side[a])
        if top == SANCTIONS:
            self.sanctions += 1
        elif top == DIPLOMACY:
            self.diplomacy += 1
        for s in sanctioned:
            self.sanctions_on[s] += 1

    def entries(self) -> list[tuple[str, str, int]]:
        """Entries: the nations that enter next round, as ``(nation, side, source rank)``."""
        entrants: list[tuple[str, str, int]] = []
        for k in sorted(self.pulls):
            towards = self.pulls[k]
            if len(towards) == 2:
                continue  # pulled both ways: stays out this round
            ((s, rank),) = towards.items()
            held = False
            failed = 0
            for pl in self.ctx.pledges[k]:
                if pl.protege in self.side and self.side[pl.protege] != s:
                    if pl.key not in self.pledge_state:
                        self.pledge_state[pl.key] = self.draw(pl.key) < pl.reliability
                    if self.pledge_state[pl.key]:
                        held = True
                    else:
                        failed += 1
            if held:
                continue
            self.broken += failed
            entrants.append((k, s, rank))
        return entrants

    def enter(self, entrants: list[tuple[str, str, int]]) -> None:
        """The entrants enter and attack everybody on the other side at war before them."""
        ctx = self.ctx
        before = dict(self.side)
        self.r += 1
        r = self.r
        self.attacked_this_round = []
        self.new_this_round = []
        for s in (A, D):
            if any(e[1] == _other(s) for e in entrants):
                self.attacked_this_round += [x for x, _, _, _, _ in self.entered if before[x] == s]
        for k, s, rank in entrants:
            for o in ctx.orgs:
                m = set(o.members)
                members_opposite = any(x in m and before[x] != s for x in before)
                if not members_opposite:
                    continue
                if o.kind == "collective_security":
                    own_response = self.responded.get((o.name, k)) == (r - 1, MILITARY)
                    hit = k in m and not own_response
                else:
                    hit = k not in m
                if hit and k not in self.aggressors[o.name]:
                    self.aggressors[o.name].append(k)
            if rank < ctx.n_obligations:
                ob = ctx.obligations[rank]
                via, source = ob.kind, ob.treaty
            else:
                via, source = "organization", ctx.orgs[rank - ctx.n_obligations].name
            self.side[k] = s
            self.entered.append((k, s, r, via, source))
            self.new_this_round.append(k)
        self.last_round = r

    # ---- the outcome

    def outcome(self) -> dict[str, object]:
        """The columns of the row that the war decides."""
        ctx, side = self.ctx, self.side
        p_a = p_d = 0.0
        for nid, s, *_ in self.entered:  # summed in order of entry
            if s == A:
                p_a += ctx.power[nid]
            else:
                p_d += ctx.power[nid]
        # summed in entry order, the total in id order: clamp the rounding excess
        share = min(1.0, (p_a + p_d) / ctx.total_power) if ctx.total_power > 0.0 else 0.0
        keep = 1.0 - self.dyn.sanction_effect
        for _ in range(self.sanctions_on[A]):
            p_a *= keep
        for _ in range(self.sanctions_on[D]):
            p_d *= keep
        p_win_a = contest(p_a, p_d, self.dyn.contest_exponent)
        winner = A if self.draw(decision_key(KIND_OUTCOME)) < p_win_a else D
        majors = sum(1 for nid in side if ctx.major[nid])
        return {
            "belligerents": len(side),
            "side_a": sum(1 for s in side.values() if s == A),
            "side_d": sum(1 for s in side.values() if s == D),
            "majors": majors,
            "rounds": self.last_round,
            "broken_promises": self.broken,
            "sanctions": self.sanctions,
            "diplomacy": self.diplomacy,
            "power_share": share,
            "vetoed": self.vetoed,
            "winner": winner,
            "world_war": majors >= self.dyn.world_war_majors,
        }


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
