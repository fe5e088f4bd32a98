"""What the reference knows of a world, built once: lookups, canonical order, honour.

The reference's own lookups, independent of :mod:`escalate.engine.compile`: the
canonical order of obligations is written out again here
(:func:`canonical_obligations`) and tests check that the two agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...model.entities import World
from .draws import KIND_NEUTRALITY, KIND_OBLIGATION, KIND_TREATY, decision_key

__all__ = ["POWER_FLOOR", "Context", "Obligation", "canonical_obligations", "logistic"]

#: Powers below this count as this in the logs of the version 3 covariates
#: (``power``): a CINC share under one millionth is noise, and log(0) is -inf.
POWER_FLOOR = 1e-6


def logistic(z: float) -> float:
    """1 / (1 + exp(-z)); 0.0 where exp overflows (the kernel's inf gives 0.0 too)."""
    try:
        return 1.0 / (1.0 + math.exp(-z))
    except OverflowError:
        return 0.0


def log_ratio(x: float, y: float) -> float:
    """log(x / y), each floored at :data:`POWER_FLOOR`."""
    return math.log(max(x, POWER_FLOOR) / max(y, POWER_FLOOR))


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
class Obligation:
    """One directed obligation (a neutrality pledge too), with what decides it.

    ``fixed`` is its honour probability when fixed (model version 2, or a
    reliability set in the world), else None: then ``static`` is the part of the
    log-odds known before the cascade (``a[kind] + b_major major + b_members
    log(members) + b_unwritten unwritten``), see :meth:`Context.honour`.
    """

    rank: int
    treaty: str
    kind: str
    obligor: str
    protege: str
    fixed: float | None
    static: float
    key: int
    against: frozenset[str]
    unprovoked: bool
    min_attackers: int
    located: bool

    @property
    def p_static(self) -> float:
        """The honour probability before the cascade (deterrence weighs supporters by it)."""
        return self.fixed if self.fixed is not None else logistic(self.static)


class Context:
    """Lookups built once per world."""

    def __init__(self, world: World):
        self.world = world
        d = world.dynamics
        self.model = d.model
        self.entry = "side" if d.model == 2 else d.entry
        self.ids = sorted(world.ids)
        self.power = {n.id: n.power for n in world.nations}
        self.major = {n.id: n.major for n in world.nations}
        self.region = {n.id: n.region for n in world.nations}
        self.total_power = 0.0
        for nid in self.ids:
            self.total_power += self.power[nid]
        self.coef = dict(d.honour)
        self.unaligned = dict(d.unaligned)
        treaty = {a.name: a for a in world.alliances}
        # log of each treaty's number of members, once per treaty (not per obligation)
        self.log_size = {a.name: math.log(a.size) for a in world.alliances}
        self.obligations = [
            self._obligation(r, treaty[t], kind, k, j)
            for r, (t, kind, k, j, _) in enumerate(canonical_obligations(world))
        ]
        self.towards: dict[str, list[Obligation]] = {nid: [] for nid in self.ids}
        self.owes: dict[str, list[str]] = {nid: [] for nid in self.ids}  # every kind
        for ob in self.obligations:  # ascending rank
            self.towards[ob.protege].append(ob)
        self.pledges: dict[str, list[Obligation]] = {nid: [] for nid in self.ids}
        for a in sorted(world.alliances, key=lambda a: a.name):
            for k, j in a.pairs:
                self.owes[k].append(j)
                if a.kind == "neutrality":
                    self.pledges[k].append(self._obligation(-1, a, a.kind, k, j))
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

    def _obligation(self, rank: int, a, kind: str, k: str, j: str) -> Obligation:
        tag = KIND_NEUTRALITY if kind == "neutrality" else KIND_OBLIGATION
        v3 = self.model == 3
        # decide = "treaty": the obligor's obligations of this kind under this treaty
        # share one draw (honoured towards j when it is below j's probability)
        key = decision_key(tag, a.name, k, j)
        if v3 and self.world.dynamics.decide == "treaty" and kind != "neutrality":
            key = decision_key(KIND_TREATY, a.name, kind, k)
        static = 0.0
        if v3:  # the static log-odds, added in this order (the compiler does the same)
            h = self.coef
            static = h[f"intercept.{kind}"]
            static += h["major"] * (1.0 if self.major[k] else 0.0)
            static += h["members"] * self.log_size[a.name]
            static += h["unwritten"] * (1.0 if a.unwritten else 0.0)
        return Obligation(
            rank, a.name, kind, k, j, self.world.fixed_reliability(a), static,
            key, frozenset(a.against),
            a.unprovoked and (v3 or kind != "neutrality"), a.min_attackers, a.located and v3,
        )  # fmt: skip

    def in_theatre(self, nation: str, theatre: frozenset[str]) -> bool:
        """Whether ``nation``'s region is in ``theatre`` (False without a region)."""
        region = self.region[nation]
        return region is not None and region in theatre

    def honour(self, ob: Obligation, covariates: dict[str, float]) -> float:
        """The probability that ``ob`` is honoured, given the decision's covariates.

        Fixed, or p = 1 / (1 + exp(-z)) with z = the static part, then
        ``in_theatre``, ``aggressor``, ``depth`` and ``power`` times their
        coefficients, added in that order.
        """
        if ob.fixed is not None:
            return ob.fixed
        h = self.coef
        z = ob.static
        z += h["in_theatre"] * covariates["in_theatre"]
        z += h["aggressor"] * covariates["aggressor"]
        z += h["depth"] * covariates["depth"]
        z += h["power"] * covariates["power"]
        return logistic(z)
