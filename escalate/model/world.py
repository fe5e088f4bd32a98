"""Load and validate world files (TOML) into a typed, immutable :class:`World`.

The schema is strict: unknown keys, unknown or duplicate ids, wrong types and
out-of-range values raise :class:`WorldError`, whose message names the file, the
key path and the bad value (with a did-you-mean suggestion for ids and keys).
Nothing runs on an invalid world.

Counts are bounded so that every result fits its fixed-width column
(:data:`MAX_NATIONS`, :data:`MAX_OBLIGATIONS`, :data:`MAX_ORGANIZATIONS`,
:data:`MAX_PLANS`, :data:`MAX_ROUNDS`), and a world name must make a safe results
directory ``structure=<name>`` that Parquet readers read back as the same string
(at most :data:`MAX_NAME_LENGTH` ASCII letters, digits, ``_``, ``.`` and ``-``,
starting with a letter or digit, and not a number such as ``1914``).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = [
    "ALLIANCE_KINDS",
    "DEFAULT_DYNAMICS",
    "LADDER",
    "MAX_CONTEST_EXPONENT",
    "MAX_NAME_LENGTH",
    "MAX_NATIONS",
    "MAX_OBLIGATIONS",
    "MAX_ORGANIZATIONS",
    "MAX_PLANS",
    "MAX_ROUNDS",
    "ORGANIZATION_KINDS",
    "TOP_KEYS",
    "Alliance",
    "Dynamics",
    "Incident",
    "Nation",
    "Organization",
    "Plan",
    "World",
    "WorldError",
    "dump_world",
    "load_world",
    "world_from_dict",
]

#: The top-level keys of a world file.
TOP_KEYS = (
    "name",
    "description",
    "dynamics",
    "incident",
    "nations",
    "alliances",
    "organizations",
    "plans",
)
ALLIANCE_KINDS = ("defense", "offense", "entente", "neutrality")
ORGANIZATION_KINDS = ("collective_security", "collective_defense")
#: The response ladder of an organization member, weakest first.
LADDER = ("none", "diplomacy", "sanctions", "military")

#: Defaults of ``[dynamics]``. Reliability defaults: ATOP-coded alliances were
#: honoured about 75% of the time (Leeds, Long & Mitchell 2000, "Reevaluating
#: alliance reliability", JCR 44(5)); ententes carry no military promise, so a
#: lower default; neutrality pledges held 78% of the time 1816-2003 (Berkemeier &
#: Fuhrmann 2018, "Reassessing the fulfillment of alliance commitments", Research
#: & Politics). By type that study gives defense 0.41 and offense 0.74; set them
#: in ``[dynamics.reliability]`` to use those instead.
DEFAULT_DYNAMICS: dict[str, Any] = {
    "max_rounds": 32,
    "world_war_majors": 3,
    "deterrence": 0.0,
    "contest_exponent": 1.0,
    "sanction_effect": 0.05,
    "reliability": {"defense": 0.75, "offense": 0.75, "entente": 0.35, "neutrality": 0.78},
}

# --------------------------------------------------------------------------- bounds
# The kernel writes its results into fixed-width integer columns
# (escalate.kernel.CascadeColumns, ParticipantColumns) and compile.py indexes the
# world with int32/uint32 arrays. A world whose counts do not fit those dtypes
# would overflow silently (a world of 33,001 nations gave belligerents = -32535),
# so the loader rejects it. tests/test_bounds.py checks each bound against the
# dtypes it protects.
_INT16_MAX = 2**15 - 1  # numpy.iinfo(numpy.int16).max
_INT32_MAX = 2**31 - 1  # numpy.iinfo(numpy.int32).max

#: Most nations in a world: ``belligerents``, ``side_a``, ``side_d`` and ``majors``
#: are int16 columns and can count at most every nation.
MAX_NATIONS = _INT16_MAX
#: Most ``[[organizations]]``: each member answers once per organization, so the
#: int32 columns ``sanctions`` and ``diplomacy`` count at most g * n answers, and the
#: kernel indexes the (organization, nation) cells as o * n + k in uint32.
MAX_ORGANIZATIONS = _INT16_MAX
#: Most directed obligations all treaties expand to together (neutrality pledges
#: included; ``members`` of k nations give k * (k - 1), a guarantee
#: guarantors * protected). The ``source`` code of an entrant (obligation rank,
#: then organizations, then nations) is int32 and ``broken_promises`` (int32)
#: counts at most one per obligation, so obligations + organizations + nations
#: must fit int32.
MAX_OBLIGATIONS = _INT32_MAX - MAX_NATIONS - MAX_ORGANIZATIONS
#: Most ``[[plans]]``: their trigger and attack lists (at most ``MAX_NATIONS - 1``
#: nations each) are indexed by int32 offsets.
MAX_PLANS = _INT32_MAX // (MAX_NATIONS - 1)
#: Largest ``dynamics.max_rounds``. ``rounds`` and the participants' ``round`` are
#: int16 (at most 32767); the cap is lower: a round adds at least one nation, so a
#: cascade has fewer rounds than its world has nations, and 1000 rounds is beyond any
#: plausible escalation. (``world_war_majors`` may be at most :data:`MAX_NATIONS`.)
MAX_ROUNDS = 1000
#: Largest ``dynamics.contest_exponent``. The contest is computed in log space, so
#: no exponent overflows; the bound catches typos: at m = 100 a side 5 % stronger
#: already wins 99 % of the contests.
MAX_CONTEST_EXPONENT = 100.0
#: Longest world name. A name becomes the directory ``structure=<name>`` of the
#: results (at most 255 bytes on common filesystems); names are ASCII, so this is
#: also the limit in bytes.
MAX_NAME_LENGTH = 200

_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
#: Names that Arrow's hive partitioning (``pandas.read_parquet(DIR/"cascades")``)
#: reads back as integers, not strings: decimal digits, or 0x hex. Arrow casts
#: every ``structure=`` value to int32 when all of them parse (so "1914" and
#: "01914" both become 1914); longer digit strings are rejected too, so that a
#: reader inferring int64 cannot bite either.
_NUMERIC_NAME_RE = re.compile(r"(?:[0-9]+|0[xX][0-9A-Fa-f]+)")
_ID_RE = re.compile(r"^[A-Za-z0-9_]{1,16}$")


class WorldError(ValueError):
    """An invalid world file: the message names the file, key path and bad value."""

    def __init__(self, source: str, path: str, problem: str):
        self.source = source
        self.path = path
        self.problem = problem
        where = f"{source}: {path}: " if path else f"{source}: "
        super().__init__(where + problem)


@dataclass(frozen=True)
class Nation:
    """A state: short id, display name, power (CINC share by default), major power flag."""

    id: str
    name: str
    power: float
    major: bool = False


@dataclass(frozen=True)
class Alliance:
    """A treaty giving directed obligations ``(obligor, protege)``.

    Either ``members`` (every ordered pair) or ``guarantors``/``protected``
    (guarantor -> protected pairs only) is set. ``reliability`` is ``None`` when
    the per-kind default of the world's dynamics applies.
    """

    name: str
    kind: str
    members: tuple[str, ...] | None = None
    guarantors: tuple[str, ...] | None = None
    protected: tuple[str, ...] | None = None
    reliability: float | None = None

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """The directed obligations (obligor, protege) of this treaty."""
        if self.members is not None:
            return tuple((k, j) for k in self.members for j in self.members if k != j)
        assert self.guarantors is not None and self.protected is not None
        return tuple((k, j) for k in self.guarantors for j in self.protected if k != j)


@dataclass(frozen=True)
class Organization:
    """A collective-security or collective-defense organization."""

    name: str
    kind: str
    members: tuple[str, ...]
    veto: tuple[str, ...] = ()
    unanimity: bool = False
    response: tuple[tuple[str, float], ...] = (
        ("diplomacy", 0.5),
        ("sanctions", 0.3),
        ("military", 0.1),
    )
    blocked_response: str = "diplomacy"

    def response_probability(self, level: str) -> float:
        """Probability that an obliged member answers with ``level``."""
        if level == "none":
            return 1.0 - sum(p for _, p in self.response)
        return dict(self.response).get(level, 0.0)


@dataclass(frozen=True)
class Plan:
    """A war plan: at war with one of ``trigger``, ``nation`` attacks those of ``attack``."""

    nation: str
    trigger: tuple[str, ...]
    attack: tuple[str, ...]
    probability: float = 1.0
    name: str | None = None

    @property
    def key(self) -> str:
        """The stable identity of the plan used for its random draw."""
        if self.name:
            return self.name
        return f"{self.nation}|{','.join(sorted(self.trigger))}|{','.join(sorted(self.attack))}"


@dataclass(frozen=True)
class Incident:
    """The local incident: fixed (initiator attacks target) or drawn per replicate."""

    mode: str = "fixed"
    initiator: str | None = None
    target: str | None = None
    initiators: tuple[str, ...] | None = None
    targets: tuple[str, ...] | None = None
    weights: str = "uniform"


@dataclass(frozen=True)
class Dynamics:
    """Model parameters; see :data:`DEFAULT_DYNAMICS` for defaults and sources."""

    max_rounds: int = 32
    world_war_majors: int = 3
    deterrence: float = 0.0
    contest_exponent: float = 1.0
    sanction_effect: float = 0.05
    reliability: tuple[tuple[str, float], ...] = tuple(DEFAULT_DYNAMICS["reliability"].items())

    def default_reliability(self, kind: str) -> float:
        return dict(self.reliability)[kind]


@dataclass(frozen=True)
class World:
    """A validated world: nations, obligations, organizations, plans and the incident."""

    name: str
    nations: tuple[Nation, ...]
    incident: Incident
    dynamics: Dynamics = field(default_factory=Dynamics)
    alliances: tuple[Alliance, ...] = ()
    organizations: tuple[Organization, ...] = ()
    plans: tuple[Plan, ...] = ()
    description: str = ""
    source: str = field(default="<memory>", compare=False)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.nations)

    def nation(self, nation_id: str) -> Nation:
        for n in self.nations:
            if n.id == nation_id:
                return n
        raise KeyError(nation_id)

    def reliability(self, alliance: Alliance) -> float:
        """The reliability of ``alliance``: its own, else the per-kind default."""
        if alliance.reliability is not None:
            return alliance.reliability
        return self.dynamics.default_reliability(alliance.kind)

    def to_dict(self) -> dict[str, Any]:
        """The world as plain TOML-ready data, every default filled in."""
        return _world_to_dict(self)

    def canonical_hash(self) -> str:
        """SHA-256 of the canonical form: independent of key order, list order of
        nations/treaties/organizations/plans and of comments or formatting."""
        d = self.to_dict()
        for section in ("alliances", "organizations", "plans"):
            for item in d[section]:
                for key in ("members", "guarantors", "protected", "veto", "trigger", "attack"):
                    if key in item:
                        item[key] = sorted(item[key])
        for key in ("initiators", "targets"):
            if key in d["incident"]:
                d["incident"][key] = sorted(d["incident"][key])
        d["nations"] = sorted(d["nations"], key=lambda x: x["id"])
        d["alliances"] = sorted(d["alliances"], key=lambda x: x["name"])
        d["organizations"] = sorted(d["organizations"], key=lambda x: x["name"])
        d["plans"] = sorted(d["plans"], key=lambda x: json.dumps(x, sort_keys=True))
        text = json.dumps(d, sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def replace(self, **changes: Any) -> World:
        """A copy with some fields replaced (not re-validated; use :func:`world_from_dict`)."""
        return replace(self, **changes)

    def summary(self) -> str:
        """A short human-readable description used by ``escalate check``."""
        n_obl = sum(len(a.pairs) for a in self.alliances)
        inc = self.incident
        if inc.mode == "fixed":
            incident = f"{inc.initiator} attacks {inc.target}"
        else:
            incident = (
                f"random ({inc.weights} weights; {len(inc.initiators or ())} initiators, "
                f"{len(inc.targets or ())} targets)"
            )
        majors = [n.id for n in self.nations if n.major]
        lines = [
            f"world        {self.name}  ({self.source})",
            f"nations      {len(self.nations)} ({len(majors)} major: {', '.join(majors) or '-'})",
            f"alliances    {len(self.alliances)} treaties, {n_obl} directed obligations",
        ]
        for kind in ALLIANCE_KINDS:
            pairs = sum(len(a.pairs) for a in self.alliances if a.kind == kind)
            if pairs:
                lines.append(f"  {kind:<11}{pairs} obligations")
        lines.append(f"organizations {len(self.organizations)}")
        for o in self.organizations:
            veto = "unanimity" if o.unanimity else (f"veto {','.join(o.veto)}" if o.veto else "")
            lines.append(f"  {o.name}: {o.kind}, {len(o.members)} members {veto}".rstrip())
        lines.append(f"plans        {len(self.plans)}")
        for p in self.plans:
            lines.append(
                f"  {p.nation}: at war with {','.join(p.trigger)} -> attacks "
                f"{','.join(p.attack)} (p={p.probability:g})"
            )
        lines.append(f"incident     {incident}")
        d = self.dynamics
        lines.append(
            f"dynamics     max_rounds={d.max_rounds} world_war_majors={d.world_war_majors} "
            f"deterrence={d.deterrence:g} contest_exponent={d.contest_exponent:g}"
        )
        lines.append(f"hash         {self.canonical_hash()[:16]}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- loading


def load_world(path: str | Path) -> World:
    """Load and validate a world file.

    Parameters
    ----------
    path
        A TOML world file (see the README for the format).

    Returns
    -------
    World
        The validated, immutable world.

    Raises
    ------
    WorldError
        If the file cannot be read or parsed, or any value is invalid. The
        message names the file, the key path and the bad value.

    Examples
    --------
    >>> world = load_world("configs/europe_1914.toml")  # doctest: +SKIP
    >>> world.incident.initiator  # doctest: +SKIP
    'AUH'
    """
    p = Path(path)
    src = str(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise WorldError(src, "", "no such file") from None
    except IsADirectoryError:
        raise WorldError(src, "", "is a directory, not a world file") from None
    except OSError as e:
        raise WorldError(src, "", f"cannot read ({e.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise WorldError(src, "", f"not UTF-8 text (byte {e.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise WorldError(src, "", f"TOML syntax error: {e}{_unclosed_hint(text, str(e))}") from None
    return world_from_dict(data, source=src)


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


def world_from_dict(data: dict[str, Any], source: str = "<dict>") -> World:
    """Validate plain data (as parsed from TOML) into a :class:`World`.

    Raises
    ------
    WorldError
        As :func:`load_world`.
    """
    return _Validator(source).world(data)


def _fmt(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Validator:
    def __init__(self, source: str):
        self.src = source

    def err(self, path: str, problem: str) -> WorldError:
        return WorldError(self.src, path, problem)

    # ---- primitive checks
    def table(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.err(path, f"must be a table, got {_fmt(value)}")
        return value

    def keys(self, d: dict[str, Any], path: str, allowed: tuple[str, ...]) -> None:
        for k in d:
            if k not in allowed:
                near = difflib.get_close_matches(k, allowed, n=1)
                hint = (
                    f"; did you mean {near[0]!r}?" if near else f"; allowed: {', '.join(allowed)}"
                )
                raise self.err(f"{path}.{k}" if path else k, f"unknown key{hint}")

    def string(self, v: Any, path: str, pattern: re.Pattern[str] | None = None) -> str:
        if not isinstance(v, str):
            raise self.err(path, f"must be a string, got {_fmt(v)}")
        if pattern is not None and not pattern.fullmatch(v):  # match() lets "A\n" through
            raise self.err(path, f"invalid value {_fmt(v)} (must match {pattern.pattern})")
        return v

    def number(self, v: Any, path: str, lo: float | None = None, hi: float | None = None) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.err(path, f"must be a number, got {_fmt(v)}")
        try:
            x = float(v)
        except OverflowError:
            raise self.err(path, f"out of range, got {_fmt(v)}") from None
        if not math.isfinite(x):
            raise self.err(path, f"must be finite, got {_fmt(v)}")
        if lo is not None and x < lo:
            raise self.err(path, f"must be >= {lo:g}, got {_fmt(v)}")
        if hi is not None and x > hi:
            raise self.err(path, f"must be <= {hi:g}, got {_fmt(v)}")
        return x

    def probability(self, v: Any, path: str) -> float:
        return self.number(v, path, 0.0, 1.0)

    def integer(self, v: Any, path: str, lo: int, hi: int) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.err(path, f"must be an integer, got {_fmt(v)}")
        if not lo <= v <= hi:
            raise self.err(path, f"must be between {lo} and {hi}, got {_fmt(v)}")
        return v

    def boolean(self, v: Any, path: str) -> bool:
        if not isinstance(v, bool):
            raise self.err(path, f"must be true or false, got {_fmt(v)}")
        return v

    def choice(self, v: Any, path: str, options: tuple[str, ...]) -> str:
        if not isinstance(v, str) or v not in options:
            near = difflib.get_close_matches(str(v), options, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise self.err(path, f"must be one of {', '.join(options)}, got {_fmt(v)}{hint}")
        return v

    def nation_ref(self, v: Any, path: str, ids: dict[str, int]) -> str:
        if not isinstance(v, str):
            raise self.err(path, f"must be a nation id (string), got {_fmt(v)}")
        if v not in ids:
            near = difflib.get_close_matches(v, list(ids), n=1, cutoff=0.5)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise self.err(path, f"unknown nation id {v!r}{hint}")
        return v

    def id_list(self, v: Any, path: str, ids: dict[str, int], min_len: int = 1) -> tuple[str, ...]:
        if not isinstance(v, list):
            raise self.err(path, f"must be a list of nation ids, got {_fmt(v)}")
        if len(v) < min_len:
            raise self.err(path, f"needs at least {min_len} nation id(s), got {len(v)}")
        out = tuple(self.nation_ref(x, f"{path}[{i}]", ids) for i, x in enumerate(v))
        seen: set[str] = set()
        for i, x in enumerate(out):
            if x in seen:
                raise self.err(f"{path}[{i}]", f"duplicate nation id {x!r}")
            seen.add(x)
        return out

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
                f"the directory structure=<name>), got {_fmt(name)}",
            )
        bad = next((c for c in name if c not in _NAME_CHARS), None)
        if bad is not None:
            if bad in "/\\":
                why = "a path separator"
            elif bad == "=":
                why = "'=' would break the structure=<name> partition directory"
            elif not bad.isprintable():
                why = "an invisible or control character"
            else:
                why = "only ASCII letters, digits, '_', '.' and '-' are allowed"
            raise self.err("name", f"invalid character {bad!r} ({why}) in {_fmt(name)}")
        if not name[0].isalnum():
            raise self.err(
                "name",
                f"must start with a letter or digit (Parquet readers skip directories "
                f"starting with '.' or '_'), got {_fmt(name)}",
            )
        if _NUMERIC_NAME_RE.fullmatch(name):
            raise self.err(
                "name",
                f"{name!r} would be read back as a number by pandas.read_parquet (hive "
                f"partition structure={name}); add a letter, e.g. {'y' + name!r}",
            )
        return name

    def array_of_tables(self, v: Any, path: str) -> list[dict[str, Any]]:
        if not isinstance(v, list):
            raise self.err(path, f"must be an array of tables ([[{path}]]), got {_fmt(v)}")
        return [self.table(x, f"{path}[{i}]") for i, x in enumerate(v)]

    # ---- sections
    def world(self, data: Any) -> World:
        data = self.table(data, "")
        self.keys(data, "", TOP_KEYS)
        if "name" not in data:
            raise self.err("name", "missing (every world needs a name)")
        name = self.world_name(data["name"])
        description = self.string(data.get("description", ""), "description")
        dynamics = self.dynamics(data.get("dynamics", {}))
        if "nations" not in data:
            raise self.err("nations", "missing (a world needs [[nations]])")
        nations = self.nations(data["nations"])
        ids = {n.id: i for i, n in enumerate(nations)}
        alliances = self.alliances(data.get("alliances", []), ids)
        organizations = self.organizations(data.get("organizations", []), ids)
        plans = self.plans(data.get("plans", []), ids)
        if "incident" not in data:
            raise self.err("incident", "missing (who attacks whom?)")
        incident = self.incident(data["incident"], ids, nations)
        world = World(
            name=name,
            description=description,
            dynamics=dynamics,
            incident=incident,
            nations=nations,
            alliances=alliances,
            organizations=organizations,
            plans=plans,
            source=self.src,
        )
        total = sum(n.power for n in nations)
        if not math.isfinite(total):
            raise self.err("nations", "total power overflows")
        return world

    def dynamics(self, v: Any) -> Dynamics:
        d = self.table(v, "dynamics")
        self.keys(d, "dynamics", tuple(DEFAULT_DYNAMICS))
        rel = dict(DEFAULT_DYNAMICS["reliability"])
        if "reliability" in d:
            r = self.table(d["reliability"], "dynamics.reliability")
            self.keys(r, "dynamics.reliability", ALLIANCE_KINDS)
            for k, x in r.items():
                rel[k] = self.probability(x, f"dynamics.reliability.{k}")
        g = DEFAULT_DYNAMICS
        return Dynamics(
            max_rounds=self.integer(
                d.get("max_rounds", g["max_rounds"]), "dynamics.max_rounds", 1, MAX_ROUNDS
            ),
            world_war_majors=self.integer(
                d.get("world_war_majors", g["world_war_majors"]),
                "dynamics.world_war_majors",
                1,
                MAX_NATIONS,
            ),
            deterrence=self.probability(
                d.get("deterrence", g["deterrence"]), "dynamics.deterrence"
            ),
            contest_exponent=self.number(
                d.get("contest_exponent", g["contest_exponent"]),
                "dynamics.contest_exponent",
                0.0,
                MAX_CONTEST_EXPONENT,
            ),
            sanction_effect=self.probability(
                d.get("sanction_effect", g["sanction_effect"]), "dynamics.sanction_effect"
            ),
            reliability=tuple((k, rel[k]) for k in ALLIANCE_KINDS),
        )

    def nations(self, v: Any) -> tuple[Nation, ...]:
        self.at_most(
            v, "nations", MAX_NATIONS, "the results count them in int16 columns, e.g. belligerents"
        )
        rows = self.array_of_tables(v, "nations")
        if len(rows) < 2:
            raise self.err("nations", f"a world needs at least 2 nations, got {len(rows)}")
        out: list[Nation] = []
        seen: dict[str, int] = {}
        for i, row in enumerate(rows):
            p = f"nations[{i}]"
            self.keys(row, p, ("id", "name", "power", "major"))
            if "id" not in row:
                raise self.err(f"{p}.id", "missing")
            nid = self.string(row["id"], f"{p}.id", _ID_RE)
            if nid in seen:
                raise self.err(f"{p}.id", f"duplicate id {nid!r} (first at nations[{seen[nid]}])")
            seen[nid] = i
            if "power" not in row:
                raise self.err(f"{p}.power", f"missing for {nid!r}")
            out.append(
                Nation(
                    id=nid,
                    name=self.string(row.get("name", nid), f"{p}.name"),
                    power=self.number(row["power"], f"{p}.power", 0.0),
                    major=self.boolean(row.get("major", False), f"{p}.major"),
                )
            )
        return tuple(out)

    def alliances(self, v: Any, ids: dict[str, int]) -> tuple[Alliance, ...]:
        rows = self.array_of_tables(v, "alliances")
        out: list[Alliance] = []
        names: dict[str, int] = {}
        n_pairs = 0
        for i, row in enumerate(rows):
            p = f"alliances[{i}]"
            self.keys(row, p, ("name", "kind", "members", "guarantors", "protected", "reliability"))
            if "kind" not in row:
                raise self.err(f"{p}.kind", f"missing (one of {', '.join(ALLIANCE_KINDS)})")
            kind = self.choice(row["kind"], f"{p}.kind", ALLIANCE_KINDS)
            members = guarantors = protected = None
            if "members" in row:
                if "guarantors" in row or "protected" in row:
                    raise self.err(p, "give either members or guarantors/protected, not both")
                members = self.id_list(row["members"], f"{p}.members", ids, 2)
            elif "guarantors" in row or "protected" in row:
                if "guarantors" not in row or "protected" not in row:
                    missing = "protected" if "guarantors" in row else "guarantors"
                    raise self.err(f"{p}.{missing}", "missing (a guarantee needs both lists)")
                guarantors = self.id_list(row["guarantors"], f"{p}.guarantors", ids)
                protected = self.id_list(row["protected"], f"{p}.protected", ids)
                both = sorted(set(guarantors) & set(protected))
                if both:
                    raise self.err(
                        f"{p}.protected", f"{both[0]!r} cannot guarantee itself (also a guarantor)"
                    )
            else:
                raise self.err(
                    p, "needs members = [...] or guarantors = [...] and protected = [...]"
                )
            # counted, not expanded: a treaty of all nations gives a billion pairs
            if members is not None:
                n_pairs += len(members) * (len(members) - 1)
            else:
                n_pairs += len(guarantors) * len(protected)  # type: ignore[arg-type]
            if n_pairs > MAX_OBLIGATIONS:
                raise self.err(
                    p,
                    f"the treaties up to this one expand to {n_pairs} directed obligations "
                    f"(k members give k*(k-1), a guarantee guarantors x protected); at most "
                    f"{MAX_OBLIGATIONS} fit the int32 columns source and broken_promises",
                )
            parties = members if members is not None else (*guarantors, *protected)  # type: ignore[misc]
            default_name = f"{kind}:{'-'.join(sorted(parties))}"
            name = self.string(row.get("name", default_name), f"{p}.name")
            if not name.strip():
                raise self.err(f"{p}.name", "must not be empty")
            if name in names:
                raise self.err(
                    f"{p}.name",
                    f"duplicate alliance name {name!r} (first at alliances[{names[name]}]); "
                    "each treaty needs its own name",
                )
            names[name] = i
            rel = row.get("reliability")
            out.append(
                Alliance(
                    name=name,
                    kind=kind,
                    members=members,
                    guarantors=guarantors,
                    protected=protected,
                    reliability=None if rel is None else self.probability(rel, f"{p}.reliability"),
                )
            )
        return tuple(out)

    def organizations(self, v: Any, ids: dict[str, int]) -> tuple[Organization, ...]:
        self.at_most(
            v,
            "organizations",
            MAX_ORGANIZATIONS,
            "their answers are counted in int32 columns: sanctions, diplomacy",
        )
        rows = self.array_of_tables(v, "organizations")
        out: list[Organization] = []
        names: dict[str, int] = {}
        for i, row in enumerate(rows):
            p = f"organizations[{i}]"
            self.keys(
                row,
                p,
                ("name", "kind", "members", "veto", "unanimity", "response", "blocked_response"),
            )
            for req in ("name", "kind", "members"):
                if req not in row:
                    raise self.err(f"{p}.{req}", "missing")
            name = self.string(row["name"], f"{p}.name")
            if not name.strip():
                raise self.err(f"{p}.name", "must not be empty")
            if name in names:
                raise self.err(
                    f"{p}.name", f"duplicate organization name {name!r} (first at {names[name]})"
                )
            names[name] = i
            kind = self.choice(row["kind"], f"{p}.kind", ORGANIZATION_KINDS)
            members = self.id_list(row["members"], f"{p}.members", ids, 2)
            veto = self.id_list(row.get("veto", []), f"{p}.veto", ids, 0)
            for j, h in enumerate(veto):
                if h not in members:
                    raise self.err(f"{p}.veto[{j}]", f"{h!r} is not a member of {name!r}")
            resp = Organization.response
            if "response" in row:
                r = self.table(row["response"], f"{p}.response")
                self.keys(r, f"{p}.response", LADDER[1:])
                vals = {k: self.probability(x, f"{p}.response.{k}") for k, x in r.items()}
                total = sum(vals.values())
                if total > 1.0 + 1e-12:
                    raise self.err(
                        f"{p}.response",
                        f"probabilities sum to {total:g} > 1 (the rest is 'none')",
                    )
                resp = tuple((k, vals.get(k, 0.0)) for k in LADDER[1:])
            out.append(
                Organization(
                    name=name,
                    kind=kind,
                    members=members,
                    veto=veto,
                    unanimity=self.boolean(row.get("unanimity", False), f"{p}.unanimity"),
                    response=resp,
                    blocked_response=self.choice(
                        row.get("blocked_response", "diplomacy"), f"{p}.blocked_response", LADDER
                    ),
                )
            )
        return tuple(out)

    def plans(self, v: Any, ids: dict[str, int]) -> tuple[Plan, ...]:
        self.at_most(v, "plans", MAX_PLANS, "their nation lists are indexed by int32 offsets")
        rows = self.array_of_tables(v, "plans")
        out: list[Plan] = []
        keys: dict[str, int] = {}
        for i, row in enumerate(rows):
            p = f"plans[{i}]"
            self.keys(row, p, ("name", "nation", "trigger", "attack", "probability"))
            for req in ("nation", "trigger", "attack"):
                if req not in row:
                    raise self.err(f"{p}.{req}", "missing")
            nation = self.nation_ref(row["nation"], f"{p}.nation", ids)
            trigger = self.id_list(row["trigger"], f"{p}.trigger", ids)
            attack = self.id_list(row["attack"], f"{p}.attack", ids)
            for field_name, lst in (("trigger", trigger), ("attack", attack)):
                if nation in lst:
                    j = lst.index(nation)
                    raise self.err(f"{p}.{field_name}[{j}]", f"{nation!r} is the plan's own nation")
            name = row.get("name")
            plan = Plan(
                nation=nation,
                trigger=trigger,
                attack=attack,
                probability=self.probability(row.get("probability", 1.0), f"{p}.probability"),
                name=None if name is None else self.string(name, f"{p}.name"),
            )
            if plan.key in keys:
                raise self.err(p, f"duplicate plan {plan.key!r} (first at plans[{keys[plan.key]}])")
            keys[plan.key] = i
            out.append(plan)
        return tuple(out)

    def incident(self, v: Any, ids: dict[str, int], nations: tuple[Nation, ...]) -> Incident:
        d = self.table(v, "incident")
        self.keys(
            d, "incident", ("mode", "initiator", "target", "initiators", "targets", "weights")
        )
        mode = self.choice(d.get("mode", "fixed"), "incident.mode", ("fixed", "random"))
        if mode == "fixed":
            for k in ("initiators", "targets", "weights"):
                if k in d:
                    raise self.err(f"incident.{k}", 'only allowed with mode = "random"')
            for req in ("initiator", "target"):
                if req not in d:
                    raise self.err(f"incident.{req}", 'missing (or set mode = "random")')
            a = self.nation_ref(d["initiator"], "incident.initiator", ids)
            b = self.nation_ref(d["target"], "incident.target", ids)
            if a == b:
                raise self.err("incident.target", f"{b!r} is also the initiator")
            return Incident(mode="fixed", initiator=a, target=b)
        for k in ("initiator", "target"):
            if k in d:
                raise self.err(f"incident.{k}", 'not allowed with mode = "random" (use a list)')
        all_ids = tuple(n.id for n in nations)
        inits = (
            self.id_list(d["initiators"], "incident.initiators", ids)
            if "initiators" in d
            else all_ids
        )
        targs = self.id_list(d["targets"], "incident.targets", ids) if "targets" in d else all_ids
        weights = self.choice(d.get("weights", "uniform"), "incident.weights", ("uniform", "power"))
        power = {n.id: n.power for n in nations}

        def w(x: str) -> float:
            return power[x] if weights == "power" else 1.0

        if sum(w(x) for x in inits) <= 0:
            raise self.err("incident.initiators", "no initiator has positive weight (power)")
        # linear, not quadratic: worlds may have 30,000 nations
        positive = {x for x in targs if w(x) > 0}
        for a in inits:
            if w(a) > 0 and (not positive or positive == {a}):
                raise self.err(
                    "incident.targets",
                    f"no target with positive weight is left when {a!r} initiates",
                )
        return Incident(
            mode="random",
            initiators=inits if "initiators" in d else None,
            targets=targs if "targets" in d else None,
            weights=weights,
        )


# --------------------------------------------------------------------------- writing


def _world_to_dict(w: World) -> dict[str, Any]:
    d: dict[str, Any] = {"name": w.name}
    if w.description:
        d["description"] = w.description
    dyn = w.dynamics
    d["dynamics"] = {
        "max_rounds": dyn.max_rounds,
        "world_war_majors": dyn.world_war_majors,
        "deterrence": dyn.deterrence,
        "contest_exponent": dyn.contest_exponent,
        "sanction_effect": dyn.sanction_effect,
        "reliability": dict(dyn.reliability),
    }
    inc = w.incident
    if inc.mode == "fixed":
        d["incident"] = {"initiator": inc.initiator, "target": inc.target}
    else:
        d["incident"] = {"mode": "random", "weights": inc.weights}
        if inc.initiators is not None:
            d["incident"]["initiators"] = list(inc.initiators)
        if inc.targets is not None:
            d["incident"]["targets"] = list(inc.targets)
    d["nations"] = [
        {"id": n.id, "name": n.name, "power": n.power, "major": n.major} for n in w.nations
    ]
    alliances = []
    for a in w.alliances:
        x: dict[str, Any] = {"name": a.name, "kind": a.kind}
        if a.members is not None:
            x["members"] = list(a.members)
        else:
            x["guarantors"] = list(a.guarantors or ())
            x["protected"] = list(a.protected or ())
        if a.reliability is not None:
            x["reliability"] = a.reliability
        alliances.append(x)
    d["alliances"] = alliances
    orgs = []
    for o in w.organizations:
        x = {"name": o.name, "kind": o.kind, "members": list(o.members)}
        if o.veto:
            x["veto"] = list(o.veto)
        if o.unanimity:
            x["unanimity"] = True
        x["response"] = dict(o.response)
        x["blocked_response"] = o.blocked_response
        orgs.append(x)
    d["organizations"] = orgs
    plans = []
    for p in w.plans:
        x = {"nation": p.nation, "trigger": list(p.trigger), "attack": list(p.attack)}
        x["probability"] = p.probability
        if p.name is not None:
            x["name"] = p.name
        plans.append(x)
    d["plans"] = plans
    return d


def dump_world(world: World, header: str = "") -> str:
    """Serialize ``world`` as TOML text that :func:`load_world` reads back identically.

    Parameters
    ----------
    world
        The world to write.
    header
        Optional comment lines placed at the top of the file.
    """
    import tomli_w

    d = world.to_dict()
    for key in ("alliances", "organizations", "plans"):
        if not d[key]:
            del d[key]
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + tomli_w.dumps(d)
