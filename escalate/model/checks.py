"""The primitive checks of the world validator, each raising :class:`WorldError`.

A :class:`Checker` knows the file it checks (``source``, and the lines of its
keys when it was read from text) and builds the error messages: they name the
file, the TOML line where it is known, the key path (entries of ``[[nations]]``
by id, of the other arrays by name where they have one) and the bad value, with
a did-you-mean suggestion for keys, choices and nation ids. It also collects the
errors (:meth:`Checker.guard`), so that the validator reports every problem of a
file at once. The sections of a world are checked by
:mod:`escalate.model.validate` with these.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from .defaults import Default
from .entities import WorldError
from .lines import KeyLines
from .schema import MAX_NAME_LENGTH, NAME_CHARS, NUMERIC_NAME_RE

__all__ = ["Checker", "fmt"]

T = TypeVar("T")


def fmt(value: Any) -> str:
    """``repr(value)``, shortened to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Checker:
    """Checks of single values of the world file ``source``.

    Each check returns the value (converted where needed: ``number`` gives a
    float) or raises :class:`WorldError` for the key path it is given;
    :meth:`guard` records such an error in :attr:`errors` and goes on.
    """

    def __init__(self, source: str, lines: KeyLines | None = None):
        self.src = source
        self.lines: KeyLines = lines or {}
        #: every problem found so far, in the order found
        self.errors: list[WorldError] = []
        #: the nation ids that references are checked against (None: unknown, accept any)
        self.ids: dict[str, int] | None = None
        self._items: dict[str, tuple[str, int]] = {}
        self._suggested: set[str] = set()  # key paths a did-you-mean pointed to

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Record a :class:`WorldError` raised inside the block, and go on after it."""
        try:
            yield
        except WorldError as e:
            self.errors.extend(e.errors)

    def attempt(self, check: Callable[..., T], *args: Any) -> T | None:
        """``check(*args)``, or None after recording the error it raised."""
        with self.guard():
            return check(*args)
        return None

    def report(self, path: str, problem: str) -> None:
        """Record a problem without stopping.

        A key reported ``missing`` that a did-you-mean of a misspelt key already
        pointed to is not reported again.
        """
        if problem.startswith("missing") and path in self._suggested:
            return
        self.errors.append(self.err(path, problem))

    def item(self, section: str, index: int, label: Any = None) -> str:
        """The key path of entry ``index`` of ``[[section]]``, e.g. ``alliances[Dual Alliance]``.

        An entry is named by ``label`` (its id or name) where that is a string
        no earlier entry has taken, else by its 0-based index.
        """
        path = f"{section}[{index}]"
        if isinstance(label, str) and label.strip() and label.isprintable():
            named = f"{section}[{label}]"
            if named not in self._items:
                path = named
        self._items[path] = (section, index)
        return path

    def err(self, path: str, problem: str) -> WorldError:
        """The error for ``path`` (``""`` for the file as a whole), with its line."""
        index_path, line = self._locate(path)
        return WorldError(self.src, path, problem, line, index_path)

    def _locate(self, path: str) -> tuple[str, int | None]:
        """``path`` with list indices instead of names, and its line in the file."""
        end = path.find("]")
        while end >= 0:  # the longest entry name that starts the path
            prefix = path[: end + 1]
            if prefix in self._items:
                section, i = self._items[prefix]
                rest = path[end + 1 :]
                key = rest[1:].split(".")[0].split("[")[0] if rest.startswith(".") else None
                line = self.lines.get((section, i, key)) or self.lines.get((section, i, None))
                if line is None:  # an inline array: the line of the key that holds it
                    line = self.lines.get(("", None, section))
                return f"{section}[{i}]{rest}", line
            end = path.find("]", end + 1)
        parts = path.split(".")
        for k in range(len(parts) - 1, 0, -1):
            section, key = ".".join(parts[:k]), parts[k].split("[")[0]
            line = self.lines.get((section, None, key)) or self.lines.get((section, None, None))
            if line is not None:
                return path, line
        top = parts[0].split("[")[0]
        return path, (
            self.lines.get(("", None, top))  # a key, or an inline array
            or self.lines.get((top, 0, None))  # the first [[top]]
            or self.lines.get((top, None, None))  # [top]
        )

    def table(self, value: Any, path: str) -> dict[str, Any]:
        """A TOML table (dict)."""
        if not isinstance(value, dict):
            raise self.err(path, f"must be a table, got {fmt(value)}")
        return value

    def keys(self, d: dict[str, Any], path: str, allowed: tuple[str, ...]) -> None:
        """Record each key of ``d`` not in ``allowed``, with a did-you-mean."""
        for k in d:
            if k not in allowed:
                near = difflib.get_close_matches(k, allowed, n=1)
                hint = (
                    f"; did you mean {near[0]!r}?" if near else f"; allowed: {', '.join(allowed)}"
                )
                if near:
                    self._suggested.add(f"{path}.{near[0]}" if path else near[0])
                self.report(f"{path}.{k}" if path else k, f"unknown key{hint}")

    def string(self, v: Any, path: str, pattern: re.Pattern[str] | None = None) -> str:
        """A string, matching ``pattern`` in full if given."""
        if not isinstance(v, str):
            raise self.err(path, f"must be a string, got {fmt(v)}")
        if pattern is not None and not pattern.fullmatch(v):  # match() lets "A\n" through
            raise self.err(path, f"invalid value {fmt(v)} (must match {pattern.pattern})")
        return v

    def number(self, v: Any, path: str, lo: float | None = None, hi: float | None = None) -> float:
        """A finite int or float (not a bool) in ``[lo, hi]``, as a float."""
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.err(path, f"must be a number, got {fmt(v)}")
        try:
            x = float(v)
        except OverflowError:
            raise self.err(path, f"out of range, got {fmt(v)}") from None
        if not math.isfinite(x):
            raise self.err(path, f"must be finite, got {fmt(v)}")
        if lo is not None and x < lo:
            raise self.err(path, f"must be >= {lo:g}, got {fmt(v)}")
        if hi is not None and x > hi:
            raise self.err(path, f"must be <= {hi:g}, got {fmt(v)}")
        return x

    def probability(self, v: Any, path: str) -> float:
        """A number in [0, 1]."""
        return self.number(v, path, 0.0, 1.0)

    def integer(self, v: Any, path: str, lo: int, hi: int) -> int:
        """An integer (not a bool) in ``[lo, hi]``."""
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.err(path, f"must be an integer, got {fmt(v)}")
        if not lo <= v <= hi:
            raise self.err(path, f"must be between {lo} and {hi}, got {fmt(v)}")
        return v

    def param(self, v: Any, d: Default) -> int | float:
        """A ``[dynamics]`` parameter, in the range of its row of the defaults table."""
        if d.integer:
            return self.integer(v, d.path, int(d.lo), int(d.hi))
        return self.number(v, d.path, d.lo, d.hi)

    def boolean(self, v: Any, path: str) -> bool:
        """``true`` or ``false``."""
        if not isinstance(v, bool):
            raise self.err(path, f"must be true or false, got {fmt(v)}")
        return v

    def choice(self, v: Any, path: str, options: tuple[str, ...]) -> str:
        """One of ``options``, with a did-you-mean."""
        if not isinstance(v, str) or v not in options:
            near = difflib.get_close_matches(str(v), options, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise self.err(path, f"must be one of {', '.join(options)}, got {fmt(v)}{hint}")
        return v

    def nation_ref(self, v: Any, path: str, ids: dict[str, int] | None) -> str:
        """The id of a nation of the world, with a did-you-mean (any id if ``ids`` is None)."""
        if not isinstance(v, str):
            raise self.err(path, f"must be a nation id (string), got {fmt(v)}")
        if ids is not None and v not in ids:
            near = difflib.get_close_matches(v, list(ids), n=1, cutoff=0.5)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise self.err(path, f"unknown nation id {v!r}{hint}")
        return v

    def id_list(
        self, v: Any, path: str, ids: dict[str, int] | None, min_len: int = 1
    ) -> tuple[str, ...]:
        """A list of at least ``min_len`` distinct nation ids.

        Every bad item is recorded; the error raised at the end holds them all.
        """
        if not isinstance(v, list):
            raise self.err(path, f"must be a list of nation ids, got {fmt(v)}")
        if len(v) < min_len:
            raise self.err(path, f"needs at least {min_len} nation id(s), got {len(v)}")
        problems: list[WorldError] = []
        out: list[str] = []
        seen: set[str] = set()
        for i, x in enumerate(v):
            try:
                x = self.nation_ref(x, f"{path}[{i}]", ids)
            except WorldError as e:
                problems.append(e)
                continue
            if x in seen:
                problems.append(self.err(f"{path}[{i}]", f"duplicate nation id {x!r}"))
            seen.add(x)
            out.append(x)
        if problems:
            raise WorldError.of(problems)
        return tuple(out)

    def at_most(self, v: Any, path: str, bound: int, why: str) -> None:
        """Reject a list ``path`` longer than ``bound`` before validating its items."""
        if isinstance(v, list) and len(v) > bound:
            raise self.err(path, f"at most {bound} {path} are allowed ({why}), got {len(v)}")

    def world_name(self, v: Any) -> str:
        """A world name: it becomes the results directory ``structure=<name>``."""
        name = self.string(v, "name")
        if not name:
            raise self.err("name", "must not be empty")
        if len(name) > MAX_NAME_LENGTH:
            raise self.err(
                "name",
                f"{len(name)} characters is too long (at most {MAX_NAME_LENGTH}: it names "
                f"the directory structure=<name>), got {fmt(name)}",
            )
        bad = next((c for c in name if c not in NAME_CHARS), None)
        if bad is not None:
            if bad in "/\\":
                why = "a path separator"
            elif bad == "=":
                why = "'=' would break the structure=<name> partition directory"
            elif not bad.isprintable():
                why = "an invisible or control character"
            else:
                why = "only ASCII letters, digits, '_', '.' and '-' are allowed"
            raise self.err("name", f"invalid character {bad!r} ({why}) in {fmt(name)}")
        if not name[0].isalnum():
            raise self.err(
                "name",
                f"must start with a letter or digit (Parquet readers skip directories "
                f"starting with '.' or '_'), got {fmt(name)}",
            )
        if NUMERIC_NAME_RE.fullmatch(name):
            raise self.err(
                "name",
                f"{name!r} would be read back as a number by pandas.read_parquet (hive "
                f"partition structure={name}); add a letter, e.g. {'y' + name!r}",
            )
        return name

    def array_of_tables(self, v: Any, path: str) -> list[tuple[int, dict[str, Any]]]:
        """The tables of an array of tables (``[[path]]``), with their indices.

        An item that is not a table is recorded as an error and left out.
        """
        if not isinstance(v, list):
            raise self.err(path, f"must be an array of tables ([[{path}]]), got {fmt(v)}")
        out = []
        for i, x in enumerate(v):
            if isinstance(x, dict):
                out.append((i, x))
            else:
                self.report(f"{path}[{i}]", f"must be a table, got {fmt(x)}")
        return out
