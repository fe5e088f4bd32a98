"""Reading the COW and ATOP CSV files as they are published.

The files differ in their bytes: bare CR line endings (COW wars), CRLF (ATOP, NMC,
state system), LF (COW alliances), UTF-8 or latin-1 text, a byte-order mark, quoted
or bare fields. :func:`read_table` reads them all the same way and checks that the
columns a caller needs are there; :func:`value` turns the missing-value codes into
``None``.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "MISSING",
    "DataError",
    "cached_by_file",
    "clear_cache",
    "flag",
    "integer",
    "read_table",
    "sha256",
    "value",
]

_T = TypeVar("_T")
#: (function name, path, size, mtime_ns, other arguments) -> parsed result
_CACHE: dict[tuple[Any, ...], Any] = {}
#: at most this many parsed files are kept (a backtest reads five files ~100 times)
_CACHE_SIZE = 32


def clear_cache() -> None:
    """Forget every parsed file (the next read parses them again)."""
    _CACHE.clear()


def cached_by_file(fn: Callable[..., list[_T]]) -> Callable[..., list[_T]]:
    """Memoize a parser of a file by (path, size, modification time, arguments).

    A file is parsed once per process however many worlds are imported from it (the
    backtest imports one world per war); a file that changed (another size or
    modification time) is parsed again. The cached list is copied on the way out, so a
    caller may reorder or extend it; its items are shared and must not be mutated.
    An unreadable path is not cached (the parser raises its own error).
    """

    @functools.wraps(fn)
    def wrapper(path: str | Path, *args: Any) -> list[_T]:
        try:
            st = os.stat(path)
        except OSError:
            return fn(path, *args)
        key = (fn.__qualname__, str(Path(path).resolve()), st.st_size, st.st_mtime_ns, args)
        hit = _CACHE.get(key)
        if hit is None:
            hit = fn(path, *args)
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = hit
        return list(hit)

    return wrapper


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
    """The SHA-256 of a file's bytes (64 hexadecimal digits).

    Computed once per file and version (size, modification time) in a process: each
    imported world's header names its sources' digests, and a backtest imports ~100.
    """
    st = os.stat(path)
    return _sha256(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
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

    Not cached itself: the parsers of each file are (:func:`cached_by_file`), so the
    raw rows are not kept beside what is made of them.

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
        return _rows(reader, p, required, what)
    except csv.Error as e:  # a field too long, a quote never closed, ...
        raise DataError(f"{p}: line {reader.line_num}: not a CSV file ({e})") from None


def _rows(reader: Any, p: Path, required: Iterable[str], what: str) -> list[dict[str, str]]:
    """The rows of ``reader`` as dicts (see :func:`read_table`)."""
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(f"{p}: empty file, expected {what}") from None
    header = [h.strip() for h in header]
    _no_nul(header, p, reader.line_num)
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(
            f"{p}: not {what}: no column {', '.join(repr(c) for c in missing)} "
            f"(its columns: {', '.join(header[:12])}{', ...' if len(header) > 12 else ''})"
        )
    rows = []
    first = reader.line_num + 1  # the line a record starts on
    for cells in reader:
        if not cells or all(not c.strip() for c in cells):
            first = reader.line_num + 1
            continue
        _no_nul(cells, p, first)
        if any("\n" in c or "\r" in c for c in cells):
            raise DataError(
                f"{p}: line {first}: a field runs over several lines (a quote never closed?)"
            )
        first = reader.line_num + 1
        rows.append({h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)})
    return rows


def _no_nul(cells: list[str], p: Path, line: int) -> None:
    """Refuse a NUL character in a cell (it would end up in a world file's text)."""
    for i, c in enumerate(cells):
        if "\0" in c:
            raise DataError(f"{p}: line {line}: field {i + 1} holds a NUL character")


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
