"""Load a world: from a file or a bundled name, through TOML, to a validated :class:`World`.

:func:`load_world` reads a world file, or a bundled world by name
(:mod:`escalate.model.bundled`; a path that exists wins over a name), parses
the TOML (pointing at the construct left open when the file ends inside one)
and validates it with :func:`world_from_dict`. Every problem is a
:class:`WorldError` naming the file, the key path and the bad value.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from .bundled import bundled_names, bundled_world, close_names, looks_like_name
from .entities import World, WorldError
from .lines import key_lines
from .validate import validate_world

__all__ = ["load_world", "world_from_dict"]


def load_world(path: str | Path) -> World:
    """Load and validate a world file, or a bundled world by name.

    Parameters
    ----------
    path
        A TOML world file (see docs/worlds.md for the format), or the name of a
        bundled world (``escalate worlds`` lists them), e.g. ``"europe_1914"``.
        A path that exists wins over a bundled name.

    Returns
    -------
    World
        The validated, immutable world; its ``source`` is the file's path.

    Raises
    ------
    WorldError
        If the file cannot be read or parsed, or any value is invalid, or if no
        file and no bundled world has that name (with a did-you-mean). Every
        invalid value of the file is reported, not only the first: the error's
        ``errors`` holds one error per problem, each naming the file, the TOML
        line, the key path and the bad value (one a line in the message).

    Examples
    --------
    >>> world = load_world("europe_1914")
    >>> world.incident.initiator
    'AUH'
    >>> text, _ = bundled_world("europe_1914")
    >>> _ = Path("my_world.toml").write_bytes(text)  # a copy to edit
    >>> load_world("my_world.toml") == world
    True
    """
    src = str(path)
    raw, src = _read(src)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise WorldError(src, "", f"not UTF-8 text (byte {e.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise WorldError(src, "", f"TOML syntax error: {e}{_unclosed_hint(text, str(e))}") from None
    except RecursionError:  # arrays or tables nested thousands deep
        raise WorldError(src, "", "TOML nested too deeply to be a world file") from None
    try:
        return validate_world(data, src, key_lines(text))
    except RecursionError:
        raise WorldError(src, "", "TOML nested too deeply to be a world file") from None


def world_from_dict(data: dict[str, Any], source: str = "<dict>") -> World:
    """Validate plain data (as parsed from TOML) into a :class:`World`.

    Parameters
    ----------
    data
        The world as a dict of the top-level keys of a world file.
    source
        What error messages name as the file.

    Returns
    -------
    World
        The validated world.

    Raises
    ------
    WorldError
        As :func:`load_world`.
    """
    return validate_world(data, source)


def _exists(p: Path) -> bool:
    try:
        return p.exists()
    except (OSError, ValueError):  # e.g. a name too long for the filesystem
        return False


def _read(src: str) -> tuple[bytes, str]:
    """The bytes of the file ``src``, or of the bundled world ``src``, and their source."""
    p = Path(src)
    if looks_like_name(src) and not _exists(p):
        found = bundled_world(src)
        if found is None:
            raise WorldError(src, "", _no_such_world(src))
        return found
    try:
        return p.read_bytes(), src
    except FileNotFoundError:
        stem = p.stem if p.suffix == ".toml" and p.parent == Path() else None
        hint = ""
        if stem in bundled_names():
            hint = f"; to load the bundled world, give its name without .toml: {stem!r}"
        raise WorldError(src, "", f"no such file{hint}") from None
    except IsADirectoryError:
        raise WorldError(src, "", "is a directory, not a world file") from None
    except OSError as e:
        raise WorldError(src, "", f"cannot read ({e.strerror})") from None


def _no_such_world(name: str) -> str:
    near = close_names(name)
    if near:
        hint = f"did you mean {near[0]!r}?"
    else:
        hint = f"bundled worlds: {', '.join(bundled_names()) or 'none'}"
    return f"no such file, and no bundled world of that name; {hint} (see: escalate worlds)"


_CLOSERS = {"]": "[", "}": "{"}
_AT_LINE = re.compile(r"\(at line (\d+), column (\d+)\)$")


def _unclosed_hint(text: str, message: str) -> str:
    """Where the construct tomllib found unclosed starts: '; the array opened at line N ...'.

    tomllib reports an array, inline table or string left open to the end of the
    file "at end of document", with no line number. This scans the text up to
    where tomllib stopped for the innermost bracket, brace or string still open
    and names its line. Empty when there is none, or the error is elsewhere.
    """
    if message.endswith("(at end of document)"):
        stop = len(text)
    elif message.startswith("Unclosed") and (m := _AT_LINE.search(message)):
        lines = text.splitlines(keepends=True)
        stop = sum(len(x) for x in lines[: int(m.group(1)) - 1]) + int(m.group(2)) - 1
    else:
        return ""
    opened = _open_constructs(text[:stop])
    if not opened:
        return ""
    what, pos = opened[-1]
    line = text.count("\n", 0, pos) + 1
    col = pos - text.rfind("\n", 0, pos)
    return f"; the {what} opened at line {line}, column {col} is never closed"


def _open_constructs(text: str) -> list[tuple[str, int]]:
    """What is still open at the end of ``text``: (what, position), outermost first.

    A small TOML scanner: brackets and braces are matched, comments and the
    insides of strings skipped. A one-line string that meets the end of its
    line is returned at once as the innermost construct (tomllib reads a
    literal string up to the next ``'`` anywhere, so it fails at the end).
    """
    stack: list[tuple[str, int]] = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if c in "\"'":
            delim = c * 3 if text.startswith(c * 3, i) else c
            start, i = i, i + len(delim)
            while i < n and not text.startswith(delim, i):
                if len(delim) == 1 and text[i] == "\n":
                    return [*stack, ("string", start)]
                i += 2 if c == '"' and text[i] == "\\" else 1  # skip an escaped character
            if i >= n:
                what = "string" if len(delim) == 1 else "multi-line string"
                return [*stack, (what, start)]
            i += len(delim)
            extra = 0  # one or two quotes may end the content just before the delimiter
            while len(delim) == 3 and extra < 2 and i < n and text[i] == c:
                i += 1
                extra += 1
            line_start = False
            continue
        if c == "#":
            i = text.find("\n", i)
            if i < 0:
                break
            continue
        if c in "[{":
            stack.append(("table header" if line_start and not stack else c, i))
        elif c in "]}" and stack:
            top = stack[-1][0]
            if top == _CLOSERS[c] or (top == "table header" and c == "]"):
                stack.pop()
        if c == "\n":
            line_start = True
        elif not c.isspace():
            line_start = False
        i += 1
    names = {"[": "array", "{": "inline table"}
    return [(names.get(what, what), pos) for what, pos in stack]
