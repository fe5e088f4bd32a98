"""Who is in the state system on a day, who is a major power, and with what power.

From the COW State System Membership files (``states2016.csv``, ``majors2016.csv``)
and the COW National Material Capabilities file (``NMC-*-abridged.csv``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .csvfile import DataError, cached_by_file, integer, read_table, value
from .dates import covers, end_date, start_date

__all__ = ["State", "majors_on", "power_on", "states_on"]


@dataclass
class State:
    """One state in the system on the day of the world."""

    ccode: int
    abb: str
    name: str
    power: float = 0.0
    major: bool = False
    #: How each value was found when it was not the plain rule (comments in the world).
    notes: list[str] = field(default_factory=list)


@cached_by_file
def _spells(
    path: str, what: str, name_col: str | None
) -> list[tuple[int, str, str, dt.date | None, dt.date | None]]:
    cols = ["stateabb", "ccode", "styear", "stmonth", "stday", "endyear", "endmonth", "endday"]
    rows = read_table(path, cols + ([name_col] if name_col else []), what)
    out = []
    for i, r in enumerate(rows, start=2):
        where = f"{path}:{i}"
        code = integer(r, "ccode", where)
        if code is None:
            raise DataError(f"{where}: no ccode")
        start = start_date(
            integer(r, "styear", where), integer(r, "stmonth", where), integer(r, "stday", where)
        )
        end = end_date(
            integer(r, "endyear", where), integer(r, "endmonth", where), integer(r, "endday", where)
        )
        name = (value(r, name_col) if name_col else None) or r["stateabb"]
        out.append((code, r["stateabb"], name, start, end))
    return out


def states_on(path: str, day: dt.date) -> list[State]:
    """The states whose COW system tenure covers ``day``, in ccode order.

    Raises
    ------
    DataError
        ``day`` is after the last day the file covers (the file cannot say who was a
        state then), or no state is in the system that day.
    """
    spells = _spells(path, "a COW state system file (states2016.csv)", "statenme")
    last = max((e for *_, e in spells if e is not None), default=None)
    if last is not None and day > last:
        raise DataError(f"{path}: covers the state system up to {last}, not {day}")
    first = min((s for *_, s, _ in spells if s is not None), default=None)
    if first is not None and day < first:
        raise DataError(f"{path}: covers the state system from {first}, not {day}")
    seen: dict[int, State] = {}
    for code, abb, name, start, end in spells:
        if covers(start, end, day) and code not in seen:
            seen[code] = State(code, abb, name)
    return [seen[c] for c in sorted(seen)]


def majors_on(path: str, day: dt.date) -> set[int]:
    """The ccodes of the COW major powers on ``day``."""
    spells = _spells(path, "a COW major powers file (majors2016.csv)", None)
    return {code for code, _, _, start, end in spells if covers(start, end, day)}


@cached_by_file
def _cinc(path: str) -> list[tuple[int, int, float]]:
    """(ccode, year, cinc) of every NMC row with all three."""
    rows = read_table(path, ["ccode", "year", "cinc"], "a COW NMC file (NMC-60-abridged.csv)")
    out = []
    for i, r in enumerate(rows, start=2):
        where = f"{path}:{i}"
        code, y, cinc = integer(r, "ccode", where), integer(r, "year", where), value(r, "cinc")
        if code is None or y is None or cinc is None:
            continue
        try:
            out.append((code, y, float(cinc)))
        except ValueError:
            raise DataError(f"{where}: cinc = {cinc!r} is not a number") from None
    return out


def power_on(path: str, day: dt.date, states: list[State], year: int | None = None) -> None:
    """Set each state's ``power`` to its CINC of the latest year not after ``day``.

    ``year`` replaces the year of ``day`` (e.g. 1913, the last full pre-war year,
    for a world of 28 June 1914).

    A state with no CINC up to that year (it entered the system during the year and
    the file has no row for it yet) takes its first later CINC; a state with no CINC
    at all gets 0. Both are noted on the state.
    """
    by_state: dict[int, list[tuple[int, float]]] = {}
    for code, y, cinc in _cinc(path):
        by_state.setdefault(code, []).append((y, cinc))
    want = day.year if year is None else year
    latest = max((y for rows in by_state.values() for y, _ in rows if y <= want), default=want)
    for s in states:
        years = sorted(by_state.get(s.ccode, []))
        before = [(y, c) for y, c in years if y <= want]
        if before:
            used, s.power = before[-1]
            if used < latest:
                s.notes.append(f"CINC of {used}, its latest year not after {want}")
        elif years:
            used, s.power = years[0]
            s.notes.append(f"no CINC up to {want}; that of {used}, its first year, is used")
        else:
            s.power = 0.0
            s.notes.append("no CINC in the NMC file: power 0")
