"""The cascade semantics in plain Python, written to be read (MODEL.md section 1).

This is the executable specification of model version 2. The numba kernel
(:mod:`escalate.engine.kernel`) implements the same rules on flat arrays; both
consume the same keyed draws, so they must produce identical rows. It works
directly on the :class:`~escalate.model.world.World` (dicts and sets keyed by
nation id) and imports nothing of the code it checks: not the compiler
(:mod:`escalate.engine.compile`), whose canonical order it writes out again
(:func:`canonical_obligations`), nor numba. Its draws (MODEL.md section 2) are
written out here too, in plain Python: :mod:`escalate.engine.rng` holds the same
definition next to its jitted mirrors, and tests check that the two agree.

Before the war
--------------
The incident (fixed, or drawn), then deterrence (the initiator backs down with a
probability rising with the power of the target and of the supporters the incident
would call in), then arbitration: the first ``arbitration`` organization (by name)
of which both are members settles the dispute with probability ``settlement``.

One cascade, round by round
---------------------------
Round 0: the initiator (an *aggressor*) attacks the target; side A = {initiator},
side D = {target}. In every round r:

1. **Entries** (r >= 1): the nations decided in round r - 1 join at once; one that
   came with an honoured ``offense`` obligation is an aggressor. Each attacks every
   nation then on the other side, the other side's entrants of this round included.
2. **Plans**, again and again until none fires: a planner at war with one of its
   triggers attacks the listed victims not yet at war (it becomes an aggressor if
   there is one); they join the other side in round r.
3. If r = ``max_rounds`` the cascade stops. Else what round r's attacks trigger is
   decided: **obligations** in canonical order (``offense`` towards nations at war,
   ``defense``/``entente`` towards nations attacked in round r), each only while its
   conditions hold (``against``, ``unprovoked``, ``min_attackers``), decided once:
   honoured with its reliability (the obligor is pulled to the protege's side) or a
   broken promise; an obligor already at war against its protege is *conflicted*.
   **Organizations** answer the round's cases: collective security an aggression by
   a member against a member, collective defense an attack by a non-member on a
   member (with ``unprovoked``: an aggression against a member that is no
   aggressor). A veto holder (under unanimity: any member but the parties to the
   dispute) that is the culprit, fights on its side or is pledged to it blocks the
   organization: members answer at most ``blocked_response``. Each member not at war
   answers once per organization: none < diplomacy < sanctions < military
   (military pulls it against the culprit). **Entries** for r + 1: a nation pulled
   both ways stays out; one held back by a neutrality pledge that holds stays out;
   the others enter. If nobody does, the cascade ends.

``via``/``source`` of an entrant name the first pull to its side in canonical
order: obligations by (treaty name, obligor, protege), then organizations by
name. The outcome is drawn by the contest function on summed power (summed in
order of entry), each sanction against a side multiplying its power by
``1 - sanction_effect``. Every choice the specification leaves open is written
down in the README's model section and in the comments below.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ..model.world import LADDER, Organization, World

__all__ = ["canonical_obligations", "contest", "simulate_reference", "trace_reference"]


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
    against: frozenset[str]
    unprovoked: bool
    min_attackers: int


@dataclass
class _Pledge:
    treaty: str
    obligor: str
    protege: str
    reliability: float
    key: int
    against: frozenset[str]


def _condition_text(ob: _Obligation) -> str:
    """The casus foederis of an obligation, in words ("" for none)."""
    parts = []
    if ob.against:
        parts.append("against " + ", ".join(sorted(ob.against)))
    if ob.unprovoked:
        parts.append("unprovoked")
    if ob.min_attackers > 1:
        parts.append(f"at least {ob.min_attackers} attackers")
    return "; ".join(parts)


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
        treaty = {a.name: a for a in world.alliances}
        self.obligations = [
            _Obligation(
                r, t, kind, k, j, rel, decision_key(KIND_OBLIGATION, t, k, j),
                frozenset(treaty[t].against), treaty[t].unprovoked, treaty[t].min_attackers,
            )
            for r, (t, kind, k, j, rel) in enumerate(canonical_obligations(world))
        ]  # fmt: skip
        self.towards: dict[str, list[_Obligation]] = {nid: [] for nid in self.ids}
        for ob in self.obligations:  # ascending rank
            self.towards[ob.protege].append(ob)
        self.pledges: dict[str, list[_Pledge]] = {nid: [] for nid in self.ids}
        for a in sorted(world.alliances, key=lambda a: a.name):
            if a.kind != "neutrality":
                continue
            for k, j in a.pairs:
                key = decision_key(KIND_NEUTRALITY, a.name, k, j)
                pledge = _Pledge(a.name, k, j, world.reliability(a), key, frozenset(a.against))
                self.pledges[k].append(pledge)
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


@dataclass
class _Cascade:
    """The state of one cascade (see the module docstring for the rules)."""

    ctx: _Context
    draw: Callable[[int], float]
    side: dict[str, str] = field(default_factory=dict)
    entered: list[tuple[str, str, int, str, str | None]] = field(default_factory=list)
    aggressor: set[str] = field(default_factory=set)
    attackers: dict[str, set[str]] = field(default_factory=dict)
    decided: set[int] = field(default_factory=set)
    pledge_state: dict[int, bool] = field(default_factory=dict)
    responded: set[tuple[str, str]] = field(default_factory=set)
    fired: set[str] = field(default_factory=set)
    sanctions_on: dict[str, int] = field(default_factory=lambda: {A: 0, D: 0})
    broken: int = 0
    conflicted: int = 0
    sanctions: int = 0
    diplomacy: int = 0
    vetoed: bool = False
    last_round: int = 0
    # the events of the current round
    newly: list[str] = field(default_factory=list)
    attacked: list[str] = field(default_factory=list)
    cases: list[tuple[str, str, bool]] = field(default_factory=list)  # attacker, victim, aggression
    # pulls decided this round: nation -> side -> [lowest rank, honoured offense among them]
    pulls: dict[str, dict[str, list]] = field(default_factory=dict)
    round: int = 0
    #: the story of the cascade (:func:`trace_reference`), or None when not traced
    events: list[dict] | None = None

    def note(self, event: str, **fields: object) -> None:
        """Record one event of the story (only when the cascade is traced)."""
        if self.events is not None:
            self.events.append({"round": self.round, "event": event, **fields})

    def at_war_with(self, x: str, y: str) -> bool:
        return x in self.side and y in self.side and self.side[x] != self.side[y]

    def attack(self, attacker: str, victim: str) -> None:
        """``attacker`` attacks ``victim`` (an aggression if the attacker is an aggressor)."""
        self.attackers.setdefault(victim, set()).add(attacker)
        if victim not in self.attacked:
            self.attacked.append(victim)
        self.cases.append((attacker, victim, attacker in self.aggressor))
        self.note("attack", attacker=attacker, victim=victim, aggression=attacker in self.aggressor)

    def join(self, nation: str, s: str, r: int, via: str, source: str | None) -> None:
        self.side[nation] = s
        self.entered.append((nation, s, r, via, source))
        self.newly.append(nation)
        self.last_round = r
        self.note("enter", nation=nation, side=s, via=via, source=source)

    def pull(self, nation: str, towards: str, rank: int, offense: bool) -> None:
        best = self.pulls.setdefault(nation, {}).setdefault(towards, [rank, False])
        best[0] = min(best[0], rank)
        best[1] = best[1] or offense

    # -- round steps ------------------------------------------------------------------

    def enter(self, entrants: list[tuple[str, str, int, bool]], r: int) -> None:
        """Step 1: the entrants join at once, then each attacks the other side."""
        ctx = self.ctx
        for k, s, rank, offense in entrants:  # ascending id
            if rank < ctx.n_obligations:
                ob = ctx.obligations[rank]
                via, source = ob.kind, ob.treaty
            else:
                via, source = "organization", ctx.orgs[rank - ctx.n_obligations].name
            self.join(k, s, r, via, source)
            if offense:
                self.aggressor.add(k)
        for k, s, _, _ in entrants:
            for x in sorted(self.side):
                if self.side[x] != s:
                    self.attack(k, x)

    def plans(self, r: int) -> None:
        """Step 2: war plans, again and again until none fires."""
        changed = True
        while changed:
            changed = False
            for plan in self.ctx.plans:
                if plan.key in self.fired or plan.nation not in self.side:
                    continue
                if not any(self.at_war_with(plan.nation, q) for q in plan.trigger):
                    continue
                self.fired.add(plan.key)
                changed = True
                u = self.draw(decision_key(KIND_PLAN, plan.key))
                victims = [v for v in sorted(plan.attack) if v not in self.side]
                fires = u < plan.probability
                self.note("plan", plan=plan.key, nation=plan.nation, draw=u,
                          probability=plan.probability, fired=fires,
                          victims=victims if fires else [])  # fmt: skip
                if not fires:
                    continue
                if victims:
                    self.aggressor.add(plan.nation)
                mine = self.side[plan.nation]
                for v in victims:
                    self.join(v, _other(mine), r, "plan", plan.nation)
                    self.attack(plan.nation, v)

    def condition_holds(self, ob: _Obligation) -> bool:
        j = ob.protege
        if ob.kind == "offense":
            return not ob.against or any(self.at_war_with(x, j) for x in ob.against)
        hit = self.attackers.get(j, set())
        if ob.against and not (ob.against & hit):
            return False
        if ob.unprovoked and j in self.aggressor:
            return False
        return len(hit) >= ob.min_attackers

    def obligations(self) -> None:
        """Step 3a: the obligations round r's events trigger, in rank order."""
        candidates: set[int] = set()
        for j in self.side:  # offense: towards every nation at war
            candidates.update(ob.rank for ob in self.ctx.towards[j] if ob.kind == "offense")
        for j in self.attacked:
            candidates.update(ob.rank for ob in self.ctx.towards[j] if ob.kind != "offense")
        for rank in sorted(candidates - self.decided):
            ob = self.ctx.obligations[rank]
            if not self.condition_holds(ob):
                continue  # not triggered: may trigger later
            what = {"treaty": ob.treaty, "kind": ob.kind, "obligor": ob.obligor,
                    "protege": ob.protege, "condition": _condition_text(ob)}  # fmt: skip
            if ob.obligor in self.side:
                if self.side[ob.obligor] != self.side[ob.protege]:
                    self.decided.add(rank)
                    self.conflicted += 1  # at war against its own protege
                    self.note("obligation", **what, outcome="conflicted")
                continue  # (on the protege's side already: nothing)
            self.decided.add(rank)
            u = self.draw(ob.key)
            honoured = u < ob.reliability
            self.note("obligation", **what, draw=u, reliability=ob.reliability,
                      outcome="honoured" if honoured else "broken")  # fmt: skip
            if honoured:
                self.pull(ob.obligor, self.side[ob.protege], rank, ob.kind == "offense")
            else:
                self.broken += 1

    def culprits(self, o: Organization) -> list[str]:
        """The nations that oblige organization ``o`` by this round's attacks, in order."""
        m = set(o.members)
        out: list[str] = []
        for a, v, aggression in self.cases:
            if o.kind == "collective_security":
                hit = aggression and a in m and v in m
            else:
                hit = a not in m and v in m
                if hit and o.unprovoked:
                    hit = aggression and v not in self.aggressor
            if hit and a not in out:
                out.append(a)
        return out

    def blocked(self, o: Organization, c: str) -> bool:
        """True if organization ``o`` is blocked from acting against culprit ``c``."""
        if o.unanimity:
            parties = {c} | {v for a, v, _ in self.cases if a == c and v in o.members}
            holders = set(o.members) - parties
        else:
            holders = set(o.veto)
        pledged = self.ctx.pledged_defense_offense.get(c, set())
        return any(
            h == c or (h in self.side and self.side[h] == self.side[c]) or h in pledged
            for h in holders
        )

    def organizations(self) -> None:
        """Step 3b: each organization answers the culprits of this round."""
        ctx = self.ctx
        for gi, o in enumerate(ctx.orgs):
            if o.kind == "arbitration":
                continue
            culprits = self.culprits(o)
            if not culprits:
                continue
            blocked = {c: self.blocked(o, c) for c in culprits}
            if any(blocked.values()):
                self.vetoed = True
            self.note("organization", organization=o.name, kind=o.kind, culprits=culprits,
                      blocked=[c for c in culprits if blocked[c]])  # fmt: skip
            pm = o.response_probability("military")
            ps = o.response_probability("sanctions")
            pd_ = o.response_probability("diplomacy")
            thresholds = (pm, pm + ps, pm + ps + pd_)
            cap = LADDER.index(o.blocked_response)
            for m in sorted(o.members):
                if m in self.side or (o.name, m) in self.responded:
                    continue
                self.responded.add((o.name, m))
                u = self.draw(decision_key(KIND_ORGANIZATION, o.name, m))
                level = next(
                    (
                        lv
                        for lv, t in zip((MILITARY, SANCTIONS, DIPLOMACY), thresholds, strict=True)
                        if u < t
                    ),
                    0,
                )
                top = 0
                sanctioned: set[str] = set()
                for c in culprits:
                    lc = min(level, cap) if blocked[c] else level
                    top = max(top, lc)
                    if lc == MILITARY:
                        self.pull(m, _other(self.side[c]), ctx.n_obligations + gi, False)
                    elif lc == SANCTIONS:
                        sanctioned.add(self.side[c])
                if top == SANCTIONS:
                    self.sanctions += 1
                elif top == DIPLOMACY:
                    self.diplomacy += 1
                self.note("response", organization=o.name, member=m, draw=u,
                          response=LADDER[top])  # fmt: skip
                for s in sanctioned:
                    self.sanctions_on[s] += 1

    def entrants(self) -> list[tuple[str, str, int, bool]]:
        """Step 3c: who enters next round (pulled one way, not held by a pledge)."""
        out = []
        for k in sorted(self.pulls):
            towards = self.pulls[k]
            if len(towards) == 2:
                self.note("stays_out", nation=k, why="pulled towards both sides")
                continue  # pulled both ways: stays out this round
            ((s, (rank, offense)),) = towards.items()
            held = False
            failed = 0
            for pl in self.ctx.pledges[k]:
                j = pl.protege
                if j not in self.side or self.side[j] == s:
                    continue
                if pl.against and not any(self.at_war_with(x, j) for x in pl.against):
                    continue
                if pl.key not in self.pledge_state:
                    u = self.draw(pl.key)
                    self.pledge_state[pl.key] = u < pl.reliability
                    holds = self.pledge_state[pl.key]
                    self.note("neutrality", treaty=pl.treaty, obligor=k, protege=j, draw=u,
                              reliability=pl.reliability, holds=holds)  # fmt: skip
                if self.pledge_state[pl.key]:
                    held = True
                else:
                    failed += 1
            if held:
                self.note("stays_out", nation=k, why="a neutrality pledge holds")
                continue
            self.broken += failed
            out.append((k, s, rank, offense))
        return out


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
KIND_ARBITRATION = 9


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


# ---- canonical order ----------------------------------------------------------------


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


def _incident(ctx: _Context, draw: Callable[[int], float]) -> tuple[str, str]:
    inc = ctx.world.incident
    if inc.mode == "fixed":
        assert inc.initiator is not None and inc.target is not None
        return inc.initiator, inc.target
    weight = {nid: (ctx.power[nid] if inc.weights == "power" else 1.0) for nid in ctx.ids}
    inits = sorted(inc.initiators) if inc.initiators is not None else ctx.ids
    targs = sorted(inc.targets) if inc.targets is not None else ctx.ids
    initiator = _pick(inits, weight, None, draw(decision_key(KIND_INCIDENT_INITIATOR)))
    target = _pick(targs, weight, initiator, draw(decision_key(KIND_INCIDENT_TARGET)))
    return initiator, target


def _deterred(
    ctx: _Context,
    initiator: str,
    target: str,
    draw: Callable[[int], float],
    note: Callable[..., None] | None = None,
) -> bool:
    """The initiator weighs the target and the supporters the incident would call in."""
    deterrence = ctx.world.dynamics.deterrence
    if deterrence <= 0.0:
        return False
    facing = ctx.power[target]
    for ob in ctx.towards[target]:
        if ob.obligor == initiator or ob.min_attackers > 1:
            continue
        if ob.against and initiator not in ob.against:
            continue
        facing += ob.reliability * ctx.power[ob.obligor]
    own = ctx.power[initiator]
    for ob in ctx.towards[initiator]:
        if ob.kind == "offense" and ob.obligor != target:
            own += ob.reliability * ctx.power[ob.obligor]
    both = own + facing
    p_back_down = deterrence * (facing / both) if both > 0.0 else 0.0
    u = draw(decision_key(KIND_DETERRENCE))
    if note is not None:
        note("deterrence", draw=u, probability=p_back_down, deterred=u < p_back_down)
    return u < p_back_down


def _settled(
    ctx: _Context,
    initiator: str,
    target: str,
    draw: Callable[[int], float],
    note: Callable[..., None] | None = None,
) -> bool:
    """Arbitration before the war: the first organization (by name) that settles."""
    for o in ctx.orgs:
        if o.kind == "arbitration" and initiator in o.members and target in o.members:
            u = draw(decision_key(KIND_ARBITRATION, o.name))
            if note is not None:
                note("arbitration", organization=o.name, draw=u, settlement=o.settlement,
                     settled=u < o.settlement)  # fmt: skip
            if u < o.settlement:
                return True
    return False


def _row(rep: int, initiator: str, target: str) -> dict:
    return {
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
        "conflicted": 0,
        "sanctions": 0,
        "diplomacy": 0,
        "settled": False,
        "power_share": 0.0,
        "vetoed": False,
        "winner": None,
        "world_war": False,
    }


def _cascade(
    ctx: _Context,
    seed: int,
    rep: int,
    want_participants: bool,
    events: list[dict] | None = None,
):
    dyn = ctx.world.dynamics
    state = rep_state(seed, rep)

    def draw(key: int) -> float:
        return uniform(state, key)

    c = _Cascade(ctx, draw, events=events)
    initiator, target = _incident(ctx, draw)
    c.note("incident", initiator=initiator, target=target)
    row = _row(rep, initiator, target)
    if _deterred(ctx, initiator, target, draw, c.note):
        row["deterred"] = True
        return row, []
    if _settled(ctx, initiator, target, draw, c.note):
        row["settled"] = True
        return row, []

    c.aggressor.add(initiator)
    c.join(initiator, A, 0, "initial", None)
    c.join(target, D, 0, "initial", None)
    c.attack(initiator, target)
    r = 0
    entrants: list[tuple[str, str, int, bool]] = []
    while True:
        if r > 0:
            c.enter(entrants, r)
        c.plans(r)
        if r == dyn.max_rounds:
            break
        c.pulls = {}
        c.obligations()
        c.organizations()
        entrants = c.entrants()
        if not entrants:
            break
        r += 1
        c.round = r
        c.newly, c.attacked, c.cases = [], [], []
    _outcome(ctx, c, row, draw)
    c.note("outcome", **{k: row[k] for k in ("belligerents", "side_a", "side_d", "majors",
                                              "broken_promises", "conflicted", "vetoed",
                                              "winner", "world_war")})  # fmt: skip
    parts = []
    if want_participants:
        parts = [
            {"replicate": rep, "nation": x, "side": s, "round": rr, "via": v, "source": src}
            for x, s, rr, v, src in c.entered
        ]
    return row, parts


def _outcome(ctx: _Context, c: _Cascade, row: dict, draw: Callable[[int], float]) -> None:
    """The winner by the contest function, and the row's counts."""
    dyn = ctx.world.dynamics
    p_a = p_d = 0.0
    for nid, s, *_ in c.entered:  # summed in order of entry
        if s == A:
            p_a += ctx.power[nid]
        else:
            p_d += ctx.power[nid]
    # summed in entry order, the total in id order: clamp the rounding excess
    share = min(1.0, (p_a + p_d) / ctx.total_power) if ctx.total_power > 0.0 else 0.0
    keep = 1.0 - dyn.sanction_effect
    for _ in range(c.sanctions_on[A]):
        p_a *= keep
    for _ in range(c.sanctions_on[D]):
        p_d *= keep
    p_win_a = contest(p_a, p_d, dyn.contest_exponent)
    winner = A if draw(decision_key(KIND_OUTCOME)) < p_win_a else D
    majors = sum(1 for nid in c.side if ctx.major[nid])
    row.update(
        belligerents=len(c.side),
        side_a=sum(1 for s in c.side.values() if s == A),
        side_d=sum(1 for s in c.side.values() if s == D),
        majors=majors,
        rounds=c.last_round,
        broken_promises=c.broken,
        conflicted=c.conflicted,
        sanctions=c.sanctions,
        diplomacy=c.diplomacy,
        power_share=share,
        vetoed=c.vetoed,
        winner=winner,
        world_war=majors >= dyn.world_war_majors,
    )


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


def trace_reference(world: World, seed: int, replicate: int) -> tuple[list[dict], dict]:
    """The story of one cascade: every decision, in order, and the final row.

    Each event is a dict with ``round`` and ``event`` (``incident``,
    ``deterrence``, ``arbitration``, ``attack``, ``plan``, ``obligation``,
    ``organization``, ``response``, ``neutrality``, ``stays_out``, ``enter``,
    ``outcome``) and the fields of that decision, draws included. The row is the
    one :func:`simulate_reference` gives for that replicate.
    """
    events: list[dict] = []
    row, _ = _cascade(_Context(world), seed, replicate, False, events)
    return events, row


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
