"""The COW Inter-State War Data: each war's participants, and the incident rule.

:func:`read_wars` reads ``Inter-StateWarData_v4.0.csv`` (bare CR line endings, as
published) into :class:`War` objects; :func:`incident_of` applies the incident rule:

* the **initiator** is the earliest-entering participant with COW ``Initiator = 1``;
* the **target** is the earliest-entering participant on the other side;
* ties (two such states entering the same day) go to the lower COW ccode, and the war
  is flagged ambiguous with the tied states named.

A state with several spells in one war (it left and re-entered, or changed sides, as
Italy and Romania in World War II) counts once, by its earliest spell: its entry day
and its side are those of that spell (flagged ``side_switch`` when a later spell is on
the other side). A start day or month COW codes as unknown (-9) is read as the first
of the month (of the year).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from ...importers.csvfile import DataError, integer, read_table

__all__ = ["Incident", "Participant", "War", "incident_of", "read_wars", "select_wars"]

_REQUIRED = (
    "WarNum", "WarName", "ccode", "StateName", "Side",
    "StartMonth1", "StartDay1", "StartYear1", "Initiator",
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
    spells: dict[int, list[tuple[dt.date, int, int, str, bool]]] = {}
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
        spells.setdefault(num, []).append(
            (start, code, side, r["StateName"], integer(r, "Initiator", where) == 1)
        )
    wars = {}
    for num, rows_of in spells.items():
        first: dict[int, Participant] = {}
        sides: dict[int, set[int]] = {}
        for start, code, side, name, init in sorted(rows_of):
            sides.setdefault(code, set()).add(side)
            if code not in first:
                first[code] = Participant(code, name, side, start, init)
            elif init and not first[code].initiator:  # initiator flag on a later spell
                first[code] = Participant(code, name, first[code].side, first[code].start, True)
        parts = tuple(
            Participant(p.ccode, p.name, p.side, p.start, p.initiator, len(sides[p.ccode]) > 1)
            for p in sorted(first.values(), key=lambda p: (p.start, p.ccode))
        )
        wars[num] = War(num, names[num], parts)
    return wars


def _earliest(parts: list[Participant], what: str, notes: list[str]) -> Participant:
    """The first of ``parts`` to enter (ties: the lowest ccode, noted in ``notes``)."""
    first = min(parts, key=lambda p: (p.start, p.ccode))
    tied = [p for p in parts if p.start == first.start and p is not first]
    if tied:
        notes.append(
            f"{what} entering the same day: "
            + ", ".join(f"{p.name} ({p.ccode})" for p in [first, *tied])
            + f"; the lowest ccode, {first.ccode}, is used"
        )
    return first


def incident_of(war: War) -> Incident | None:
    """The incident by the rule of this module, or ``None`` without a coded initiator."""
    inits = [p for p in war.participants if p.initiator]
    if not inits:
        return None
    notes: list[str] = []
    init = _earliest(inits, "initiators", notes)
    if any(p.side != init.side for p in inits):
        notes.append("initiators coded on both sides")
    others = [p for p in war.participants if p.side != init.side]
    if not others:
        return None
    target = _earliest(others, "targets", notes)
    if init.start > war.start:
        notes.append(f"the initiator entered {(init.start - war.start).days} days after the start")
    return Incident(init, target, tuple(notes))


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
