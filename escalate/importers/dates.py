"""Dates in the data: partial days and months, open ends.

COW and ATOP give a date as three columns (year, month, day). A day or month may be
missing (``-9``, empty, or ``0`` in ATOP): a spell then starts on the first day it
can have started and ends on the last day it can have ended, so a spell whose day
is unknown counts as in force on every day of that month. A missing end year (COW
``right_censor``, ATOP ``yrexit = 0``) means the spell was still open when the data
end.
"""

from __future__ import annotations

import calendar
import datetime as dt

from .csvfile import DataError

__all__ = ["covers", "end_date", "parse_date", "start_date"]


def parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD`` as a date, with a message that says what was expected."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise DataError(f"date {text!r}: expected YYYY-MM-DD, e.g. 1914-06-28") from None


def _known(x: int | None, lo: int, hi: int) -> int | None:
    return x if x is not None and lo <= x <= hi else None


def start_date(year: int | None, month: int | None, day: int | None) -> dt.date | None:
    """The first day a spell can have started (``None`` when the year is unknown)."""
    if year is None or year <= 0:
        return None
    m = _known(month, 1, 12)
    if m is None:
        return dt.date(year, 1, 1)
    d = _known(day, 1, calendar.monthrange(year, m)[1])
    return dt.date(year, m, d or 1)


def end_date(year: int | None, month: int | None, day: int | None) -> dt.date | None:
    """The last day a spell can have lasted (``None``: still open when the data end)."""
    if year is None or year <= 0:
        return None
    m = _known(month, 1, 12)
    if m is None:
        return dt.date(year, 12, 31)
    last = calendar.monthrange(year, m)[1]
    d = _known(day, 1, last)
    return dt.date(year, m, d or last)


def covers(start: dt.date | None, end: dt.date | None, day: dt.date) -> bool:
    """Whether a spell from ``start`` to ``end`` (both inclusive; None = open) covers ``day``."""
    return (start is None or start <= day) and (end is None or day <= end)
