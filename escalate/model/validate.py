"""The world validator: one function per section of a world file.

:func:`validate_world` checks plain data (as parsed from TOML) section by
section with a :class:`~escalate.model.checks.Checker` and builds the
:class:`~escalate.model.entities.World`. The ``[dynamics]`` ranges and defaults
come from :data:`escalate.model.defaults.DYNAMICS`; the bounds on counts and
names from :mod:`escalate.model.schema`.

Every problem of the file is reported, not only the first: each section and
each entry is checked even after an error, and the :class:`WorldError` raised
at the end holds them all (``errors``), each naming the key path (entries by
their id or name), the bad value and, for a file, its line. An entry with an
error is left out of what later checks see, and references to nations are
only checked against a ``[[nations]]`` that could be read, so that one mistake
does not report a cascade of others.
"""

from __future__ import annotations

import math
from typing import Any

from . import schema
from .checks import Checker
from .entities import Alliance, Nation, Plan, World, WorldError
from .lines import KeyLines
from .schema import (
    ALLIANCE_KINDS,
    ATTACK_CONDITION_KINDS,
    ID_RE,
    MAX_NATIONS,
    MAX_OBLIGATIONS,
    MAX_PLANS,
    REGIONS,
    TOP_KEYS,
    UNPROVOKED_KINDS,
)
from .validate_dynamics import dynamics as _dynamics
from .validate_incident import incident as _incident
from .validate_orgs import organizations as _organizations

__all__ = ["validate_world"]


def validate_world(data: Any, source: str, lines: KeyLines | None = None) -> World:
    """Validate plain data (as parsed from TOML) into a :class:`World`.

    Parameters
    ----------
    data
        The parsed file: a dict of the top-level keys.
    source
        The file name (or another label) that error messages start with.
    lines
        Where each key is in the file (:func:`~escalate.model.lines.key_lines`),
        for the line numbers of error messages; none if not given.

    Returns
    -------
    World
        The validated world, with ``source`` set.

    Raises
    ------
    WorldError
        Holding every problem found (``errors``), each naming ``source``, the
        line where known, the key path and the value.
    """
    c = Checker(source, lines)
    world = None
    with c.guard():
        world = _world(c, data)
    if c.errors:
        raise WorldError.of(sorted(c.errors, key=lambda e: e.line or 0))
    assert world is not None
    return world


def _world(c: Checker, data: Any) -> World | None:
    """The whole file: its sections in dependency order, then the cross-checks."""
    data = c.table(data, "")
    c.keys(data, "", TOP_KEYS)
    name = description = None
    if "name" not in data:
        c.report("name", "missing (every world needs a name)")
    else:
        name = c.attempt(c.world_name, data["name"])
    description = c.attempt(c.string, data.get("description", ""), "description")
    dynamics = c.attempt(_dynamics, c, data.get("dynamics", {}))
    nations: tuple[Nation, ...] | None = None
    if "nations" not in data:
        c.report("nations", "missing (a world needs [[nations]])")
    else:
        nations = c.attempt(_nations, c, data["nations"])
    regions = _have_regions(data.get("nations"))
    alliances = c.attempt(_alliances, c, data.get("alliances", []), c.ids, regions)
    organizations = c.attempt(_organizations, c, data.get("organizations", []), c.ids)
    plans = c.attempt(_plans, c, data.get("plans", []), c.ids)
    incident = None
    if "incident" not in data:
        c.report("incident", "missing (who attacks whom?)")
    else:
        incident = c.attempt(_incident, c, data["incident"], c.ids, nations, regions)
    if c.errors:
        return None
    assert name is not None and description is not None and dynamics is not None
    assert nations is not None and alliances is not None and organizations is not None
    assert plans is not None and incident is not None
    world = World(
        name=name,
        description=description,
        dynamics=dynamics,
        incident=incident,
        nations=nations,
        alliances=alliances,
        organizations=organizations,
        plans=plans,
        source=c.src,
    )
    total = sum(n.power for n in nations)
    if not math.isfinite(total):
        raise c.err("nations", "total power overflows")
    return world


def _have_regions(v: Any) -> bool:
    """Whether the nations of a file give regions.

    Read from the data, so that a ``[[nations]]`` with an unrelated error still tells.
    """
    return isinstance(v, list) and any(isinstance(row, dict) and "region" in row for row in v)


def _nations(c: Checker, v: Any) -> tuple[Nation, ...] | None:
    """``[[nations]]``: at least 2, unique ids; a region for every nation or for none.

    Sets ``c.ids`` to the ids that could be read, so that later sections check
    their references against them.
    """
    c.at_most(
        v, "nations", MAX_NATIONS, "the results count them in int16 columns, e.g. belligerents"
    )
    rows = c.array_of_tables(v, "nations")
    n0 = len(c.errors)
    if len(v) < 2:
        c.report("nations", f"a world needs at least 2 nations, got {len(v)}")
    out: list[Nation] = []
    seen: dict[str, str] = {}
    without: list[str] = []  # the nations without a region
    ids_known = len(v) >= 2
    for i, row in rows:
        rid = row.get("id")
        p = c.item("nations", i, rid if isinstance(rid, str) and ID_RE.fullmatch(rid) else None)
        c.keys(row, p, ("id", "name", "power", "major", "region"))
        nid = None
        if "id" not in row:
            c.report(f"{p}.id", "missing")
        else:
            nid = c.attempt(c.string, row["id"], f"{p}.id", ID_RE)
            if nid in seen:
                c.report(f"{p}.id", f"duplicate id {nid!r} (first at {seen[nid]})")
                nid = None
            elif nid is not None:
                seen[nid] = p
        ids_known = ids_known and nid is not None
        power = None
        if "power" not in row:
            c.report(f"{p}.power", f"missing for {row.get('id', 'this nation')!r}")
        else:
            power = c.attempt(c.number, row["power"], f"{p}.power", 0.0)
        name = c.attempt(c.string, row.get("name", nid), f"{p}.name") if nid else None
        major = c.attempt(c.boolean, row.get("major", False), f"{p}.major")
        region = None
        if "region" in row:
            region = c.attempt(c.choice, row["region"], f"{p}.region", REGIONS)
        else:
            without.append(p)
        readable = region is not None or "region" not in row
        if readable and None not in (nid, name, power, major):
            assert nid is not None and name is not None and power is not None
            assert major is not None
            out.append(Nation(id=nid, name=name, power=power, major=major, region=region))
    if without and len(without) < len(rows):  # regions are all or none
        have = len(rows) - len(without)
        for p in without:
            c.report(
                f"{p}.region",
                f"missing: {have} of {len(rows)} nations have a region, and regions are "
                "all or none (one of " + ", ".join(REGIONS) + ")",
            )
    # with an id unreadable, references cannot be checked: they would only echo it
    c.ids = {x: k for k, x in enumerate(seen)} if ids_known and len(rows) == len(v) else None
    if len(c.errors) > n0 or len(out) != len(v):
        return None
    return tuple(out)


def _alliances(
    c: Checker, v: Any, ids: dict[str, int] | None, regions: bool
) -> tuple[Alliance, ...] | None:
    """``[[alliances]]``: unique names, at most :data:`MAX_OBLIGATIONS` obligations.

    ``regions``: whether the nations have regions (``located`` needs them).
    """
    rows = c.array_of_tables(v, "alliances")
    n0 = len(c.errors)
    out: list[Alliance] = []
    names: dict[str, str] = {}
    n_pairs = 0
    for i, row in rows:
        p = c.item("alliances", i, row.get("name"))
        with c.guard():
            alliance, new_pairs = _alliance(c, row, p, ids, names, regions)
            # counted, not expanded: a treaty of all nations gives a billion pairs
            n_pairs += new_pairs
            if n_pairs > MAX_OBLIGATIONS:
                raise c.err(
                    p,
                    f"the treaties up to this one expand to {n_pairs} directed obligations "
                    f"(k members give k*(k-1), a guarantee guarantors x protected); at most "
                    f"{MAX_OBLIGATIONS} fit the int32 columns source and broken_promises",
                )
            if alliance is not None:
                out.append(alliance)
    if len(c.errors) > n0:
        return None
    _fits_in_memory(c, n_pairs)
    return tuple(out)


def _fits_in_memory(c: Checker, n_pairs: int) -> None:
    """Refuse, before expanding them, obligations that would not fit in memory to compile."""
    memory = schema.physical_memory()
    need = n_pairs * schema.BYTES_PER_OBLIGATION
    if memory is not None and need > memory:
        raise c.err(
            "alliances",
            f"the treaties expand to {n_pairs:,} directed obligations (k members give "
            f"k*(k-1)): about {need / 2**30:.1f} GiB to compile, more than this machine's "
            f"{memory / 2**30:.1f} GiB; split the treaty or use fewer members",
        )


def _alliance(
    c: Checker,
    row: dict,
    p: str,
    ids: dict[str, int] | None,
    names: dict[str, str],
    regions: bool,
) -> tuple[Alliance | None, int]:
    """One treaty (None if it has errors, recorded in ``c``) and its number of obligations."""
    n0 = len(c.errors)
    c.keys(row, p, _ALLIANCE_KEYS)
    kind = None
    if "kind" not in row:
        c.report(f"{p}.kind", f"missing (one of {', '.join(ALLIANCE_KINDS)})")
    else:
        kind = c.attempt(c.choice, row["kind"], f"{p}.kind", ALLIANCE_KINDS)
    members, guarantors, protected = _parties(c, row, p, ids)
    parties = (*(members or ()), *(guarantors or ()), *(protected or ()))
    if members is not None:
        new_pairs = len(members) * (len(members) - 1)
    elif guarantors is not None and protected is not None:
        new_pairs = len(guarantors) * len(protected)
    else:
        new_pairs = 0
    name = None
    if "name" in row:
        name = c.attempt(c.string, row["name"], f"{p}.name")
    elif kind is not None and parties:
        name = f"{kind}:{'-'.join(sorted(parties))}"
    if name is not None:
        if not name.strip():
            c.report(f"{p}.name", "must not be empty")
        elif name in names:
            c.report(
                f"{p}.name",
                f"duplicate alliance name {name!r} (first at {names[name]}); "
                "each treaty needs its own name",
            )
        else:
            names[name] = p
    rel = row.get("reliability")
    reliability = None if rel is None else c.attempt(c.probability, rel, f"{p}.reliability")
    conditions = c.attempt(_conditions, c, row, p, kind, ids, regions)
    if len(c.errors) > n0 or kind is None or name is None or conditions is None:
        return None, new_pairs
    alliance = Alliance(
        name=name,
        kind=kind,
        members=members,
        guarantors=guarantors,
        protected=protected,
        reliability=reliability,
        **conditions,
    )
    return alliance, new_pairs


_Ids = tuple[str, ...] | None


def _parties(c: Checker, row: dict, p: str, ids: dict[str, int] | None) -> tuple[_Ids, _Ids, _Ids]:
    """``members``, or ``guarantors`` and ``protected``, of one treaty (None where invalid)."""
    members = guarantors = protected = None
    if "members" in row:
        if "guarantors" in row or "protected" in row:
            c.report(p, "give either members or guarantors/protected, not both")
        members = c.attempt(c.id_list, row["members"], f"{p}.members", ids, 2)
    elif "guarantors" in row or "protected" in row:
        if "guarantors" not in row or "protected" not in row:
            missing = "protected" if "guarantors" in row else "guarantors"
            c.report(f"{p}.{missing}", "missing (a guarantee needs both lists)")
        if "guarantors" in row:
            guarantors = c.attempt(c.id_list, row["guarantors"], f"{p}.guarantors", ids)
        if "protected" in row:
            protected = c.attempt(c.id_list, row["protected"], f"{p}.protected", ids)
        if guarantors is not None and protected is not None:
            both = sorted(set(guarantors) & set(protected))
            if both:
                c.report(
                    f"{p}.protected", f"{both[0]!r} cannot guarantee itself (also a guarantor)"
                )
                protected = None
    else:
        c.report(p, "needs members = [...] or guarantors = [...] and protected = [...]")
    return members, guarantors, protected


_ALLIANCE_KEYS = (
    "name",
    "kind",
    "members",
    "guarantors",
    "protected",
    "reliability",
    "against",
    "unprovoked",
    "min_attackers",
    "located",
    "unwritten",
)


def _conditions(
    c: Checker, row: dict, p: str, kind: str | None, ids: dict[str, int] | None, regions: bool
) -> dict[str, Any] | None:
    """The casus foederis of one treaty, and its ``unwritten`` flag.

    The conditions: ``against``, ``unprovoked``, ``min_attackers`` and ``located``.
    """
    n0 = len(c.errors)
    out: dict[str, Any] = {}
    if "against" in row:
        out["against"] = c.attempt(c.id_list, row["against"], f"{p}.against", ids)
    for key, kinds, what in (
        ("unprovoked", UNPROVOKED_KINDS, "whether the protege is an aggressor"),
        ("min_attackers", ATTACK_CONDITION_KINDS, "how the protege was attacked"),
    ):
        if key in row and kind is not None and kind not in kinds:
            c.report(
                f"{p}.{key}",
                f"only for {', '.join(kinds[:-1])} and {kinds[-1]} treaties (a condition "
                f"on {what}), not {kind}",
            )
    if "unprovoked" in row:
        out["unprovoked"] = c.attempt(c.boolean, row["unprovoked"], f"{p}.unprovoked")
    if "min_attackers" in row:
        out["min_attackers"] = c.attempt(
            c.integer, row["min_attackers"], f"{p}.min_attackers", 1, MAX_NATIONS
        )
    for key in ("located", "unwritten"):
        if key in row:
            out[key] = c.attempt(c.boolean, row[key], f"{p}.{key}")
    if out.get("located") and not regions:
        c.report(
            f"{p}.located",
            "true, but the nations have no region: located holds while the protege's region "
            "is in the theatre (give every [[nations]] a region, or leave located out)",
        )
    return None if len(c.errors) > n0 else out


def _plans(c: Checker, v: Any, ids: dict[str, int] | None) -> tuple[Plan, ...] | None:
    """``[[plans]]``: unique plans that never name their own nation."""
    c.at_most(v, "plans", MAX_PLANS, "their nation lists are indexed by int32 offsets")
    rows = c.array_of_tables(v, "plans")
    n0 = len(c.errors)
    out: list[Plan] = []
    keys: dict[str, str] = {}
    for i, row in rows:
        p = c.item("plans", i, row.get("name"))
        n1 = len(c.errors)
        c.keys(row, p, ("name", "nation", "trigger", "attack", "probability"))
        for req in ("nation", "trigger", "attack"):
            if req not in row:
                c.report(f"{p}.{req}", "missing")
        nation = (
            c.attempt(c.nation_ref, row["nation"], f"{p}.nation", ids) if "nation" in row else None
        )
        lists = {
            f: c.attempt(c.id_list, row[f], f"{p}.{f}", ids)
            for f in ("trigger", "attack")
            if f in row
        }
        for field_name, lst in lists.items():
            if nation is not None and lst is not None and nation in lst:
                j = lst.index(nation)
                c.report(f"{p}.{field_name}[{j}]", f"{nation!r} is the plan's own nation")
        probability = c.attempt(c.probability, row.get("probability", 1.0), f"{p}.probability")
        name = row.get("name")
        if name is not None:
            name = c.attempt(c.string, name, f"{p}.name")
        if len(c.errors) > n1:
            continue
        trigger, attack = lists["trigger"], lists["attack"]
        assert nation is not None and trigger is not None and attack is not None
        assert probability is not None
        plan = Plan(
            nation=nation, trigger=trigger, attack=attack, probability=probability, name=name
        )
        if plan.key in keys:
            c.report(p, f"duplicate plan {plan.key!r} (first at {keys[plan.key]})")
            continue
        keys[plan.key] = p
        out.append(plan)
    if len(c.errors) > n0:
        return None
    return tuple(out)
