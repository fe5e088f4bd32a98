"""The COW regions: a state's region from its ccode, a war's theatre from ``WhereFought``.

The one home of both tables (model version 3). The names are
:data:`escalate.model.schema.REGIONS`.

* :data:`CCODE_RANGES`: the COW codebook's regions as ranges of COW country codes
  (2-165 the Americas, 200-399 Europe, 402-626 Africa, 630-698 the Middle East,
  700-899 Asia, 900-990 Oceania). :func:`region_of` gives a state's region; the
  importer writes it on every nation, and ``--region`` keeps the states of one.
* :data:`WHERE_FOUGHT`: the COW Inter-State War Data v4.0 codes of ``WhereFought``
  (where the war, or a participant's part in it, was fought) as sets of regions;
  the backtest's theatre. "W. Hemisphere" is ``americas``.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model.schema import REGIONS
from .csvfile import DataError

__all__ = ["CCODE_RANGES", "WHERE_FOUGHT", "parse_theatre", "region_of", "theatre_of"]

#: Region -> (lowest, highest) COW ccode, in the order of :data:`REGIONS`.
CCODE_RANGES: dict[str, tuple[int, int]] = {
    "americas": (2, 165),
    "europe": (200, 399),
    "africa": (402, 626),
    "middle_east": (630, 698),
    "asia": (700, 899),
    "oceania": (900, 990),
}

#: COW ``WhereFought`` code -> the regions it names (the codebook's labels in comments).
WHERE_FOUGHT: dict[int, tuple[str, ...]] = {
    1: ("americas",),  # W. Hemisphere
    2: ("europe",),  # Europe
    4: ("africa",),  # Africa
    6: ("middle_east",),  # Middle East
    7: ("asia",),  # Asia
    9: ("oceania",),  # Oceania
    11: ("europe", "middle_east"),  # Europe & Middle East
    12: ("europe", "asia"),  # Europe & Asia
    13: ("americas", "asia"),  # W. Hemisphere & Asia
    14: ("europe", "africa", "middle_east"),  # Europe, Africa & Middle East
    15: ("europe", "africa", "middle_east", "asia"),  # Europe, Africa, Middle East & Asia
    16: ("africa", "middle_east", "asia", "oceania"),  # Africa, Middle East, Asia & Oceania
    17: ("asia", "oceania"),  # Asia & Oceania
    18: ("africa", "middle_east"),  # Africa & Middle East
    19: ("europe", "africa", "middle_east", "asia", "oceania"),  # ... Asia & Oceania
}


def region_of(ccode: int) -> str | None:
    """The COW region of a country code, ``None`` outside every range (no COW state)."""
    for name, (lo, hi) in CCODE_RANGES.items():
        if lo <= ccode <= hi:
            return name
    return None


def _ordered(regions: Iterable[str]) -> tuple[str, ...]:
    """``regions`` once each, in the order of :data:`REGIONS`."""
    have = set(regions)
    return tuple(r for r in REGIONS if r in have)


def theatre_of(codes: Iterable[int], where: str = "WhereFought") -> tuple[str, ...]:
    """The union of the regions of ``WhereFought`` codes, in the order of :data:`REGIONS`.

    Raises
    ------
    DataError
        A code that is not in :data:`WHERE_FOUGHT`.
    """
    out: list[str] = []
    for code in codes:
        if code not in WHERE_FOUGHT:
            known = ", ".join(map(str, WHERE_FOUGHT))
            raise DataError(f"{where}: {code} is not a COW WhereFought code ({known})")
        out += WHERE_FOUGHT[code]
    return _ordered(out)


def parse_theatre(spec: str | Iterable[str], where: str = "--theatre") -> tuple[str, ...]:
    """Region names (``"europe,middle_east"`` or a list) as a theatre, in :data:`REGIONS` order.

    Raises
    ------
    DataError
        An empty theatre or a name that is not a region (one line, with an example).
    """
    tokens = spec.split(",") if isinstance(spec, str) else list(spec)
    names = [str(t).strip().lower() for t in tokens if str(t).strip()]
    bad = [n for n in names if n not in REGIONS]
    if bad or not names:
        what = f"{bad[0]!r} is not a region" if bad else "no region given"
        example = (
            "--theatre europe,middle_east"
            if where.startswith("--")
            else 'theatre = ["europe", "middle_east"]'
        )
        raise DataError(f"{where}: {what}; regions: {', '.join(REGIONS)} (e.g. {example})")
    return _ordered(names)
