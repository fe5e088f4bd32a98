"""The validator of ``[[organizations]]``: collective security and defense, arbitration.

Part of :mod:`escalate.model.validate` (see there for how errors are collected).
"""

from __future__ import annotations

from typing import Any

from .checks import Checker
from .entities import Organization
from .schema import LADDER, MAX_ORGANIZATIONS, ORGANIZATION_KINDS, RESPONSE_KINDS

__all__ = ["organizations"]


def organizations(
    c: Checker, v: Any, ids: dict[str, int] | None
) -> tuple[Organization, ...] | None:
    """``[[organizations]]``: unique names, veto holders among the members."""
    c.at_most(
        v,
        "organizations",
        MAX_ORGANIZATIONS,
        "their answers are counted in int32 columns: sanctions, diplomacy",
    )
    rows = c.array_of_tables(v, "organizations")
    n0 = len(c.errors)
    out: list[Organization] = []
    names: dict[str, str] = {}
    for i, row in rows:
        p = c.item("organizations", i, row.get("name"))
        n1 = len(c.errors)
        c.keys(row, p, _ORGANIZATION_KEYS)
        for req in ("name", "kind", "members"):
            if req not in row:
                c.report(f"{p}.{req}", "missing")
        name = c.attempt(c.string, row["name"], f"{p}.name") if "name" in row else None
        if name is not None:
            if not name.strip():
                c.report(f"{p}.name", "must not be empty")
            elif name in names:
                c.report(
                    f"{p}.name", f"duplicate organization name {name!r} (first at {names[name]})"
                )
            else:
                names[name] = p
        kind = (
            c.attempt(c.choice, row["kind"], f"{p}.kind", ORGANIZATION_KINDS)
            if "kind" in row
            else None
        )
        members = (
            c.attempt(c.id_list, row["members"], f"{p}.members", ids, 2)
            if "members" in row
            else None
        )
        label = name if name is not None else p
        if kind in RESPONSE_KINDS:
            org = c.attempt(_responding, c, row, p, label, kind, members, ids)
        elif kind is not None:
            org = c.attempt(_arbitration, c, row, p, label, members)
        else:
            org = None
        if len(c.errors) == n1 and org is not None:
            out.append(org)
    if len(c.errors) > n0:
        return None
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
    members: tuple[str, ...] | None,
    ids: dict[str, int] | None,
) -> Organization | None:
    """A collective-security or collective-defense organization (``response`` required)."""
    n0 = len(c.errors)
    if "settlement" in row:
        c.report(f"{p}.settlement", f"only for arbitration organizations, not {kind}")
    if "unprovoked" in row and kind != "collective_defense":
        c.report(f"{p}.unprovoked", f"only for collective_defense organizations, not {kind}")
    veto = c.attempt(c.id_list, row.get("veto", []), f"{p}.veto", ids, 0)
    for j, h in enumerate(veto or ()):
        if members is not None and h not in members:
            c.report(f"{p}.veto[{j}]", f"{h!r} is not a member of {name!r}")
    unanimity = c.attempt(c.boolean, row.get("unanimity", False), f"{p}.unanimity")
    if unanimity and veto:
        c.report(
            f"{p}.veto",
            "not with unanimity = true: under unanimity any member but the parties to the "
            "dispute can block, so a veto list would be ignored; remove one of the two",
        )
    response: tuple[tuple[str, float], ...] = ()
    if "response" not in row:
        c.report(
            f"{p}.response",
            f"missing: organization {name!r} ({kind}) needs the probabilities of its members' "
            "responses, e.g. response = { diplomacy = 0.5, sanctions = 0.3, military = 0.1 } "
            "(the rest is 'none')",
        )
    else:
        with c.guard():
            r = c.table(row["response"], f"{p}.response")
            c.keys(r, f"{p}.response", LADDER[1:])
            vals = {
                k: c.attempt(c.probability, x, f"{p}.response.{k}")
                for k, x in r.items()
                if k in LADDER[1:]
            }
            if all(x is not None for x in vals.values()):
                total = sum(x for x in vals.values() if x is not None)
                if total > 1.0 + 1e-12:
                    c.report(
                        f"{p}.response", f"probabilities sum to {total:g} > 1 (the rest is 'none')"
                    )
                response = tuple((k, vals.get(k) or 0.0) for k in LADDER[1:])
    blocked = c.attempt(
        c.choice, row.get("blocked_response", "diplomacy"), f"{p}.blocked_response", LADDER
    )
    unprovoked = c.attempt(c.boolean, row.get("unprovoked", False), f"{p}.unprovoked")
    if len(c.errors) > n0 or members is None or veto is None:
        return None
    assert unanimity is not None and blocked is not None and unprovoked is not None
    return Organization(
        name=name,
        kind=kind,
        members=members,
        veto=veto,
        unanimity=unanimity,
        response=response,
        blocked_response=blocked,
        unprovoked=unprovoked,
    )


def _arbitration(
    c: Checker, row: dict, p: str, name: str, members: tuple[str, ...] | None
) -> Organization | None:
    """An arbitration organization: ``settlement`` required, no responses."""
    n0 = len(c.errors)
    for key in ("veto", "unanimity", "response", "blocked_response", "unprovoked"):
        if key in row:
            c.report(
                f"{p}.{key}",
                f"not for arbitration organizations ({name!r} settles disputes between "
                "members before the war with probability settlement; it has no responses)",
            )
    settlement = None
    if "settlement" not in row:
        c.report(
            f"{p}.settlement",
            f"missing: arbitration organization {name!r} needs the probability that it "
            "settles a dispute between two members, e.g. settlement = 0.3",
        )
    else:
        settlement = c.attempt(c.probability, row["settlement"], f"{p}.settlement")
    if len(c.errors) > n0 or members is None or settlement is None:
        return None
    return Organization(name=name, kind="arbitration", members=members, settlement=settlement)
