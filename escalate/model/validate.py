"""The world validator: one function per section of a world file.

:func:`validate_world` checks plain data (as parsed from TOML) section by
section with a :class:`~escalate.model.checks.Checker` and builds the
:class:`~escalate.model.entities.World`. The ``[dynamics]`` ranges and defaults
come from :data:`escalate.model.defaults.DYNAMICS`; the bounds on counts and
names from :mod:`escalate.model.schema`. Every error is a :class:`WorldError`
naming the key path and the bad value.
"""

from __future__ import annotations

import math
from typing import Any

from .checks import Checker
from .defaults import DYNAMICS, DYNAMICS_KEYS, default
from .entities import Alliance, Dynamics, Incident, Nation, Organization, Plan, World
from .schema import (
    ALLIANCE_KINDS,
    ATTACK_CONDITION_KINDS,
    ID_RE,
    INCIDENT_MODES,
    INCIDENT_WEIGHTS,
    LADDER,
    MAX_NATIONS,
    MAX_OBLIGATIONS,
    MAX_ORGANIZATIONS,
    MAX_PLANS,
    ORGANIZATION_KINDS,
    RESPONSE_KINDS,
    TOP_KEYS,
)

__all__ = ["validate_world"]


def validate_world(data: Any, source: str) -> World:
    """Validate plain data (as parsed from TOML) into a :class:`World`.

    Parameters
    ----------
    data
        The parsed file: a dict of the top-level keys.
    source
        The file name (or another label) that error messages start with.

    Returns
    -------
    World
        The validated world, with ``source`` set.

    Raises
    ------
    WorldError
        For the first invalid value, naming ``source``, the key path and the value.
    """
    return _world(Checker(source), data)


def _world(c: Checker, data: Any) -> World:
    """The whole file: its sections in dependency order, then the cross-checks."""
    data = c.table(data, "")
    c.keys(data, "", TOP_KEYS)
    if "name" not in data:
        raise c.err("name", "missing (every world needs a name)")
    name = c.world_name(data["name"])
    description = c.string(data.get("description", ""), "description")
    dynamics = _dynamics(c, data.get("dynamics", {}))
    if "nations" not in data:
        raise c.err("nations", "missing (a world needs [[nations]])")
    nations = _nations(c, data["nations"])
    ids = {n.id: i for i, n in enumerate(nations)}
    alliances = _alliances(c, data.get("alliances", []), ids)
    organizations = _organizations(c, data.get("organizations", []), ids)
    plans = _plans(c, data.get("plans", []), ids)
    if "incident" not in data:
        raise c.err("incident", "missing (who attacks whom?)")
    incident = _incident(c, data["incident"], ids, nations)
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


def _dynamics(c: Checker, v: Any) -> Dynamics:
    """``[dynamics]``: every parameter of the defaults table, given or default."""
    d = c.table(v, "dynamics")
    c.keys(d, "dynamics", DYNAMICS_KEYS)
    values = {p.key: p.value for p in DYNAMICS}
    if "reliability" in d:
        r = c.table(d["reliability"], "dynamics.reliability")
        c.keys(r, "dynamics.reliability", ALLIANCE_KINDS)
        for kind, x in r.items():
            values[f"reliability.{kind}"] = c.param(x, default(f"reliability.{kind}"))
    for p in DYNAMICS:
        if "." not in p.key and p.key in d:
            values[p.key] = c.param(d[p.key], p)
    # each value has the kind of its row of the table (integer or number): checked above
    scalars: dict[str, Any] = {k: x for k, x in values.items() if "." not in k}
    reliability = tuple((kind, values[f"reliability.{kind}"]) for kind in ALLIANCE_KINDS)
    return Dynamics(**scalars, reliability=reliability)


def _nations(c: Checker, v: Any) -> tuple[Nation, ...]:
    """``[[nations]]``: at least 2, unique ids."""
    c.at_most(
        v, "nations", MAX_NATIONS, "the results count them in int16 columns, e.g. belligerents"
    )
    rows = c.array_of_tables(v, "nations")
    if len(rows) < 2:
        raise c.err("nations", f"a world needs at least 2 nations, got {len(rows)}")
    out: list[Nation] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        p = f"nations[{i}]"
        c.keys(row, p, ("id", "name", "power", "major"))
        if "id" not in row:
            raise c.err(f"{p}.id", "missing")
        nid = c.string(row["id"], f"{p}.id", ID_RE)
        if nid in seen:
            raise c.err(f"{p}.id", f"duplicate id {nid!r} (first at nations[{seen[nid]}])")
        seen[nid] = i
        if "power" not in row:
            raise c.err(f"{p}.power", f"missing for {nid!r}")
        out.append(
            Nation(
                id=nid,
                name=c.string(row.get("name", nid), f"{p}.name"),
                power=c.number(row["power"], f"{p}.power", 0.0),
                major=c.boolean(row.get("major", False), f"{p}.major"),
            )
        )
    return tuple(out)


def _alliances(c: Checker, v: Any, ids: dict[str, int]) -> tuple[Alliance, ...]:
    """``[[alliances]]``: unique names, at most :data:`MAX_OBLIGATIONS` obligations."""
    rows = c.array_of_tables(v, "alliances")
    out: list[Alliance] = []
    names: dict[str, int] = {}
    n_pairs = 0
    for i, row in enumerate(rows):
        p = f"alliances[{i}]"
        c.keys(row, p, _ALLIANCE_KEYS)
        if "kind" not in row:
            raise c.err(f"{p}.kind", f"missing (one of {', '.join(ALLIANCE_KINDS)})")
        kind = c.choice(row["kind"], f"{p}.kind", ALLIANCE_KINDS)
        members = guarantors = protected = None
        if "members" in row:
            if "guarantors" in row or "protected" in row:
                raise c.err(p, "give either members or guarantors/protected, not both")
            members = c.id_list(row["members"], f"{p}.members", ids, 2)
            parties = members
            new_pairs = len(members) * (len(members) - 1)
        elif "guarantors" in row or "protected" in row:
            if "guarantors" not in row or "protected" not in row:
                missing = "protected" if "guarantors" in row else "guarantors"
                raise c.err(f"{p}.{missing}", "missing (a guarantee needs both lists)")
            guarantors = c.id_list(row["guarantors"], f"{p}.guarantors", ids)
            protected = c.id_list(row["protected"], f"{p}.protected", ids)
            both = sorted(set(guarantors) & set(protected))
            if both:
                raise c.err(
                    f"{p}.protected", f"{both[0]!r} cannot guarantee itself (also a guarantor)"
                )
            parties = (*guarantors, *protected)
            new_pairs = len(guarantors) * len(protected)
        else:
            raise c.err(p, "needs members = [...] or guarantors = [...] and protected = [...]")
        # counted, not expanded: a treaty of all nations gives a billion pairs
        n_pairs += new_pairs
        if n_pairs > MAX_OBLIGATIONS:
            raise c.err(
                p,
                f"the treaties up to this one expand to {n_pairs} directed obligations "
                f"(k members give k*(k-1), a guarantee guarantors x protected); at most "
                f"{MAX_OBLIGATIONS} fit the int32 columns source and broken_promises",
            )
        default_name = f"{kind}:{'-'.join(sorted(parties))}"
        name = c.string(row.get("name", default_name), f"{p}.name")
        if not name.strip():
            raise c.err(f"{p}.name", "must not be empty")
        if name in names:
            raise c.err(
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
                reliability=None if rel is None else c.probability(rel, f"{p}.reliability"),
                **_conditions(c, row, p, kind, ids),
            )
        )
    return tuple(out)


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


def _conditions(c: Checker, row: dict, p: str, kind: str, ids: dict[str, int]) -> dict[str, Any]:
    """The casus foederis of one treaty: ``against``, ``unprovoked``, ``min_attackers``."""
    out: dict[str, Any] = {}
    if "against" in row:
        out["against"] = c.id_list(row["against"], f"{p}.against", ids)
    for key in ("unprovoked", "min_attackers"):
        if key in row and kind not in ATTACK_CONDITION_KINDS:
            raise c.err(
                f"{p}.{key}",
                f"only for {' and '.join(ATTACK_CONDITION_KINDS)} treaties (a condition on "
                f"how the protege was attacked), not {kind}",
            )
    if "unprovoked" in row:
        out["unprovoked"] = c.boolean(row["unprovoked"], f"{p}.unprovoked")
    if "min_attackers" in row:
        out["min_attackers"] = c.integer(row["min_attackers"], f"{p}.min_attackers", 1, MAX_NATIONS)
    return out


def _organizations(c: Checker, v: Any, ids: dict[str, int]) -> tuple[Organization, ...]:
    """``[[organizations]]``: unique names, veto holders among the members."""
    c.at_most(
        v,
        "organizations",
        MAX_ORGANIZATIONS,
        "their answers are counted in int32 columns: sanctions, diplomacy",
    )
    rows = c.array_of_tables(v, "organizations")
    out: list[Organization] = []
    names: dict[str, int] = {}
    for i, row in enumerate(rows):
        p = f"organizations[{i}]"
        c.keys(row, p, _ORGANIZATION_KEYS)
        for req in ("name", "kind", "members"):
            if req not in row:
                raise c.err(f"{p}.{req}", "missing")
        name = c.string(row["name"], f"{p}.name")
        if not name.strip():
            raise c.err(f"{p}.name", "must not be empty")
        if name in names:
            raise c.err(
                f"{p}.name", f"duplicate organization name {name!r} (first at {names[name]})"
            )
        names[name] = i
        kind = c.choice(row["kind"], f"{p}.kind", ORGANIZATION_KINDS)
        members = c.id_list(row["members"], f"{p}.members", ids, 2)
        if kind in RESPONSE_KINDS:
            out.append(_responding(c, row, p, name, kind, members, ids))
        else:
            out.append(_arbitration(c, row, p, name, members))
    return tuple(out)


_ORGANIZATION_KEYS = (
    "name",
    "kind",
    "members",
    "veto",
    "unanimity",
    "response",
    "blocked_response",
    "settlement",
    "unprovoked",
)


def _responding(
    c: Checker,
    row: dict,
    p: str,
    name: str,
    kind: str,
    members: tuple[str, ...],
    ids: dict[str, int],
) -> Organization:
    """A collective-security or collective-defense organization (``response`` required)."""
    if "settlement" in row:
        raise c.err(f"{p}.settlement", f"only for arbitration organizations, not {kind}")
    if "unprovoked" in row and kind != "collective_defense":
        raise c.err(f"{p}.unprovoked", f"only for collective_defense organizations, not {kind}")
    veto = c.id_list(row.get("veto", []), f"{p}.veto", ids, 0)
    for j, h in enumerate(veto):
        if h not in members:
            raise c.err(f"{p}.veto[{j}]", f"{h!r} is not a member of {name!r}")
    if "response" not in row:
        raise c.err(
            f"{p}.response",
            f"missing: organization {name!r} ({kind}) needs the probabilities of its members' "
            "responses, e.g. response = { diplomacy = 0.5, sanctions = 0.3, military = 0.1 } "
            "(the rest is 'none')",
        )
    r = c.table(row["response"], f"{p}.response")
    c.keys(r, f"{p}.response", LADDER[1:])
    vals = {k: c.probability(x, f"{p}.response.{k}") for k, x in r.items()}
    total = sum(vals.values())
    if total > 1.0 + 1e-12:
        raise c.err(f"{p}.response", f"probabilities sum to {total:g} > 1 (the rest is 'none')")
    return Organization(
        name=name,
        kind=kind,
        members=members,
        veto=veto,
        unanimity=c.boolean(row.get("unanimity", False), f"{p}.unanimity"),
        response=tuple((k, vals.get(k, 0.0)) for k in LADDER[1:]),
        blocked_response=c.choice(
            row.get("blocked_response", "diplomacy"), f"{p}.blocked_response", LADDER
        ),
        unprovoked=c.boolean(row.get("unprovoked", False), f"{p}.unprovoked"),
    )


def _arbitration(
    c: Checker, row: dict, p: str, name: str, members: tuple[str, ...]
) -> Organization:
    """An arbitration organization: ``settlement`` required, no responses."""
    for key in ("veto", "unanimity", "response", "blocked_response", "unprovoked"):
        if key in row:
            raise c.err(
                f"{p}.{key}",
                f"not for arbitration organizations ({name!r} settles disputes between "
                "members before the war with probability settlement; it has no responses)",
            )
    if "settlement" not in row:
        raise c.err(
            f"{p}.settlement",
            f"missing: arbitration organization {name!r} needs the probability that it "
            "settles a dispute between two members, e.g. settlement = 0.3",
        )
    return Organization(
        name=name,
        kind="arbitration",
        members=members,
        settlement=c.probability(row["settlement"], f"{p}.settlement"),
    )


def _plans(c: Checker, v: Any, ids: dict[str, int]) -> tuple[Plan, ...]:
    """``[[plans]]``: unique plans that never name their own nation."""
    c.at_most(v, "plans", MAX_PLANS, "their nation lists are indexed by int32 offsets")
    rows = c.array_of_tables(v, "plans")
    out: list[Plan] = []
    keys: dict[str, int] = {}
    for i, row in enumerate(rows):
        p = f"plans[{i}]"
        c.keys(row, p, ("name", "nation", "trigger", "attack", "probability"))
        for req in ("nation", "trigger", "attack"):
            if req not in row:
                raise c.err(f"{p}.{req}", "missing")
        nation = c.nation_ref(row["nation"], f"{p}.nation", ids)
        trigger = c.id_list(row["trigger"], f"{p}.trigger", ids)
        attack = c.id_list(row["attack"], f"{p}.attack", ids)
        for field_name, lst in (("trigger", trigger), ("attack", attack)):
            if nation in lst:
                j = lst.index(nation)
                raise c.err(f"{p}.{field_name}[{j}]", f"{nation!r} is the plan's own nation")
        name = row.get("name")
        plan = Plan(
            nation=nation,
            trigger=trigger,
            attack=attack,
            probability=c.probability(row.get("probability", 1.0), f"{p}.probability"),
            name=None if name is None else c.string(name, f"{p}.name"),
        )
        if plan.key in keys:
            raise c.err(p, f"duplicate plan {plan.key!r} (first at plans[{keys[plan.key]}])")
        keys[plan.key] = i
        out.append(plan)
    return tuple(out)


def _incident(c: Checker, v: Any, ids: dict[str, int], nations: tuple[Nation, ...]) -> Incident:
    """``[incident]``: fixed, or random with a positive-weight draw for every initiator."""
    d = c.table(v, "incident")
    c.keys(d, "incident", ("mode", "initiator", "target", "initiators", "targets", "weights"))
    mode = c.choice(d.get("mode", "fixed"), "incident.mode", INCIDENT_MODES)
    if mode == "fixed":
        for k in ("initiators", "targets", "weights"):
            if k in d:
                raise c.err(f"incident.{k}", 'only allowed with mode = "random"')
        for req in ("initiator", "target"):
            if req not in d:
                raise c.err(f"incident.{req}", 'missing (or set mode = "random")')
        a = c.nation_ref(d["initiator"], "incident.initiator", ids)
        b = c.nation_ref(d["target"], "incident.target", ids)
        if a == b:
            raise c.err("incident.target", f"{b!r} is also the initiator")
        return Incident(mode="fixed", initiator=a, target=b)
    for k in ("initiator", "target"):
        if k in d:
            raise c.err(f"incident.{k}", 'not allowed with mode = "random" (use a list)')
    all_ids = tuple(n.id for n in nations)
    inits = c.id_list(d["initiators"], "incident.initiators", ids) if "initiators" in d else all_ids
    targs = c.id_list(d["targets"], "incident.targets", ids) if "targets" in d else all_ids
    weights = c.choice(d.get("weights", "uniform"), "incident.weights", INCIDENT_WEIGHTS)
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
