"""Where a key of a world file is: its TOML line, for error messages.

:func:`key_lines` scans the text of a world file (``tomllib`` keeps no
positions) for table headers (``[incident]``, ``[[alliances]]``) and the keys
under them, so that a validation error can say ``a.toml:12:``. It is a small
line scanner, not a parser: keys inside inline tables and arrays are not
located (their errors get the line of the key that holds them).
"""

from __future__ import annotations

import re

__all__ = ["KeyLines", "key_lines"]

#: (section, index of the [[section]] entry or None, key or None) -> line (1-based)
KeyLines = dict[tuple[str, int | None, str | None], int]

_HEADER = re.compile(r"\[\s*([A-Za-z0-9_.\-]+)\s*\]")
_ARRAY_HEADER = re.compile(r"\[\[\s*([A-Za-z0-9_.\-]+)\s*\]\]")
_KEY = re.compile(r"""([A-Za-z0-9_\-]+|"[^"]*"|'[^']*')\s*=""")
_STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'[^\']*\'')


def key_lines(text: str) -> KeyLines:
    r"""The line of every table header and of every key under it in ``text``.

    Examples
    --------
    >>> lines = key_lines('name = "w"\n[[nations]]\nid = "A"\n[[nations]]\nid = "B"\n')
    >>> lines[("", None, "name")], lines[("nations", 1, None)], lines[("nations", 1, "id")]
    (1, 4, 5)
    """
    out: KeyLines = {}
    section, index = "", None
    counts: dict[str, int] = {}
    depth = 0
    multiline: str | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        if multiline is not None:  # inside a """ or ''' string
            if raw.count(multiline) % 2:
                multiline = None
            continue
        for q in ('"""', "'''"):
            if raw.count(q) % 2:
                multiline = q
                raw = raw[: raw.index(q)]
                break
        line = _STRING.sub('""', raw).split("#", 1)[0].strip()
        if depth == 0:
            if m := _ARRAY_HEADER.fullmatch(line):
                section = m.group(1)
                index = counts.get(section, 0)
                counts[section] = index + 1
                out.setdefault((section, index, None), n)
                continue
            if m := _HEADER.fullmatch(line):
                section, index = m.group(1), None
                out.setdefault((section, None, None), n)
                continue
            if m := _KEY.match(line):
                out.setdefault((section, index, m.group(1).strip("\"'")), n)
        depth = max(
            0, depth + line.count("[") + line.count("{") - line.count("]") - line.count("}")
        )
    return out
