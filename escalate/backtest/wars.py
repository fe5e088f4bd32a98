"""The COW Inter-State War Data: each war's participants, and the incident rule.

:func:`read_wars` reads ``Inter-StateWarData_v4.0.csv`` (bare CR line endings, as
published) into :class:`War` objects; :func:`incident_of` applies the incident rule:

* the **initiator** is the earliest-entering participant with COW ``Initiator = 1``;
* the **target** is the earliest-entering participant on the other side;
* ties (two such states entering the same day) go to the lower COW ccode;
* the **incident parties** (model version 3): besides the initiator and the target,
  every state that entered on either side on the war's first day is in the incident
  (``initiator``/``target`` lists, the rule's choice first): a party, not a third
  party. A tie is flagged ambiguous only when it leaves a tied state out of the
  incident (the tied states entered after the first day);
* the **theatre** is the union of the regions of the parties' ``WhereFought`` codes
  (:data:`escalate.importers.regions.WHERE_FOUGHT`): where the incident's own parties
  fought, not where the states that joined later did.

A state with several spells in one war (it left and re-entered, or changed sides, as
Italy and Romania in World War II) counts once, by its earliest spell: its entry day,
its side and its ``WhereFought`` are those of that spell (flagged ``side_switch`` when
a later spell is on the other side). A start day or month COW codes as unknown (-9) is
read as the first of the month (of the year).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..importers.csvfile import DataError, integer, read_table
from ..importers.regions import theatre_of

__all__ = ["Incident", "Participant", "War", "incident_of", "read_wars", "select_wars"]

_REQUIRED = (
    "WarNum", "WarName", "ccode", "StateName", "Side",
    "StartMonth1", "StartDay1", "StartYear1", "Initiator", "WhereFought",
)  # fmt: skip


@dataclass(frozen=True)
class Participant:
    """One state in one war, by its earliest spell."""

    ccode: int
    name: str
    side: int
    start: dt.date
    initiator: bool
    #: a later spell of this state in the war is on the other side
    side_switch: bool = False
    #: COW ``WhereFought`` of that spell (None: not coded)
    where_fought: int | None = None


@dataclass(frozen=True)
class War:
    """One COW inter-state war."""

    num: int
    name: str
    participants: tuple[Participant, ...]

    @property
    def start(self) -> dt.date:
        """The day the war began: the earliest entry of any participant."""
        return min(p.start for p in self.participants)

    def entry_days(self) -> dict[int, tuple[int, int]]:
        """Ccode -> (days after the start it entered, its side)."""
        s = self.start
        return {p.ccode: ((p.start - s).days, p.side) for p in self.participants}


@dataclass(frozen=True)
class Incident:
    """The incident of a war: who attacked whom, and what made it ambiguous."""

    initiator: Participant
    target: Participant
    #: why the rule had to break a tie or choose (empty: unambiguous)
    ambiguity: tuple[str, ...] = field(default=())
    #: the parties on the initiator's side, the initiator first (model version 3)
    initiators: tuple[Participant, ...] = ()
    #: the parties on the target's side, the target first
    targets: tuple[Participant, ...] = ()
    #: the regions of the parties' ``WhereFought`` (empty: none coded)
    theatre: tuple[str, ...] = ()

    @property
    def parties(self) -> tuple[Participant, ...]:
        """Every state of the incident, the initiators first."""
        return (*self.initiators, *self.targets)


def _day(year: int | None, month: int | None, day: int | None, where: str) -> dt.date:
    if year is None:
        raise DataError(f"{where}: no StartYear1")
    m = month if month is not None and 1 <= month <= 12 else 1
    d = day if day is not None and day >= 1 else 1
    try:
        return dt.date(year, m, d)
    except ValueError:
        raise DataError(f"{where}: no such day {year}-{m}-{d}") from None


def read_wars(path: str) -> dict[int, War]:
    """Every war of a COW Inter-State War file, by ``WarNum`` (in file order).

    Raises
    ------
    DataError
        The file cannot be read, lacks a column, or a row has a bad number or date.
    """
    rows = read_table(path, _REQUIRED, "the COW Inter-State War Data (Inter-StateWarData_v4.0.csv)")
    spells: dict[int, list[tuple[dt.date, int, int, str, bool, int | None]]] = {}
    names: dict[int, str] = {}
    for i, r in enumerate(rows, start=2):
        where = f"{path}:{i}"
        num, code, side = (integer(r, c, where) for c in ("WarNum", "ccode", "Side"))
        if num is None or code is None or side not in (1, 2):
            raise DataError(f"{where}: needs WarNum, ccode and Side 1 or 2")
        start = _day(
            integer(r, "StartYear1", where),
            integer(r, "StartMonth1", where),
            integer(r, "StartDay1", where),
            where,
        )
        names.setdefault(num, r["WarName"])
        wf = integer(r, "WhereFought", where)
        spells.setdefault(num, []).append(
            (start, code, side, r["StateName"], integer(r, "Initiator", where) == 1, wf)
        )
    wars = {}
    for num, rows_of in spells.items():
        first: dict[int, Participant] = {}
        sides: dict[int, set[int]] = {}
        for start, code, side, name, init, wf in sorted(rows_of, key=lambda r: r[:3]):
            sides.setdefault(code, set()).add(side)
            if code not in first:
                first[code] = Participant(code, name, side, start, init, where_fought=wf)
            elif init and not first[code].initiator:  # initiator flag on a later spell
                first[code] = dataclasses.replace(first[code], initiator=True)
        parts = tuple(
            dataclasses.replace(p, side_switch=len(sides[p.ccode]) > 1)
            for p in sorted(first.values(), key=lambda p: (p.start, p.ccode))
        )
        wars[num] = War(num, names[num], parts)
    return wars


def _earliest(parts: list[Participant], what: str, day: dt.date, notes: list[str]) -> Participant:
    """The first of ``parts`` to enter (ties: the lowest ccode).

    A tie is noted in ``notes`` unless the tied states entered on the war's first day
    ``day``: then every one of them is an incident party, and the tie only decides
    which is named first.
    """
    first = min(parts, key=lambda p: (p.start, p.ccode))
    tied = [p for p in parts if p.start == first.start and p is not first]
    if tied and first.start != day:
        notes.append(
            f"{what} entering the same day: "
            + ", ".join(f"{p.name} ({p.ccode})" for p in [first, *tied])
            + f"; the lowest ccode, {first.ccode}, is used"
        )
    return first


def _parties(war: War, first: Participant) -> tuple[Participant, ...]:
    """``first`` and every state on its side that entered on the war's first day."""
    rest = [
        p for p in war.participants if p.side == first.side and p.start == war.start and p != first
    ]
    return (first, *sorted(rest, key=lambda p: p.ccode))


def incident_of(war: War) -> Incident | None:
    """The incident by the rule of this module, or ``None`` without a coded initiator.

    Raises
    ------
    DataError
        A party's ``WhereFought`` is not a COW code.
    """
    inits = [p for p in war.participants if p.initiator]
    if not inits:
        return None
    notes: list[str] = []
    init = _earliest(inits, "initiators", war.start, notes)
    if any(p.side != init.side for p in inits):
        notes.append("initiators coded on both sides")
    others = [p for p in war.participants if p.side != init.side]
    if not others:
        return None
    target = _earliest(others, "targets", war.start, notes)
    if init.start > war.start:
        notes.append(f"the initiator entered {(init.start - war.start).days} days after the start")
    initiators, targets = _parties(war, init), _parties(war, target)
    codes = [p.where_fought for p in (*initiators, *targets) if p.where_fought is not None]
    theatre = theatre_of(codes, f"WhereFought of war {war.num}")
    return Incident(init, target, tuple(notes), initiators, targets, theatre)


def select_wars(
    wars: dict[int, War],
    *,
    since: int | None = None,
    until: int | None = None,
    ids: Iterable[int] | None = None,
    min_participants: int = 2,
) -> list[War]:
    """The wars that begin in ``[since, until]`` (years), are in ``ids`` and are large enough.

    Raises
    ------
    ValueError
        ``ids`` names a war that the file does not have.
    """
    if ids is not None:
        ids = list(ids)
        missing = [i for i in ids if i not in wars]
        if missing:
            raise ValueError(f"war {', '.join(map(str, missing))}: no such WarNum in the war file")
        chosen = [wars[i] for i in ids]
    else:
        chosen = list(wars.values())
    return [
        w
        for w in chosen
        if (since is None or w.start.year >= since)
        and (until is None or w.start.year <= until)
        and len(w.participants) >= min_participants
    ]
