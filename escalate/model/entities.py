"""The world as data: immutable dataclasses, and :class:`WorldError`.

Worlds are built by the loader (:func:`escalate.model.load.load_world`,
:func:`~escalate.model.load.world_from_dict`), which validates everything; the
dataclasses themselves check nothing. To change a world, change its
``to_dict()`` and pass that to :func:`~escalate.model.load.world_from_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .defaults import (
    DEFAULT_DECIDE,
    DEFAULT_DYNAMICS,
    DEFAULT_HONOUR,
    DEFAULT_MODEL,
    DEFAULT_UNALIGNED,
    default,
    default_entry,
)
from .dump import canonical_hash, world_to_dict
from .summary import summarize

__all__ = [
    "Alliance",
    "Dynamics",
    "Incident",
    "Nation",
    "Organization",
    "Plan",
    "World",
    "WorldError",
]


class WorldError(ValueError):
    """An invalid world file: the message names the file, key path and bad value.

    One error is one problem: ``source`` (the file), ``line`` (its line in the
    TOML file, ``None`` where it cannot be known, e.g. for a dict), ``path`` (the
    key path, entries named by their id or name: ``alliances[Dual Alliance].members[1]``)
    and ``problem``. The validator reports every problem of a file at once: the
    error it raises holds them all in ``errors`` (one a line in its message); its
    own ``path``, ``problem`` and ``line`` are those of the first.
    """

    def __init__(
        self,
        source: str,
        path: str,
        problem: str,
        line: int | None = None,
        index_path: str | None = None,
    ):
        self.source = source
        self.path = path
        self.problem = problem
        self.line = line
        #: the key path with 0-based list indices (``alliances[3].members[1]``)
        self.index_path = path if index_path is None else index_path
        self.errors: tuple[WorldError, ...] = (self,)
        super().__init__(self._line())

    def _line(self) -> str:
        at = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{at}: {self.path}: {self.problem}" if self.path else f"{at}: {self.problem}"

    @classmethod
    def of(cls, errors: list[WorldError]) -> WorldError:
        """One error holding every problem of ``errors`` (at least one), in order."""
        if len(errors) == 1:
            return errors[0]
        first = errors[0]
        out = cls(first.source, first.path, first.problem, first.line, first.index_path)
        out.errors = tuple(errors)
        out.args = ("\n".join(e._line() for e in errors),)
        return out


@dataclass(frozen=True)
class Nation:
    """A state: short id, display name, power (CINC share by default), major power flag."""

    id: str
    name: str
    power: float
    major: bool = False
    #: one of :data:`~escalate.model.schema.REGIONS` (model version 3), or None
    region: str | None = None


@dataclass(frozen=True)
class Alliance:
    """A treaty giving directed obligations ``(obligor, protege)``.

    Either ``members`` (every ordered pair) or ``guarantors``/``protected``
    (guarantor -> protected pairs only) is set. ``reliability`` is ``None`` when
    the per-kind default of the world's dynamics applies. The conditions (casus
    foederis, docs/model.md): ``against`` (only against these nations; empty:
    anyone), ``unprovoked`` (not while the protege is an aggressor; on ``defense``,
    ``entente`` and, from version 3, ``neutrality``), ``min_attackers`` (only once the
    protege has been attacked by that many distinct nations; ``defense`` and
    ``entente`` only) and, from version 3, ``located`` (only while the protege's
    region is in the theatre, any kind).
    """

    name: str
    kind: str
    members: tuple[str, ...] | None = None
    guarantors: tuple[str, ...] | None = None
    protected: tuple[str, ...] | None = None
    reliability: float | None = None
    against: tuple[str, ...] = ()
    unprovoked: bool = False
    min_attackers: int = 1
    #: model version 3: holds only while the protege's region is in the theatre
    located: bool = False
    #: model version 3: the treaty carries a condition the model cannot express (a
    #: covariate of honour, not a filter)
    unwritten: bool = False

    @property
    def conditional(self) -> bool:
        """True if any condition restricts when the treaty's obligations trigger."""
        return bool(self.against) or self.unprovoked or self.min_attackers > 1 or self.located

    @property
    def size(self) -> int:
        """The number of distinct nations party to the treaty."""
        if self.members is not None:
            return len(set(self.members))
        return len(set(self.guarantors or ()) | set(self.protected or ()))

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """The directed obligations (obligor, protege) of this treaty."""
        if self.members is not None:
            return tuple((k, j) for k in self.members for j in self.members if k != j)
        assert self.guarantors is not None and self.protected is not None
        return tuple((k, j) for k in self.guarantors for j in self.protected if k != j)


@dataclass(frozen=True)
class Organization:
    """A collective-security, collective-defense or arbitration organization.

    ``response`` (level -> probability, the rest is ``none``) is required of the
    two response kinds; ``settlement`` is the probability that an arbitration
    organization settles a dispute between two members; ``unprovoked`` (collective
    defense only) restricts the duty to aggressions against members that are not
    aggressors themselves.
    """

    name: str
    kind: str
    members: tuple[str, ...]
    veto: tuple[str, ...] = ()
    unanimity: bool = False
    response: tuple[tuple[str, float], ...] = ()
    blocked_response: str = "diplomacy"
    settlement: float = 0.0
    unprovoked: bool = False

    def response_probability(self, level: str) -> float:
        """Probability that an obliged member answers with ``level``."""
        if level == "none":
            return 1.0 - sum(p for _, p in self.response)
        return dict(self.response).get(level, 0.0)


@dataclass(frozen=True)
class Plan:
    """A war plan: at war with one of ``trigger``, ``nation`` attacks those of ``attack``."""

    nation: str
    trigger: tuple[str, ...]
    attack: tuple[str, ...]
    probability: float = 1.0
    name: str | None = None

    @property
    def key(self) -> str:
        """The stable identity of the plan used for its random draw."""
        if self.name:
            return self.name
        return f"{self.nation}|{','.join(sorted(self.trigger))}|{','.join(sorted(self.attack))}"


@dataclass(frozen=True)
class Incident:
    """The local incident: fixed (initiator attacks target) or drawn per replicate."""

    mode: str = "fixed"
    initiator: str | None = None
    target: str | None = None
    initiators: tuple[str, ...] | None = None
    targets: tuple[str, ...] | None = None
    weights: str = "uniform"
    #: model version 3, fixed incidents: the initiators and targets after the first
    #: (a file's ``initiator = ["USA", "UKG"]``); every initiator attacks every target
    co_initiators: tuple[str, ...] = ()
    co_targets: tuple[str, ...] = ()
    #: model version 3: the regions where the war is fought; None: the target's region
    theatre: tuple[str, ...] | None = None

    @property
    def initiator_ids(self) -> tuple[str, ...]:
        """Every initiator of a fixed incident, the first (``initiator``) first."""
        return (self.initiator, *self.co_initiators) if self.initiator is not None else ()

    @property
    def target_ids(self) -> tuple[str, ...]:
        """Every target of a fixed incident, the first (``target``) first."""
        return (self.target, *self.co_targets) if self.target is not None else ()


@dataclass(frozen=True)
class Dynamics:
    """Model parameters: ``[dynamics]``.

    The defaults, ranges, meanings and sources are the tables
    :data:`escalate.model.defaults.RULES` (``model``, ``entry``, ``decide``) and
    :data:`escalate.model.defaults.DYNAMICS`; ``reliability`` holds one
    ``(kind, reliability)`` pair per alliance kind, the default of treaties of
    that kind without their own ``reliability``.
    """

    max_rounds: int = int(default("max_rounds").value)
    world_war_majors: int = int(default("world_war_majors").value)
    deterrence: float = float(default("deterrence").value)
    contest_exponent: float = float(default("contest_exponent").value)
    sanction_effect: float = float(default("sanction_effect").value)
    reliability: tuple[tuple[str, float], ...] = tuple(DEFAULT_DYNAMICS["reliability"].items())
    #: the rules: 3 (default) or 2 (version 2, row for row)
    model: int = DEFAULT_MODEL
    #: whom an entrant attacks: "enemies" (version 3) or "side" (version 2)
    entry: str = default_entry(DEFAULT_MODEL)
    #: how often an obligor decides under one treaty: "obligation" (once per ordered
    #: pair, the default) or "treaty" (one draw per obligor, kind and treaty; model 3)
    decide: str = DEFAULT_DECIDE
    #: the kinds whose reliability is fixed by ``[dynamics.reliability]``, in
    #: ``ALLIANCE_KINDS`` order. Model 3: the kinds the world sets there (these are
    #: honoured with that fixed probability, the others by ``honour``); model 2: every
    #: kind (version 2 honours every obligation with a fixed probability)
    reliability_set: tuple[str, ...] = ()
    #: ``[dynamics.honour]``: ``(key, value)`` for ``intercept.<kind>`` and each covariate
    honour: tuple[tuple[str, float], ...] = DEFAULT_HONOUR
    #: ``[dynamics.unaligned]``: ``(term, value)``
    unaligned: tuple[tuple[str, float], ...] = DEFAULT_UNALIGNED

    def default_reliability(self, kind: str) -> float:
        """The reliability of a treaty of ``kind`` that does not set its own."""
        return dict(self.reliability)[kind]

    def honour_value(self, key: str) -> float:
        """One coefficient of ``[dynamics.honour]`` (``intercept.defense``, ``power``, ...)."""
        return dict(self.honour)[key]

    def unaligned_value(self, term: str) -> float:
        """One coefficient of ``[dynamics.unaligned]``."""
        return dict(self.unaligned)[term]


@dataclass(frozen=True)
class World:
    """A validated world: nations, obligations, organizations, plans and the incident."""

    name: str
    nations: tuple[Nation, ...]
    incident: Incident
    dynamics: Dynamics = field(default_factory=Dynamics)
    alliances: tuple[Alliance, ...] = ()
    organizations: tuple[Organization, ...] = ()
    plans: tuple[Plan, ...] = ()
    description: str = ""
    source: str = field(default="<memory>", compare=False)

    @property
    def ids(self) -> tuple[str, ...]:
        """The nation ids, in file order."""
        return tuple(n.id for n in self.nations)

    def nation(self, nation_id: str) -> Nation:
        """The nation with id ``nation_id`` (``KeyError`` if there is none)."""
        for n in self.nations:
            if n.id == nation_id:
                return n
        raise KeyError(nation_id)

    def reliability(self, alliance: Alliance) -> float:
        """The reliability of ``alliance``: its own, else the per-kind default."""
        if alliance.reliability is not None:
            return alliance.reliability
        return self.dynamics.default_reliability(alliance.kind)

    def fixed_reliability(self, alliance: Alliance) -> float | None:
        """The fixed honour probability of ``alliance``, or None where honour is logistic.

        Model version 2: :meth:`reliability`. Model version 3: the treaty's own
        reliability, else ``[dynamics.reliability]`` of its kind if the world sets it,
        else None (``[dynamics.honour]`` decides).
        """
        d = self.dynamics
        if d.model == 2 or alliance.reliability is not None:
            return self.reliability(alliance)
        if alliance.kind in d.reliability_set:
            return d.default_reliability(alliance.kind)
        return None

    def to_dict(self) -> dict[str, Any]:
        """The world as plain TOML-ready data, every default filled in."""
        return world_to_dict(self)

    def canonical_hash(self) -> str:
        """SHA-256 of the canonical form.

        It does not depend on key order, the list order of nations, treaties,
        organizations and plans, nor on comments or formatting.
        """
        return canonical_hash(self)

    def summary(self) -> str:
        """A short human-readable description used by ``escalate check``.

        It ends with the dynamics in effect, one parameter a line, values that
        differ from the defaults marked ``*``.
        """
        return summarize(self)
