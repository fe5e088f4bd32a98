"""Reading the COW and ATOP CSV files as they are published.

The files differ in their bytes: bare CR line endings (COW wars), CRLF (ATOP, NMC,
state system), LF (COW alliances), UTF-8 or latin-1 text, a byte-order mark, quoted
or bare fields. :func:`read_table` reads them all the same way and checks that the
columns a caller needs are there; :func:`value` turns the missing-value codes into
``None``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from pathlib import Path

__all__ = ["MISSING", "DataError", "flag", "integer", "read_table", "sha256", "value"]

#: Codes that mean "no value": COW -9 (missing or unknown) and -8 (not applicable),
#: and an empty cell. (ATOP's 0 exit date is not here: it means "still in force"
#: and is read by :mod:`escalate.importers.dates`.)
MISSING = frozenset({"", "-9", "-8", ".", "NA"})


class DataError(ValueError):
    """A data file or overlay that cannot be used (the command line exits 2).

    The message names the file (and line), and what is wrong: unreadable, a
    missing column, a bad value, or an overlay naming what is not there.
    """


def sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (64 hexadecimal digits)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _decode(raw: bytes, path: Path) -> str:
    """UTF-8 (with or without a byte-order mark), else latin-1 (every byte is text)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def read_table(path: str | Path, required: Iterable[str], what: str) -> list[dict[str, str]]:
    """The rows of a CSV file as dicts of stripped strings.

    Parameters
    ----------
    path
        The file. Any line ending (LF, CRLF or a bare CR) and UTF-8 or latin-1 text.
    required
        The columns the caller reads; a missing one is an error naming the file.
    what
        What the file should be, for messages (``"an ATOP member-level file"``).

    Raises
    ------
    DataError
        The file cannot be read, is empty, or lacks a required column.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise DataError(f"{p}: cannot read {what}: {e.strerror or e}") from None
    text = _decode(raw, p)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(f"{p}: empty file, expected {what}") from None
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(
            f"{p}: not {what}: no column {', '.join(repr(c) for c in missing)} "
            f"(its columns: {', '.join(header[:12])}{', ...' if len(header) > 12 else ''})"
        )
    rows = []
    for cells in reader:
        if not cells or all(not c.strip() for c in cells):
            continue
        rows.append({h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)})
    return rows


def value(row: dict[str, str], column: str) -> str | None:
    """A cell, or ``None`` for the missing-value codes of :data:`MISSING`."""
    v = row.get(column, "")
    return None if v in MISSING else v


def integer(row: dict[str, str], column: str, where: str) -> int | None:
    """A cell as an integer (``"1914"``, ``"1914.0"``), ``None`` when missing."""
    v = value(row, column)
    if v is None:
        return None
    try:
        f = float(v)
    except ValueError:
        raise DataError(f"{where}: {column} = {v!r} is not a number") from None
    if f != int(f):
        raise DataError(f"{where}: {column} = {v!r} is not a whole number")
    return int(f)


def flag(row: dict[str, str], column: str) -> bool:
    """A 0/1 flag cell; a missing or empty cell counts as 0 (not coded)."""
    v = value(row, column)
    if v is None:
        return False
    try:
        return float(v) != 0
    except ValueError:
        return False
