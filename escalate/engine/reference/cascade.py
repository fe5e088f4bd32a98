"""The rules of one cascade, round by round, in plain Python (docs/model.md).

This is the executable form of the rules: the numba kernel
(:mod:`escalate.engine.kernel`) implements them on flat arrays, both consume the
same keyed draws, and they must produce identical rows. A rule lives in one method
here; what the story of a cascade says about it is worded apart, in
:mod:`.notes`: a rule calls one ``note_*`` method per event.

Model version 2 (``model = 2``) and version 3 share every method: where they differ
(whom an entrant attacks, what "at war with" means, conditions of the veto, honour
as a function of the decision, unaligned entry), the method says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ...model.entities import Organization
from ...model.schema import LADDER
from .draws import (
    KIND_ORGANIZATION,
    KIND_PLAN,
    KIND_UNALIGNED,
    KIND_UNALIGNED_SIDE,
    decision_key,
)
from .notes import Narration
from .world import Context, Obligation, log_ratio, logistic

__all__ = ["A", "Cascade", "D", "other"]

A, D = "A", "D"
MILITARY, SANCTIONS, DIPLOMACY = LADDER.index("military"), LADDER.index("sanctions"), 1


def other(side: str) -> str:
    """The other side."""
    return D if side == A else A


@dataclass
class _Pull:
    """The pulls towards one side that a nation got this round."""

    rank: int  # the lowest source rank: names its via and source
    offense: bool = False  # an honoured offense obligation among them (an aggressor)
    friends: set[str] = field(default_factory=set)  # the proteges that pulled it
    culprits: set[str] = field(default_factory=set)  # the nations it was pulled against


@dataclass
class Cascade(Narration):
    """The state of one cascade (its story: :class:`~.notes.Narration`)."""

    ctx: Context
    draw: Callable[[int], float]
    theatre: frozenset[str] = frozenset()
    parties: dict[str, list[str]] = field(default_factory=dict)  # incident parties by side
    side: dict[str, str] = field(default_factory=dict)
    entered: list[tuple[str, str, int, str, str | None]] = field(default_factory=list)
    aggressor: set[str] = field(default_factory=set)
    attackers: dict[str, set[str]] = field(default_factory=dict)
    victims: dict[str, set[str]] = field(default_factory=dict)
    decided: set[int] = field(default_factory=set)
    decided_by: set[str] = field(default_factory=set)  # obligors decided this round
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
    attacked: list[str] = field(default_factory=list)
    cases: list[tuple[str, str, bool]] = field(default_factory=list)  # attacker, victim, aggression
    pulls: dict[str, dict[str, _Pull]] = field(default_factory=dict)  # nation -> side -> pull
    round: int = 0
    #: P(joins A), P(joins D) of each nation whose unaligned decision was taken and
    #: that owes no neutrality pledge (see ``expected_counts_reference``)
    expected: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: the story of the cascade (see ``trace_reference``), or None when not traced
    events: list[dict] | None = None

    # -- the state of war ----------------------------------------------------------------

    def at_war_with(self, x: str, y: str) -> bool:
        """Whether ``x`` and ``y`` are at war with each other.

        Version 2: they are on opposite sides. Version 3: one has attacked the other
        (under ``entry = "enemies"`` two nations of opposite sides need not be).
        """
        if self.ctx.model == 2:
            return x in self.side and y in self.side and self.side[x] != self.side[y]
        return x in self.attackers.get(y, ()) or y in self.attackers.get(x, ())

    def enemy_power(self, j: str) -> float:
        """The summed power of the nations at war with ``j``, in order of entry."""
        total = 0.0
        for x, *_ in self.entered:
            if self.at_war_with(x, j):
                total += self.ctx.power[x]
        return total

    def attack(self, attacker: str, victim: str) -> None:
        """``attacker`` attacks ``victim`` (an aggression if the attacker is an aggressor)."""
        self.attackers.setdefault(victim, set()).add(attacker)
        self.victims.setdefault(attacker, set()).add(victim)
        if victim not in self.attacked:
            self.attacked.append(victim)
        self.cases.append((attacker, victim, attacker in self.aggressor))
        self.note_attack(attacker, victim, attacker in self.aggressor)

    def join(self, nation: str, s: str, r: int, via: str, source: str | None) -> None:
        """``nation`` enters the war on side ``s`` in round ``r``."""
        self.side[nation] = s
        self.entered.append((nation, s, r, via, source))
        self.last_round = r
        self.note_enter(nation, s, via, source)

    def pull(self, nation: str, towards: str, rank: int, offense: bool, friend: str | None = None,
             culprits: tuple[str, ...] = ()) -> None:  # fmt: skip
        """Pull ``nation`` towards side ``towards`` (to help ``friend``, against ``culprits``)."""
        p = self.pulls.setdefault(nation, {}).setdefault(towards, _Pull(rank))
        p.rank = min(p.rank, rank)
        p.offense = p.offense or offense
        if friend is not None:
            p.friends.add(friend)
        p.culprits.update(culprits)

    def covariates(self, k: str, j: str) -> dict[str, float]:
        """What the honour of ``k``'s obligation towards ``j`` depends on, now."""
        ctx = self.ctx
        return {
            "major": 1.0 if ctx.major[k] else 0.0,
            "in_theatre": 1.0 if ctx.in_theatre(k, self.theatre) else 0.0,
            "aggressor": 1.0 if j in self.aggressor else 0.0,
            "depth": float(self.round),
            "power": log_ratio(ctx.power[k], self.enemy_power(j)) if ctx.model == 3 else 0.0,
        }

    # -- round steps ------------------------------------------------------------------

    def incident(self, initiators: list[str], targets: list[str]) -> None:
        """Round 0: every initiator (an aggressor) attacks every target."""
        for a in initiators:
            self.aggressor.add(a)
            self.join(a, A, 0, "initial", None)
        for t in targets:
            self.join(t, D, 0, "initial", None)
        for a in initiators:
            for t in targets:
                self.attack(a, t)
        self.parties = {A: initiators, D: targets}

    def enter(self, entrants: list[tuple[str, str, _Pull]], r: int) -> None:
        """Step 1: the entrants join at once, then each attacks its targets."""
        ctx = self.ctx
        new = {k for k, _, _ in entrants}
        for k, s, p in entrants:  # ascending id
            if p.rank < ctx.n_obligations:
                ob = ctx.obligations[p.rank]
                via, source = ob.kind, ob.treaty
            elif p.rank < ctx.n_obligations + len(ctx.orgs):
                via, source = "organization", ctx.orgs[p.rank - ctx.n_obligations].name
            else:
                via, source = "unaligned", None
            self.join(k, s, r, via, source)
            if p.offense:
                self.aggressor.add(k)
        if ctx.entry == "side":  # every nation on the other side (sorted once a round)
            by_side: dict[str, list[str]] = {A: [], D: []}
            for x in sorted(self.side):
                by_side[self.side[x]].append(x)
            for k, s, _ in entrants:
                for x in by_side[other(s)]:
                    self.attack(k, x)
            return
        targets = self._enemy_targets(entrants, new)
        for k, _, _ in entrants:
            for x in sorted(targets[k]):
                self.attack(k, x)

    def _enemy_targets(self, entrants: list[tuple[str, str, _Pull]], new: set[str]) -> dict:
        """``entry = "enemies"``: whom each entrant attacks.

        The nations at war with those that pulled it in (its friends), and the
        culprits it was pulled against; then the entrants of the other side that
        attack one of its friends.
        """
        first: dict[str, set[str]] = {}
        for k, s, p in entrants:
            enemies = set(p.culprits)
            for f in p.friends:  # at war with f: attacked f, or attacked by f
                enemies |= self.attackers.get(f, set()) | self.victims.get(f, set())
            first[k] = {x for x in enemies if x not in new and self.side.get(x) == other(s)}
        attacking: dict[str, list[tuple[str, str]]] = {}  # x -> the entrants to attack x
        for e, se, _ in entrants:
            for x in first[e]:
                attacking.setdefault(x, []).append((e, se))
        out = {}
        for k, s, p in entrants:
            same_round = {e for f in p.friends for e, se in attacking.get(f, ()) if se != s}
            out[k] = first[k] | same_round
        return out

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
                self.note_plan(plan.key, plan.nation, u, plan.probability, victims)
                if not u < plan.probability:
                    continue
                if victims:
                    self.aggressor.add(plan.nation)
                mine = self.side[plan.nation]
                for v in victims:
                    self.join(v, other(mine), r, "plan", plan.nation)
                    self.attack(plan.nation, v)

    def condition_holds(self, ob: Obligation, veto: bool = False) -> bool:
        """Whether the casus foederis of ``ob`` holds towards its protege now.

        For the veto (``veto``), ``min_attackers`` counts only above 1: being attacked
        at all is what triggers a defense obligation, not a condition of it.
        """
        j = ob.protege
        if ob.located and not self.ctx.in_theatre(j, self.theatre):
            return False
        if ob.kind == "offense":
            return not ob.against or any(self.at_war_with(x, j) for x in ob.against)
        hit = self.attackers.get(j, set())
        if ob.against and not (ob.against & hit):
            return False
        if ob.unprovoked and j in self.aggressor:
            return False
        if veto and ob.min_attackers <= 1:
            return True
        return len(hit) >= ob.min_attackers

    def obligations(self) -> None:
        """Step 3a: the obligations round r's events trigger, in rank order."""
        candidates: set[int] = set()
        for j in self.side:  # offense: towards every nation at war
            candidates.update(ob.rank for ob in self.ctx.towards[j] if ob.kind == "offense")
        for j in self.attacked:
            candidates.update(ob.rank for ob in self.ctx.towards[j] if ob.kind != "offense")
        self.decided_by = set()
        for rank in sorted(candidates - self.decided):
            ob = self.ctx.obligations[rank]
            if not self.condition_holds(ob):
                continue  # not triggered: may trigger later
            if ob.obligor in self.side:
                if self.side[ob.obligor] != self.side[ob.protege]:
                    self.decided.add(rank)
                    self.decided_by.add(ob.obligor)
                    self.conflicted += 1  # at war against its own protege
                    self.note_obligation(ob, "conflicted")
                continue  # (on the protege's side already: nothing)
            self.decided.add(rank)
            self.decided_by.add(ob.obligor)
            x = self.covariates(ob.obligor, ob.protege)
            p = self.ctx.honour(ob, x)
            u = self.draw(ob.key)
            honoured = u < p
            self.note_obligation(ob, "honoured" if honoured else "broken", u, p, x)
            if honoured:
                s = self.side[ob.protege]
                self.pull(ob.obligor, s, rank, ob.kind == "offense", friend=ob.protege)
            else:
                self.broken += 1

    def culprits(self, o: Organization) -> list[str]:
        """The nations that oblige organization ``o`` by this round's attacks, in order.

        Which attacks an organization must answer (docs/model.md, "Organizations"), read
        when it decides. The kernel's one helper for the same rule is
        :func:`escalate.engine.state.must_answer`: asked as each attack happens
        (:func:`escalate.engine.state.attack`) and again when the organization decides
        (:func:`escalate.engine.orgs.keep_culprits`), since a victim may become an
        aggressor in between. The order is the story's (``escalate trace``); the
        kernel's may differ, and no row depends on it.
        """
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

    def pledged(self, h: str, c: str) -> bool:
        """Whether ``h`` owes culprit ``c`` a defense or offense obligation that counts.

        Version 2: any such obligation. Version 3: one whose conditions hold towards
        ``c`` now (an ``unprovoked``-only pledge never does: ``c`` is an aggressor).
        """
        if self.ctx.model == 2:
            return h in self.ctx.pledged_defense_offense.get(c, set())
        return any(
            ob.obligor == h and ob.kind in ("defense", "offense") and self.condition_holds(ob, True)
            for ob in self.ctx.towards[c]
        )

    def blocked(self, o: Organization, c: str) -> bool:
        """True if organization ``o`` is blocked from acting against culprit ``c``.

        The veto (docs/model.md, "Organizations", **Veto**), whole: a holder that is the
        culprit, fights on its side, or is pledged to it (:meth:`pledged`). This is its
        executable form; the kernel splits it in two, which change with it: the part
        that depends only on the world, computed once by the compiler
        (``org_static_block``, :func:`escalate.engine.compile._organization_arrays`),
        and the draw-time part read during the cascade
        (:func:`escalate.engine.orgs._blocked`).
        """
        if o.unanimity:
            parties = {c} | {v for a, v, _ in self.cases if a == c and v in o.members}
            holders = set(o.members) - parties
        else:
            holders = set(o.veto)
        return any(
            h == c or (h in self.side and self.side[h] == self.side[c]) or self.pledged(h, c)
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
            self.note_organization(o, culprits, blocked)
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
                    (lv for lv, t in zip((MILITARY, SANCTIONS, DIPLOMACY), thresholds, strict=True)
                     if u < t),
                    0,
                )  # fmt: skip
                top = 0
                sanctioned: set[str] = set()
                for c in culprits:
                    lc = min(level, cap) if blocked[c] else level
                    top = max(top, lc)
                    if lc == MILITARY:
                        rank = ctx.n_obligations + gi
                        self.pull(m, other(self.side[c]), rank, False, culprits=(c,))
                    elif lc == SANCTIONS:
                        sanctioned.add(self.side[c])
                if top == SANCTIONS:
                    self.sanctions += 1
                elif top == DIPLOMACY:
                    self.diplomacy += 1
                self.note_response(o, m, u, LADDER[top])
                for s in sanctioned:
                    self.sanctions_on[s] += 1

    def unaligned(self) -> None:
        """Version 3, after round 0's obligations: nations without one may join.

        A nation not at war, not pulled and with no obligation decided in round 0
        joins with a logistic probability, then takes side D with another; it enters
        in round 1 against the other side's incident parties.
        """
        ctx = self.ctx
        c = ctx.unaligned
        if ctx.model == 2 or c["intercept"] == -math.inf:
            return
        p_side = dict.fromkeys((A, D), 0.0)
        for s in (A, D):
            for x in self.parties[s]:
                p_side[s] += ctx.power[x]
        rank = ctx.n_obligations + len(ctx.orgs)
        for k in ctx.ids:
            if k in self.side or k in self.pulls or k in self.decided_by:
                continue
            owes = ctx.owes[k]
            ties = 1.0 if any(j in self.side for j in owes) else 0.0
            z = c["intercept"]
            z += c["major"] * (1.0 if ctx.major[k] else 0.0)
            z += c["in_theatre"] * (1.0 if ctx.in_theatre(k, self.theatre) else 0.0)
            z += c["power"] * log_ratio(ctx.power[k], ctx.total_power)
            z += c["ties"] * ties
            p = logistic(z)
            t = {s: float(sum(1 for j in owes if j in self.parties[s])) for s in (A, D)}
            zs = c["side_intercept"]
            zs += c["side_power"] * log_ratio(p_side[D], p_side[A])
            zs += c["side_ties"] * (t[D] - t[A])
            ps = logistic(zs)
            if not ctx.pledges[k]:  # a pull is an entry: its chances are known now
                self.expected[k] = (p * (1.0 - ps), p * ps)
            u = self.draw(decision_key(KIND_UNALIGNED, k))
            if not u < p:
                continue
            us = self.draw(decision_key(KIND_UNALIGNED_SIDE, k))
            s = D if us < ps else A
            self.note_unaligned(k, u, p, us, ps, s)
            self.pull(k, s, rank, False, culprits=tuple(self.parties[other(s)]))

    def entrants(self) -> list[tuple[str, str, _Pull]]:
        """Step 3c: who enters next round (pulled one way, not held by a pledge)."""
        out = []
        for k in sorted(self.pulls):
            towards = self.pulls[k]
            if len(towards) == 2:
                self.note_pulled_both_ways(k)
                continue  # pulled both ways: stays out this round
            ((s, p),) = towards.items()
            held, failed = self.neutrality(k, s)
            if held:
                self.note_held_by_pledge(k)
                continue
            self.broken += failed
            out.append((k, s, p))
        return out

    def neutrality(self, k: str, s: str) -> tuple[bool, int]:
        """``k``'s pledges towards nations at war against side ``s``: held, and failed."""
        held = False
        failed = 0
        for pl in self.ctx.pledges[k]:
            j = pl.protege
            if j not in self.side or self.side[j] == s:
                continue
            if pl.located and not self.ctx.in_theatre(j, self.theatre):
                continue
            if pl.unprovoked and j in self.aggressor:
                continue
            if pl.against and not any(self.at_war_with(x, j) for x in pl.against):
                continue
            if pl.key not in self.pledge_state:
                x = self.covariates(k, j)
                p = self.ctx.honour(pl, x)
                u = self.draw(pl.key)
                self.pledge_state[pl.key] = u < p
                self.note_neutrality(pl, k, j, u, p, x)
            if self.pledge_state[pl.key]:
                held = True
            else:
                failed += 1
        return held, failed
