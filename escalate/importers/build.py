"""Build a world from the COW and ATOP files on a day: :func:`import_world`."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model.entities import World, WorldError
from ..model.load import world_from_dict
from .csvfile import DataError, sha256
from .dates import parse_date
from .entries import Entry, entries_of
from .overlay import read_overlay
from .regions import CCODE_RANGES, parse_theatre, region_of
from .render import render
from .spells import read_atop, read_cow
from .states import State, majors_on, power_on, states_on
from .treaties import treaties_on

__all__ = ["REGIONS", "Imported", "import_world"]

#: Named regions, as COW ccode ranges (the COW codebook's regions): the table of
#: :mod:`escalate.importers.regions`, also each nation's ``region``.
REGIONS: dict[str, tuple[int, int]] = CCODE_RANGES


@dataclass
class Imported:
    """An imported world: the world, its TOML text and what the import noted."""

    world: World
    text: str
    #: lines on what was left out or assumed (also comments in ``text``)
    notes: list[str] = field(default_factory=list)
    #: world nation id -> COW ccode (nations an overlay adds without a ccode are absent)
    ccodes: dict[str, int] = field(default_factory=dict)


def _region_filter(spec: str | list[Any] | None, states: list[State]) -> list[State]:
    if spec is None:
        return states
    if isinstance(spec, str) and spec.lower() in REGIONS:
        lo, hi = REGIONS[spec.lower()]
        return [s for s in states if lo <= s.ccode <= hi]
    tokens = spec if isinstance(spec, list) else str(spec).split(",")
    keep: set[int] = set()
    for tok in tokens:
        t = str(tok).strip()
        if "-" in t and t.replace("-", "").isdigit():
            lo, hi = (int(x) for x in t.split("-", 1))
            keep |= {s.ccode for s in states if lo <= s.ccode <= hi}
        elif t.isdigit():
            keep.add(int(t))
        else:
            found = [s.ccode for s in states if s.abb == t.upper()]
            if not found:
                raise DataError(
                    f"region: {t!r} is not a region ({', '.join(REGIONS)}), a ccode range "
                    "such as 200-399, a ccode or the abbreviation of a state in the system"
                )
            keep |= set(found)
    return [s for s in states if s.ccode in keep]


class _Nations:
    """The world's nations and how overlay and data name them."""

    def __init__(self, states: list[State]) -> None:
        self.rows: list[dict[str, Any]] = []
        self.by_code: dict[int, dict[str, Any]] = {}
        for s in states:
            row = {"id": s.abb, "name": s.name, "power": s.power, "major": s.major}
            row["_ccode"], row["_notes"] = s.ccode, list(s.notes)
            _set_region(row, s.ccode)
            self.rows.append(row)
            self.by_code[s.ccode] = row
        self.abb = {s.abb: s.ccode for s in states}

    def row(self, token: Any) -> dict[str, Any] | None:
        if isinstance(token, int) or (isinstance(token, str) and token.isdigit()):
            return self.by_code.get(int(token))
        for r in self.rows:
            if r["id"] == token:
                return r
        code = self.abb.get(str(token))
        return self.by_code.get(code) if code is not None else None

    def id(self, token: Any, where: str) -> str:
        r = self.row(token)
        if r is None:
            raise DataError(
                f"{where}: {token!r} is not a nation of this world (ccode, COW abbreviation or id)"
            )
        return str(r["id"])

    def id_of_code(self, code: int) -> str | None:
        r = self.by_code.get(code)
        return None if r is None else str(r["id"])


def _set_region(row: dict[str, Any], code: int | None) -> None:
    """The region of a nation row from its ccode (none outside the COW ranges)."""
    region = region_of(int(code)) if code is not None else None
    if region is not None:
        row["region"] = region


def _check_regions(nations: _Nations) -> None:
    """Every nation has a region (the model takes all or none): say which lacks one."""
    for r in nations.rows:
        if r.get("region") is None:
            code = r["_ccode"]
            why = (
                f"its ccode {code} is in no COW region "
                f"({', '.join(f'{lo}-{hi}' for lo, hi in CCODE_RANGES.values())})"
                if code is not None
                else "it has no ccode"
            )
            raise DataError(
                f"nation {r['id']}: no region: {why}; give it one in the overlay "
                f"([[nations]] with region = one of {', '.join(CCODE_RANGES)})"
            )


def _apply_nations(nations: _Nations, rows: list[dict[str, Any]], src: str) -> None:
    for i, row in enumerate(rows):
        where = f"{src}: nations[{i}]"
        row = dict(row)
        comment = row.pop("comment", None)
        code = row.pop("ccode", None)
        existing = nations.row(code) if code is not None else nations.row(row.get("id"))
        if row.pop("drop", False):
            if existing is None:
                raise DataError(f"{where}: no such nation to drop")
            nations.rows.remove(existing)
            nations.by_code.pop(existing["_ccode"], None)
            continue
        if existing is None:
            missing = [k for k in ("id", "name", "power") if k not in row]
            if missing:
                raise DataError(f"{where}: a new nation needs {', '.join(missing)}")
            existing = {"major": False, "_ccode": code, "_notes": []}
            if "region" not in row:
                _set_region(existing, code)
            nations.rows.append(existing)
            if code is not None:
                nations.by_code[int(code)] = existing
        existing.update(row)
        if comment:
            existing["_notes"] += _comment(comment)


def _members(
    org: dict[str, Any], nations: _Nations, spells_members: dict[str, list[str]], where: str
) -> list[str]:
    if org.get("members") == "all":
        out = [str(r["id"]) for r in nations.rows]
    elif "members_from" in org:
        key = org["members_from"]
        if key not in spells_members:
            raise DataError(f"{where}: members_from = {key!r}: no such treaty in force that day")
        out = list(spells_members[key])
    else:
        out = [nations.id(m, where) for m in org.get("members", [])]
    exclude = {nations.id(m, where) for m in org.get("exclude", [])}
    out = [m for m in out if m not in exclude]
    include = [nations.id(m, where) for m in org.get("include", [])]
    out += [nid for nid in include if nid not in out]
    return out


def _ids(value: Any, nations: _Nations, where: str) -> Any:
    if isinstance(value, list):
        return [nations.id(v, where) for v in value]
    return nations.id(value, where)


_NATION_LIST_KEYS = ("members", "guarantors", "protected", "against", "veto", "trigger", "attack")


def _nations_on(day, states, capabilities, majors, region, power_year, ov, src, notes):
    """The nations of the day (region filter, power, majors, overlay edits, regions)."""
    found = states_on(str(states), day)
    found = _region_filter(region if region is not None else ov.get("region"), found)
    if len(found) < 2:
        raise DataError(f"fewer than 2 states in the system on {day} in that region")
    power_on(str(capabilities), day, found, power_year)
    if majors is not None:
        codes = majors_on(str(majors), day)
        for s in found:
            s.major = s.ccode in codes
    else:
        notes.append("no majors file: no nation is a major power")
    nations = _Nations(found)
    _apply_nations(nations, ov.get("nations", []), src)
    _check_regions(nations)
    return nations


def _treaty_entries(treaties: list, nations: Any, names: dict[str, str]):
    """The world's alliance entries, what was left out and why, and each treaty's members."""
    entries: list[Entry] = []
    left_out: list[list[str]] = []
    members_of: dict[str, list[str]] = {}
    defended = {
        (k, j)
        for t in treaties
        for k, duties in t.members.items()
        if "defense" in duties
        for j in t.members
        if j != k
    }
    for t in treaties:
        got, why = entries_of(t, nations.id_of_code, names, defended)
        entries += got
        if why:
            left_out.append(why)
        members_of[t.key] = [
            i for c in sorted(t.members) if (i := nations.id_of_code(c)) is not None
        ]
        for rec in t.records:
            members_of[rec.split(" phase")[0]] = members_of[t.key]
    return entries, left_out, members_of


def _options(day, files, region, incident, theatre, power_year, overlay_year, name, output,
             world_name, exclude) -> list[str]:  # fmt: skip
    """The options of the command that rebuilds the world (the header names it)."""
    options = [f"--date {day}"] + [f"{f} {p.name}" for f, p in files]
    if exclude:
        options.append(f"--exclude '{','.join(exclude)}'")
    if region is not None:
        options.append(
            f"--region {region if isinstance(region, str) else ','.join(map(str, region))}"
        )
    if incident is not None:
        options.append(f"--incident {incident}")
    if theatre:
        options.append(f"--theatre {','.join(theatre)}")
    if power_year is not None and not overlay_year:
        options.append(f"--power-year {power_year}")
    if name is not None:
        options.append(f"--name {name}")
    options.append(f"-o {output if output is not None else world_name + '.toml'}")
    return options


def import_world(
    date: str | dt.date,
    *,
    states: str | Path,
    capabilities: str | Path,
    majors: str | Path | None = None,
    atop: str | Path | None = None,
    cow: str | Path | None = None,
    region: str | list[Any] | None = None,
    overlay: str | Path | None = None,
    incident: str | None = None,
    theatre: str | list[str] | tuple[str, ...] | None = None,
    name: str | None = None,
    power_year: int | None = None,
    output: str | Path | None = None,
    exclude: Collection[str] = (),
) -> Imported:
    """The world of the states in the system on ``date``, with the alliances in force.

    Parameters
    ----------
    date
        The day (``"1914-06-28"``).
    states, capabilities, majors
        COW State System Membership (``states2016.csv``), National Material
        Capabilities (``NMC-60-abridged.csv``) and major powers (``majors2016.csv``)
        files. Power is the CINC of the latest year not after ``date``.
    atop, cow
        ATOP (``atop5_1m.csv``) and COW (``alliance_v4.1_by_member.csv``)
        member-level alliance files; at least one. With both, the union rule.
    region
        Keep only these states: a named region (:data:`REGIONS`), a ccode range
        ``"200-399"``, or a list of ccodes and abbreviations.
    overlay
        A TOML overlay (see :mod:`escalate.importers.overlay`).
    incident
        ``"INIT:TARGET"`` (ccodes, abbreviations or ids; several on a side separated
        by commas, ``"GMY,AUH:RUS,FRN"``: every initiator attacks every target);
        overrides the overlay's. Without either, the incident is random among all
        nations.
    theatre
        The regions where the war is fought (:data:`escalate.model.schema.REGIONS`,
        ``"europe,middle_east"`` or a list); overrides the overlay's. Without either,
        the world has no ``theatre`` (the model's default: the target's region).
    name
        The world's name (default: the overlay's, else ``world_YYYY_MM_DD``).
    power_year
        Take CINC of the latest year not after this one instead of ``date``'s year
        (default: the overlay's ``power_year``, else the year of ``date``).
    output
        Where the world will be written: named in the header's command that
        rebuilds it (default: ``NAME.toml``).
    exclude
        Treaties to leave out although in force, by key: ``"ATOP 3322"``, ``"COW 45"``
        (an ATOP treaty takes its COW counterpart with it). The backtest leaves out
        treaties formed for the war it predicts.

    Returns
    -------
    Imported
        The validated world and its TOML text, whose header names every source file
        with its SHA-256, the date and the command that rebuilds it.

    Raises
    ------
    DataError
        A file cannot be read or lacks a column, the date is outside the data, or the
        overlay names something that is not there.
    """
    day = parse_date(date) if isinstance(date, str) else date
    if atop is None and cow is None:
        raise DataError("alliances: give an ATOP file (--atop), a COW file (--cow) or both")
    ov = read_overlay(overlay) if overlay is not None else {}
    src = str(overlay) if overlay is not None else "overlay"
    power_year = power_year if power_year is not None else ov.get("power_year")
    notes: list[str] = []
    nations = _nations_on(day, states, capabilities, majors, region, power_year, ov, src, notes)

    exclude = _treaty_keys(exclude)
    treaties = _treaties(day, atop, cow, exclude, nations, notes)
    names = {str(k): str(v) for k, v in ov.get("treaties", {}).items()}
    entries, left_out, members_of = _treaty_entries(treaties, nations, names)
    entries, dropped = _edit(entries, ov.get("edits", []), src, nations)
    left_out += dropped

    added_alliances, organizations, plans = _additions(ov, nations, members_of, src)
    inc = _incident(incident, ov.get("incident"), theatre, nations, src)
    world_name = name or ov.get("name") or f"world_{day:%Y_%m_%d}"
    files = [(flag, Path(p)) for flag, p in (
        ("--states", states), ("--capabilities", capabilities), ("--majors", majors),
        ("--atop", atop), ("--cow", cow), ("--overlay", overlay),
    ) if p is not None]  # fmt: skip
    options = _options(day, files, region, incident, theatre and inc["theatre"], power_year,
                       "power_year" in ov, name, output, world_name, exclude)  # fmt: skip
    header = _header(world_name, day, options, [p for _, p in files], notes, overlay is not None)
    header += _comment(ov.get("comment"))
    text = render(
        name=world_name,
        description=str(
            ov.get("description", f"States in the system on {day}, imported from COW/ATOP")
        ),
        dynamics=ov.get("dynamics", {}),
        incident=inc,
        nations=nations.rows,
        alliances=entries + added_alliances,
        organizations=organizations,
        plans=plans,
        header=header,
        left_out=left_out,
    )
    try:
        world = world_from_dict(tomllib.loads(text), source=f"{world_name}.toml (imported)")
    except WorldError as e:
        raise DataError(f"the imported world is not valid: {e}") from None
    return Imported(
        world=world,
        text=text,
        notes=notes + [w[0] + " " + w[-1].strip() for w in left_out],
        ccodes={str(r["id"]): int(r["_ccode"]) for r in nations.rows if r["_ccode"] is not None},
    )


def _treaties(day, atop, cow, exclude: tuple[str, ...], nations, notes: list[str]) -> list:
    """The treaties in force on ``day`` in the files given, but those ``exclude`` names."""
    if exclude:
        notes.append(f"Left out although in force (--exclude): {', '.join(exclude)}")
    return treaties_on(
        day,
        read_atop(str(atop)) if atop is not None else None,
        read_cow(str(cow)) if cow is not None else None,
        name=lambda c: nations.id_of_code(c) or f"ccode {c}",
        exclude=exclude,
    )


def _treaty_keys(keys: Collection[str]) -> tuple[str, ...]:
    """``keys`` checked and normalised (``"atop 3322"`` -> ``"ATOP 3322"``), sorted."""
    out = set()
    for key in keys:
        source, _, number = key.strip().partition(" ")
        if source.upper() not in {"ATOP", "COW"} or not number.strip().isdigit():
            raise DataError(f"exclude: {key!r} is not a treaty key such as 'ATOP 3322' or 'COW 45'")
        out.add(f"{source.upper()} {int(number)}")
    return tuple(sorted(out))


def _header(
    name: str,
    day: dt.date,
    options: list[str],
    files: list[Path],
    notes: list[str],
    overlay: bool,
) -> list[str]:
    """The file's header: what it is, the command that rebuilds it, the sources' sha256."""
    how = (
        "edit the overlay and rebuild, not this file"
        if overlay
        else "to change it, write an overlay (--overlay) and rebuild, not this file"
    )
    return [
        f"{name}: the states in the system on {day}, their power and the alliances in force.",
        f"Built by escalate's importer; {how}:",
        "  " + " ".join(["escalate import", *options]),
        "Source files (name: sha256):",
        *[f"  {p.name}: {sha256(p)}" for p in files],
        *notes,
    ]


def _additions(
    ov: dict[str, Any], nations: _Nations, members_of: dict[str, list[str]], src: str
) -> tuple[list[Entry], list[Entry], list[Entry]]:
    """The overlay's alliances, organizations and plans, nations named by world id."""
    alliances = []
    for i, a in enumerate(ov.get("alliances", [])):
        a = dict(a)
        for key in _NATION_LIST_KEYS:
            if key in a:
                a[key] = _ids(a[key], nations, f"{src}: alliances[{i}].{key}")
        alliances.append(Entry("overlay", a.get("kind", ""), a, _comment(a.pop("comment", None))))
    organizations = []
    for i, o in enumerate(ov.get("organizations", [])):
        o = dict(o)
        where = f"{src}: organizations[{i}]"
        o["members"] = _members(o, nations, members_of, where)
        for key in ("members_from", "exclude", "include"):
            o.pop(key, None)
        if "veto" in o:
            o["veto"] = _ids(o["veto"], nations, f"{where}.veto")
        organizations.append(
            Entry("overlay", o.get("kind", ""), o, _comment(o.pop("comment", None)))
        )
    plans = []
    for i, p in enumerate(ov.get("plans", [])):
        p = dict(p)
        for key in ("nation", "trigger", "attack"):
            if key in p:
                p[key] = _ids(p[key], nations, f"{src}: plans[{i}].{key}")
        plans.append(Entry("overlay", "plan", p, _comment(p.pop("comment", None))))
    return alliances, organizations, plans


def _comment(value: Any) -> list[str]:
    if value is None:
        return []
    return [line.rstrip() for line in str(value).strip().splitlines()]


def _edit(
    entries: list[Entry], edits: list[dict[str, Any]], src: str, nations: _Nations
) -> tuple[list[Entry], list[list[str]]]:
    """The entries after the overlay's edits, and a comment block per dropped treaty.

    A dropped entry's comment (the treaty's sources and notes, where it was the first
    entry) and the edit's reason stay in the world file, under the treaties not written.
    """
    dropped: dict[str, list[str]] = {}
    for i, e in enumerate(edits):
        hit = [x for x in entries if x.treaty == e["treaty"] and e.get("kind", x.kind) == x.kind]
        if not hit:
            raise DataError(
                f"{src}: edits[{i}]: no imported entry of {e['treaty']}"
                + (f" of kind {e['kind']}" if "kind" in e else "")
                + " on this day (is the treaty in force, and in the files given?)"
            )
        for x in hit:
            if e.get("drop"):
                entries.remove(x)
                block = dropped.setdefault(x.treaty, [] if x.comment else [f"{x.treaty}:"])
                block += [line for line in x.comment if line not in block]
                block.append(f"  dropped by the overlay: {x.data['name']}")
                block += [f"  overlay: {line}" for line in _comment(e.get("comment"))]
                continue
            for key in e.get("unset", []):
                x.data.pop(key, None)
            for key, val in e.get("set", {}).items():
                x.data[key] = (
                    _ids(val, nations, f"{src}: edits[{i}].set.{key}")
                    if key in _NATION_LIST_KEYS
                    else val
                )
            x.comment += [f"  overlay: {line}" for line in _comment(e.get("comment"))]
    return entries, list(dropped.values())


def _incident(
    cli: str | None,
    table: dict[str, Any] | None,
    theatre: str | list[str] | tuple[str, ...] | None,
    nations: _Nations,
    src: str,
) -> dict[str, Any]:
    """The ``[incident]``: ``--incident`` (else the overlay's), then ``--theatre``.

    ``--incident`` replaces the overlay's whole ``[incident]``, its theatre included.
    """
    out: dict[str, Any]
    if cli is not None:
        init, sep, target = cli.partition(":")
        if not sep or not init.strip() or not target.strip():
            raise DataError(
                f"--incident {cli!r}: expected INITIATOR:TARGET, e.g. AUH:YUG, 300:345 "
                "or several on a side, GMY,AUH:RUS,FRN"
            )
        out = {
            "initiator": _one_or_list(init, nations),
            "target": _one_or_list(target, nations),
        }
    elif table:
        out = dict(table)
        for key in ("initiator", "target", "initiators", "targets"):
            if key in out:
                out[key] = _ids(out[key], nations, f"{src}: incident.{key}")
    else:
        out = {"mode": "random", "weights": "uniform"}
    if theatre is not None:
        out["theatre"] = list(parse_theatre(theatre, "--theatre"))
    elif "theatre" in out:
        out["theatre"] = list(parse_theatre(out["theatre"], f"{src}: incident.theatre"))
    return out


def _one_or_list(side: str, nations: _Nations) -> str | list[str]:
    """One side of ``--incident``: a nation id, or a list of them (comma-separated)."""
    ids = [nations.id(t.strip(), "--incident") for t in side.split(",")]
    return ids[0] if len(ids) == 1 else ids
