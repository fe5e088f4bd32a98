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

from .checks import Checker
from .defaults import DYNAMICS, DYNAMICS_KEYS, default
from .entities import (
    Alliance,
    Dynamics,
    Incident,
    Nation,
    Plan,
    World,
    WorldError,
)
from .lines import KeyLines
from .schema import (
    ALLIANCE_KINDS,
    ATTACK_CONDITION_KINDS,
    ID_RE,
    INCIDENT_MODES,
    INCIDENT_WEIGHTS,
    MAX_NATIONS,
    MAX_OBLIGATIONS,
    MAX_PLANS,
    TOP_KEYS,
)
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
    alliances = c.attempt(_alliances, c, data.get("alliances", []), c.ids)
    organizations = c.attempt(_organizations, c, data.get("organizations", []), c.ids)
    plans = c.attempt(_plans, c, data.get("plans", []), c.ids)
    incident = None
    if "incident" not in data:
        c.report("incident", "missing (who attacks whom?)")
    else:
        incident = c.attempt(_incident, c, data["incident"], c.ids, nations)
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


def _dynamics(c: Checker, v: Any) -> Dynamics | None:
    """``[dynamics]``: every parameter of the defaults table, given or default."""
    d = c.table(v, "dynamics")
    n0 = len(c.errors)
    c.keys(d, "dynamics", DYNAMICS_KEYS)
    values = {p.key: p.value for p in DYNAMICS}
    if "reliability" in d:
        with c.guard():
            r = c.table(d["reliability"], "dynamics.reliability")
            c.keys(r, "dynamics.reliability", ALLIANCE_KINDS)
            for kind, x in r.items():
                if kind in ALLIANCE_KINDS:
                    with c.guard():
                        values[f"reliability.{kind}"] = c.param(x, default(f"reliability.{kind}"))
    for p in DYNAMICS:
        if "." not in p.key and p.key in d:
            with c.guard():
                values[p.key] = c.param(d[p.key], p)
    if len(c.errors) > n0:
        return None
    # each value has the kind of its row of the table (integer or number): checked above
    scalars: dict[str, Any] = {k: x for k, x in values.items() if "." not in k}
    reliability = tuple((kind, values[f"reliability.{kind}"]) for kind in ALLIANCE_KINDS)
    return Dynamics(**scalars, reliability=reliability)


def _nations(c: Checker, v: Any) -> tuple[Nation, ...] | None:
    """``[[nations]]``: at least 2, unique ids.

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
    ids_known = len(v) >= 2
    for i, row in rows:
        rid = row.get("id")
        p = c.item("nations", i, rid if isinstance(rid, str) and ID_RE.fullmatch(rid) else None)
        c.keys(row, p, ("id", "name", "power", "major"))
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
        if nid is not None and name is not None and power is not None and major is not None:
            out.append(Nation(id=nid, name=name, power=power, major=major))
    # with an id unreadable, references cannot be checked: they would only echo it
    c.ids = {x: k for k, x in enumerate(seen)} if ids_known and len(rows) == len(v) else None
    if len(c.errors) > n0 or len(out) != len(v):
        return None
    return tuple(out)


def _alliances(c: Checker, v: Any, ids: dict[str, int] | None) -> tuple[Alliance, ...] | None:
    """``[[alliances]]``: unique names, at most :data:`MAX_OBLIGATIONS` obligations."""
    rows = c.array_of_tables(v, "alliances")
    n0 = len(c.errors)
    out: list[Alliance] = []
    names: dict[str, str] = {}
    n_pairs = 0
    for i, row in rows:
        p = c.item("alliances", i, row.get("name"))
        with c.guard():
            alliance, new_pairs = _alliance(c, row, p, ids, names)
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
    return tuple(out)


def _alliance(
    c: Checker, row: dict, p: str, ids: dict[str, int] | None, names: dict[str, str]
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
    conditions = c.attempt(_conditions, c, row, p, kind, ids)
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
)


def _conditions(
    c: Checker, row: dict, p: str, kind: str | None, ids: dict[str, int] | None
) -> dict[str, Any] | None:
    """The casus foederis of one treaty: ``against``, ``unprovoked``, ``min_attackers``."""
    n0 = len(c.errors)
    out: dict[str, Any] = {}
    if "against" in row:
        out["against"] = c.attempt(c.id_list, row["against"], f"{p}.against", ids)
    for key in ("unprovoked", "min_attackers"):
        if key in row and kind is not None and kind not in ATTACK_CONDITION_KINDS:
            c.report(
                f"{p}.{key}",
                f"only for {' and '.join(ATTACK_CONDITION_KINDS)} treaties (a condition on "
                f"how the protege was attacked), not {kind}",
            )
    if "unprovoked" in row:
        out["unprovoked"] = c.attempt(c.boolean, row["unprovoked"], f"{p}.unprovoked")
    if "min_attackers" in row:
        out["min_attackers"] = c.attempt(
            c.integer, row["min_attackers"], f"{p}.min_attackers", 1, MAX_NATIONS
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


def _incident(
    c: Checker, v: Any, ids: dict[str, int] | None, nations: tuple[Nation, ...] | None
) -> Incident | None:
    """``[incident]``: fixed, or random with a positive-weight draw for every initiator."""
    d = c.table(v, "incident")
    n0 = len(c.errors)
    c.keys(d, "incident", ("mode", "initiator", "target", "initiators", "targets", "weights"))
    mode = c.choice(d.get("mode", "fixed"), "incident.mode", INCIDENT_MODES)
    if mode == "fixed":
        for k in ("initiators", "targets", "weights"):
            if k in d:
                c.report(f"incident.{k}", 'only allowed with mode = "random"')
        refs = {}
        for req in ("initiator", "target"):
            if req not in d:
                c.report(f"incident.{req}", 'missing (or set mode = "random")')
            else:
                refs[req] = c.attempt(c.nation_ref, d[req], f"incident.{req}", ids)
        a, b = refs.get("initiator"), refs.get("target")
        if a is not None and a == b:
            c.report("incident.target", f"{b!r} is also the initiator")
        if len(c.errors) > n0:
            return None
        return Incident(mode="fixed", initiator=a, target=b)
    for k in ("initiator", "target"):
        if k in d:
            c.report(f"incident.{k}", 'not allowed with mode = "random" (use a list)')
    inits = (
        c.attempt(c.id_list, d["initiators"], "incident.initiators", ids)
        if "initiators" in d
        else None
    )
    targs = c.attempt(c.id_list, d["targets"], "incident.targets", ids) if "targets" in d else None
    weights = c.attempt(c.choice, d.get("weights", "uniform"), "incident.weights", INCIDENT_WEIGHTS)
    if len(c.errors) > n0 or nations is None or weights is None:
        return None  # the weights are checked against nations that could be read
    all_ids = tuple(n.id for n in nations)
    inits = inits if inits is not None else all_ids
    targs = targs if targs is not None else all_ids
    power = {n.id: n.power for n in nations}

    def w(x: str) -> float:
        return power[x] if weights == "power" else 1.0

    if sum(w(x) for x in inits) <= 0:
        raise c.err("incident.initiators", "no initiator has positive weight (power)")
    # linear, not quadratic: worlds may have 30,000 nations
    positive = {x for x in targs if w(x) > 0}
    for a in inits:
        if w(a) > 0 and (not positive or positive == {a}):
            raise c.err(
                "incident.targets",
                f"no target with positive weight is left when {a!r} initiates",
            )
    return Incident(
        mode="random",
        initiators=inits if "initiators" in d else None,
        targets=targs if "targets" in d else None,
        weights=weights,
    )
