"""The treaties in force on a day, from ATOP, COW or both (the union rule).

When both files are given, an ATOP treaty and the COW alliance it names in
``cow4id`` are one treaty. A member is in it if either file has its spell in force
that day, and it owes every obligation either file codes (the union); ATOP alone
codes conditions. Every disagreement is recorded in ``notes`` and written as a
comment in the world file.

A COW alliance whose ATOP counterpart is not in force (or that no ATOP treaty
names) is written on its own, unless one ATOP treaty in force has all its members
and codes every obligation it codes for each: ATOP codes a renewal as a new treaty
(the Soviet-Polish treaty of 1945, renewed in 1965), and writing both would draw one
commitment twice. The ATOP treaty notes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from .spells import Spell, Terms

__all__ = ["Treaty", "first_days", "treaties_on", "without"]


@dataclass
class Treaty:
    """One treaty in force on the day, its members' obligations after the union rule."""

    key: str
    #: the records it comes from, e.g. ("ATOP 1350 phase 4", "COW 67")
    records: tuple[str, ...]
    #: year of the earliest spell of the treaty in either file
    year: int | None
    #: ccode -> escalate kind -> terms
    members: dict[int, dict[str, Terms]]
    #: ccode -> escalate kind -> source columns, per file ("ATOP: defense, consul")
    coded: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _in_force(spells: list[Spell], day: dt.date) -> dict[int, dict[int, Spell]]:
    """Treaty -> member -> its spell in force (the latest phase on a boundary day)."""
    out: dict[int, dict[int, Spell]] = {}
    for s in spells:
        if s.in_force(day):
            prev = out.setdefault(s.treaty, {}).get(s.ccode)
            if prev is None or s.phase > prev.phase:
                out[s.treaty][s.ccode] = s
    return out


def first_days(spells: list[Spell]) -> dict[int, dt.date]:
    """Treaty -> the day its earliest member spell (of any phase) began."""
    days: dict[int, dt.date] = {}
    for s in spells:
        if s.start is not None:
            days[s.treaty] = min(days.get(s.treaty, s.start), s.start)
    return days


def _record(source: str, treaty: int, spells: dict[int, Spell]) -> str:
    phases = sorted({s.phase for s in spells.values() if s.phase})
    return f"{source} {treaty}" + (f" phase {'/'.join(map(str, phases))}" if phases else "")


def _add(t: Treaty, source: str, spells: dict[int, Spell]) -> None:
    for code, s in spells.items():
        duties = t.members.setdefault(code, {})
        coded = t.coded.setdefault(code, {})
        for kind, terms in s.duties.items():
            coded.setdefault(kind, []).append(f"{source} {'+'.join(s.columns.get(kind, ()))}")
            # ATOP's terms (read first) are kept; COW codes no conditions
            duties.setdefault(kind, terms)


def _disagreements(t: Treaty, atop: dict[int, Spell], cow: dict[int, Spell], name) -> None:
    for code in sorted(set(atop) | set(cow)):
        who = name(code)
        if code not in cow:
            t.notes.append(f"{who}: a member in force in ATOP only (union: included)")
            continue
        if code not in atop:
            t.notes.append(f"{who}: a member in force in COW only (union: included)")
            continue
        a, c = atop[code], cow[code]
        for kind in sorted(set(a.duties) | set(c.duties)):
            if kind in a.duties and kind not in c.duties:
                t.notes.append(
                    f"{who} {kind}: ATOP {'+'.join(a.columns[kind])} = 1, "
                    "COW codes none (union: kept)"
                )
            elif kind in c.duties and kind not in a.duties:
                t.notes.append(
                    f"{who} {kind}: COW {'+'.join(c.columns[kind])} = 1, "
                    "ATOP codes none (union: kept)"
                )


def _containing(t: Treaty, smallest_first: list[Treaty]) -> Treaty | None:
    """The smallest ATOP treaty in force that contains the COW alliance ``t``.

    It has all of ``t``'s members, each owing at least the same kinds of obligation:
    ``t`` (with no ATOP counterpart in force) is then the same commitment, e.g. a
    treaty that COW continues and ATOP codes anew at its renewal. ``smallest_first``
    are the ATOP treaties in force, by number of members: the first that contains
    ``t`` is the bilateral renewal rather than a bloc's pact.
    """
    for a in smallest_first:
        if set(t.members) <= set(a.members) and all(
            set(duties) <= set(a.members[m]) for m, duties in t.members.items()
        ):
            return a
    return None


def without(
    atop: list[Spell] | None, cow: list[Spell] | None, exclude: Collection[str]
) -> tuple[list[Spell] | None, list[Spell] | None]:
    """The spells of neither the treaties ``exclude`` names nor their counterparts.

    ``exclude`` holds keys ``"ATOP 3322"`` and ``"COW 45"``; an ATOP treaty left out
    takes the COW alliance it names in ``cow4id`` with it (one treaty, two files).
    """
    if not exclude:
        return atop, cow
    gone_atop = {int(k.split()[1]) for k in exclude if k.startswith("ATOP ")}
    gone_cow = {int(k.split()[1]) for k in exclude if k.startswith("COW ")}
    gone_cow |= {s.cow_id for s in atop or [] if s.treaty in gone_atop and s.cow_id is not None}
    kept_atop = None if atop is None else [s for s in atop if s.treaty not in gone_atop]
    kept_cow = None if cow is None else [s for s in cow if s.treaty not in gone_cow]
    return kept_atop, kept_cow


def treaties_on(
    day: dt.date,
    atop: list[Spell] | None,
    cow: list[Spell] | None,
    name=str,
    exclude: Collection[str] = (),
) -> list[Treaty]:
    """The treaties with at least one member spell in force on ``day``.

    Parameters
    ----------
    day
        The day of the world.
    atop, cow
        The spells of either file, or ``None`` when that file was not given.
    name
        How a ccode is written in notes.
    exclude
        Treaties to leave out (see :func:`without`).
    """
    atop, cow = without(atop, cow, exclude)
    atop_now = _in_force(atop or [], day)
    cow_now = _in_force(cow or [], day)
    years = {("ATOP", k): v.year for k, v in first_days(atop or []).items()}
    years |= {("COW", k): v.year for k, v in first_days(cow or []).items()}
    # ATOP treaty of each COW alliance (from every ATOP row, not only those in force)
    atop_of_cow: dict[int, int] = {}
    if cow is not None:
        for s in sorted(atop or [], key=lambda s: s.treaty):
            if s.cow_id is not None:
                atop_of_cow.setdefault(s.cow_id, s.treaty)
    out: list[Treaty] = []
    matched_cow: set[int] = set()
    for treaty in sorted(atop_now):
        spells = atop_now[treaty]
        cow_ids = sorted({s.cow_id for s in spells.values() if s.cow_id is not None})
        cow_id = cow_ids[0] if cow is not None and cow_ids else None
        cow_spells = cow_now.get(cow_id, {}) if cow_id is not None else {}
        records = [_record("ATOP", treaty, spells)]
        t = Treaty(key=f"ATOP {treaty}", records=(), year=years.get(("ATOP", treaty)), members={})
        _add(t, "ATOP", spells)
        if cow_id is not None:
            matched_cow.add(cow_id)
            records.append(f"COW {cow_id}")
            if cow_spells:
                _add(t, "COW", cow_spells)
                _disagreements(t, spells, cow_spells, name)
            else:
                t.notes.append(f"COW {cow_id}: no member spell in force on {day} (ATOP's used)")
        elif cow is not None:
            t.notes.append("no COW counterpart (ATOP cow4id missing)")
        t.records = tuple(records)
        out.append(t)
    # the ATOP treaties come first; COW-only ones follow
    atop_by_size = sorted(out, key=lambda a: len(a.members))
    for cow_id in sorted(cow_now):
        if cow_id in matched_cow:
            continue
        spells = cow_now[cow_id]
        t = Treaty(
            key=f"COW {cow_id}",
            records=(f"COW {cow_id}",),
            year=years.get(("COW", cow_id)),
            members={},
        )
        _add(t, "COW", spells)
        successor = _containing(t, atop_by_size) if atop is not None else None
        if successor is not None:
            successor.notes.append(
                f"COW {cow_id}: its members' obligations are all coded here; taken as the "
                "same commitment (ATOP codes a renewal as a new treaty), not written again"
            )
            continue
        if atop is not None:
            a = atop_of_cow.get(cow_id)
            t.notes.append(
                f"ATOP {a} (cow4id {cow_id}) has no member spell in force on {day} "
                "(union: COW's used)"
                if a is not None
                else "no ATOP treaty names this COW alliance in cow4id (union: COW's used)"
            )
        out.append(t)
    return out
