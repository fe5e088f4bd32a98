"""Overlays: what the data lack, added to an imported world by a small TOML file.

An overlay names the world and may set its description, dynamics and incident;
rename, add or drop nations; name treaties; edit or drop imported treaty entries;
and add alliances (ties no dataset codes: patronage, guarantees such as Belgium's
of 1839), organizations and war plans. Every entry may carry a ``comment``, which
is written above it in the world file. See ``configs/overlays/README.md``.

Nations are named in an overlay by COW ccode (``345``), COW abbreviation
(``"YUG"``) or their id in the world (``"SRB"``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .csvfile import DataError

__all__ = ["OVERLAY_KEYS", "read_overlay"]

#: The top-level keys of an overlay, with what each holds.
OVERLAY_KEYS = {
    "name": "the world's name (its file name)",
    "date": "the day of the world, YYYY-MM-DD (read by the script that builds the bundled worlds)",
    "data": "the alliance files used, ['atop'], ['cow'] or ['atop', 'cow'] (read by that script)",
    "description": "the world's one-line description",
    "region": "the nations kept: 'europe', a ccode range '200-399' or a list",
    "power_year": "take CINC of the latest year not after this one (default: the date's)",
    "dynamics": "the world's [dynamics], as in a world file",
    "incident": "the world's [incident]; nations by ccode, abbreviation or id",
    "nations": "[[nations]] with ccode (rename: id, name; change: power, major; drop = true) "
    "or a new nation (id, name, power, major, ccode)",
    "treaties": "display names of treaties by key: 'ATOP 1335' = 'Dual Alliance (1879)'",
    "edits": "[[edits]] of imported entries: treaty, kind (optional), set = {...}, "
    "unset = [...], drop = true, comment",
    "alliances": "[[alliances]] to add, as in a world file, plus comment",
    "organizations": "[[organizations]] to add, plus comment; members = 'all', or "
    "members_from = 'ATOP 3180' (the treaty's members that day), with exclude/include",
    "plans": "[[plans]] to add, plus comment",
    "comment": "lines written under the file's header",
}


def read_overlay(path: str | Path) -> dict[str, Any]:
    """An overlay file as data, its keys checked.

    Raises
    ------
    DataError
        The file cannot be read, is not TOML, or has an unknown key.
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise DataError(f"{p}: cannot read the overlay: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise DataError(f"{p}: not valid TOML: {e}") from None
    unknown = sorted(set(data) - set(OVERLAY_KEYS))
    if unknown:
        raise DataError(
            f"{p}: unknown overlay key {unknown[0]!r} (known: {', '.join(OVERLAY_KEYS)})"
        )
    for key in ("nations", "edits", "alliances", "organizations", "plans"):
        if key in data and not (
            isinstance(data[key], list) and all(isinstance(x, dict) for x in data[key])
        ):
            raise DataError(f"{p}: {key} must be an array of tables ([[{key}]])")
    for i, edit in enumerate(data.get("edits", [])):
        extra = sorted(set(edit) - {"treaty", "kind", "set", "unset", "drop", "comment"})
        if "treaty" not in edit or extra:
            raise DataError(
                f"{p}: edits[{i}] needs treaty = 'ATOP n' or 'COW n' and may have kind, set, "
                f"unset, drop, comment" + (f" (unknown: {extra[0]!r})" if extra else "")
            )
    return data
