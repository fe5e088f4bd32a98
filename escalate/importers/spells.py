"""Alliance membership spells from the COW and ATOP member-level files.

A :class:`Spell` is one member of one treaty (one phase of it, in ATOP) from its
entry to its exit, with the obligations that member took on (``duties``: escalate
kind -> the :class:`Terms` of the obligation), mapped by :mod:`escalate.importers.codes`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .codes import (
    AGAINST,
    FLAGS,
    LOCATED,
    MIN_ATTACKERS,
    MIN_ATTACKERS_FOR_DEFCONUM,
    THREAT_COLUMNS,
    UNEXPRESSED,
    UNPROVOKED,
)
from .csvfile import DataError, cached_by_file, flag, integer, read_table
from .dates import covers, end_date, start_date

__all__ = ["Spell", "Terms", "read_atop", "read_cow"]


@dataclass(frozen=True)
class Terms:
    """The conditions of one obligation (ccodes in ``against``)."""

    against: tuple[int, ...] = ()
    unprovoked: bool = False
    min_attackers: int = 1
    #: only while the protege's region is in the theatre (ATOP ``*coloc``)
    located: bool = False
    #: Conditions of the text that escalate cannot express (kept out, noted; the
    #: entry's ``unwritten``).
    unexpressed: tuple[str, ...] = ()

    @property
    def expressed(self) -> tuple[tuple[int, ...], bool, int, bool]:
        """The part of the terms that becomes world-file conditions."""
        return (self.against, self.unprovoked, self.min_attackers, self.located)

    @property
    def unconditional(self) -> bool:
        """No condition at all, written or not."""
        return self.expressed == Terms().expressed and not self.unexpressed


@dataclass
class Spell:
    """One member of one treaty (phase) from entry to exit."""

    source: str
    treaty: int
    phase: int
    ccode: int
    start: dt.date | None
    end: dt.date | None
    #: escalate kind -> the terms of that obligation
    duties: dict[str, Terms]
    #: escalate kind -> the source columns that coded it (for comments)
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the COW version4id an ATOP treaty corresponds to (``cow4id``), if any
    cow_id: int | None = None
    line: int = 0
    #: ATOP ``wartime = 1`` (formed during a war a member fought): that war's COW
    #: number (``cowwar``; 0 when ATOP names none); ``None`` for a peacetime treaty
    formed_in_war: int | None = None

    def in_force(self, day: dt.date) -> bool:
        """Whether this spell covers ``day``."""
        return covers(self.start, self.end, day)


def _ymd(row: dict[str, str], columns: tuple[str, str, str], where: str) -> tuple:
    """Year, month and day columns as integers (``None`` where missing)."""
    return tuple(integer(row, c, where) for c in columns)


def _merge(
    duties: dict[str, Terms],
    columns: dict[str, tuple[str, ...]],
    kind: str,
    column: str,
    terms: Terms,
) -> None:
    """Add one coded column; of two columns giving the same kind, the broader terms win.

    (ATOP ``neutral`` with conditions and ``nonagg`` on one row: the unconditional
    non-aggression pledge is the broader one.)
    """
    columns[kind] = (*columns.get(kind, ()), column)
    old = duties.get(kind)
    if old is None or (terms.unconditional and not old.unconditional):
        duties[kind] = terms


_ATOP_REQUIRED = (
    "atopid", "member", "yrent", "moent", "dayent", "yrexit", "moexit", "dayexit", "phase",
    "defense", "offense", "neutral", "nonagg", "consul", "cow4id",
    "defconpr", "defcoadv", "defconum", "offcoadv", "neucoadv", "concoadv", *THREAT_COLUMNS,
    *LOCATED.values(), "neuconpr",
)  # fmt: skip


def _atop_terms(row: dict[str, str], column: str, where: str) -> Terms:
    against: tuple[int, ...] = ()
    unexpressed = [what for col, what in UNEXPRESSED.get(column, {}).items() if flag(row, col)]
    if column in AGAINST and flag(row, AGAINST[column]):
        named = [integer(row, c, where) for c in THREAT_COLUMNS]
        against = tuple(sorted({c for c in named if c is not None and c > 0}))
        if not against:
            unexpressed.append("an adversary the data do not name")
    return Terms(
        against=against,
        unprovoked=column in UNPROVOKED and flag(row, UNPROVOKED[column]),
        min_attackers=(
            MIN_ATTACKERS_FOR_DEFCONUM
            if column in MIN_ATTACKERS and flag(row, MIN_ATTACKERS[column])
            else 1
        ),
        located=column in LOCATED and flag(row, LOCATED[column]),
        unexpressed=tuple(unexpressed),
    )


@cached_by_file
def read_atop(path: str) -> list[Spell]:
    """Every member spell of an ATOP member-level file (``atop5_1m.csv``).

    ``yrexit = 0`` (still in force when coverage ends) is an open end; a day or month
    of 0 is unknown (see :mod:`escalate.importers.dates`).
    """
    rows = read_table(path, _ATOP_REQUIRED, "an ATOP member-level file (atop5_1m.csv)")
    out = []
    for i, r in enumerate(rows, start=2):
        where = f"{path}:{i}"
        treaty, member = integer(r, "atopid", where), integer(r, "member", where)
        if treaty is None or member is None:
            raise DataError(f"{where}: no atopid or member")
        duties: dict[str, Terms] = {}
        columns: dict[str, tuple[str, ...]] = {}
        for (source, column), kind in FLAGS.items():
            if source == "ATOP" and flag(r, column):
                _merge(duties, columns, kind, column, _atop_terms(r, column, where))
        cow = integer(r, "cow4id", where)
        # optional columns: ATOP's war of formation (codebook: WARTIME, COWWAR)
        wartime = integer(r, "wartime", where) == 1
        out.append(
            Spell(
                source="ATOP",
                treaty=treaty,
                phase=integer(r, "phase", where) or 0,
                ccode=member,
                start=start_date(*_ymd(r, ("yrent", "moent", "dayent"), where)),
                end=end_date(*_ymd(r, ("yrexit", "moexit", "dayexit"), where)),
                duties=duties,
                columns=columns,
                cow_id=cow if cow is not None and cow > 0 else None,
                line=i,
                formed_in_war=(integer(r, "cowwar", where) or 0) if wartime else None,
            )
        )
    return out


_COW_REQUIRED = (
    "version4id", "ccode", "mem_st_day", "mem_st_month", "mem_st_year",
    "mem_end_day", "mem_end_month", "mem_end_year",
    "defense", "neutrality", "nonaggression", "entente",
)  # fmt: skip


@cached_by_file
def read_cow(path: str) -> list[Spell]:
    """Every member spell of a COW Formal Alliances member-level file.

    An empty end (``right_censor = 1``) is an open end: the member was still in the
    alliance when the data end (2012 for v4.1).
    """
    rows = read_table(
        path, _COW_REQUIRED, "a COW alliance member-level file (alliance_v4.1_by_member.csv)"
    )
    out = []
    for i, r in enumerate(rows, start=2):
        where = f"{path}:{i}"
        treaty, member = integer(r, "version4id", where), integer(r, "ccode", where)
        if treaty is None or member is None:
            raise DataError(f"{where}: no version4id or ccode")
        duties: dict[str, Terms] = {}
        columns: dict[str, tuple[str, ...]] = {}
        for (source, column), kind in FLAGS.items():
            if source == "COW" and flag(r, column):
                _merge(duties, columns, kind, column, Terms())
        out.append(
            Spell(
                source="COW",
                treaty=treaty,
                phase=0,
                ccode=member,
                start=start_date(*_ymd(r, ("mem_st_year", "mem_st_month", "mem_st_day"), where)),
                end=end_date(*_ymd(r, ("mem_end_year", "mem_end_month", "mem_end_day"), where)),
                duties=duties,
                columns=columns,
                line=i,
            )
        )
    return out
