"""The validator of ``[incident]``: fixed or random, its parties and its theatre.

Part of :mod:`escalate.model.validate` (see there for how errors are collected).
"""

from __future__ import annotations

from typing import Any

from .checks import Checker, fmt
from .entities import Incident, Nation
from .schema import INCIDENT_MODES, INCIDENT_WEIGHTS, REGIONS

__all__ = ["incident"]

_KEYS = ("mode", "initiator", "target", "initiators", "targets", "weights", "theatre")


def incident(
    c: Checker,
    v: Any,
    ids: dict[str, int] | None,
    nations: tuple[Nation, ...] | None,
    regions: bool,
) -> Incident | None:
    """``[incident]``: fixed or random, and an optional ``theatre``.

    Fixed: one or several initiators and targets. Random: a positive-weight draw
    for every initiator.

    ``regions``: whether the nations have regions (a theatre needs them).
    """
    d = c.table(v, "incident")
    n0 = len(c.errors)
    c.keys(d, "incident", _KEYS)
    theatre = c.attempt(_theatre, c, d["theatre"], regions) if "theatre" in d else None
    mode = c.choice(d.get("mode", "fixed"), "incident.mode", INCIDENT_MODES)
    if mode == "fixed":
        parties = _fixed(c, d, ids)
        if len(c.errors) > n0 or parties is None:
            return None
        inits, targs = parties
        return Incident(
            mode="fixed",
            initiator=inits[0],
            target=targs[0],
            co_initiators=inits[1:],
            co_targets=targs[1:],
            theatre=theatre,
        )
    out = _random(c, d, ids, nations)
    if len(c.errors) > n0 or out is None:
        return None
    return Incident(
        mode="random",
        initiators=out[0],
        targets=out[1],
        weights=out[2],
        theatre=theatre,
    )


def _theatre(c: Checker, v: Any, regions: bool) -> tuple[str, ...]:
    """``incident.theatre``: a non-empty list of distinct regions."""
    path = "incident.theatre"
    if not isinstance(v, list):
        raise c.err(path, f'must be a list of regions, e.g. ["europe"], got {fmt(v)}')
    if not v:
        raise c.err(
            path,
            "empty theatre: give at least one region, or leave theatre out (the target's region)",
        )
    out: list[str] = []
    n0 = len(c.errors)
    for i, x in enumerate(v):
        region = c.attempt(c.choice, x, f"{path}[{i}]", REGIONS)
        if region in out:
            c.report(f"{path}[{i}]", f"duplicate region {region!r}")
        elif region is not None:
            out.append(region)
    if len(c.errors) == n0 and not regions:
        raise c.err(
            path,
            f"{fmt(v)}, but the nations have no region: nothing would be in the theatre "
            "(give every [[nations]] a region, or leave theatre out)",
        )
    return tuple(out)


def _ids(c: Checker, v: Any, path: str, ids: dict[str, int] | None) -> tuple[str, ...]:
    """An ``initiator`` or ``target``: one nation id, or a non-empty list of distinct ids."""
    if isinstance(v, list):
        return c.id_list(v, path, ids, 1)
    return (c.nation_ref(v, path, ids),)


def _fixed(
    c: Checker, d: dict[str, Any], ids: dict[str, int] | None
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The initiators and targets of a fixed incident (None where invalid)."""
    n0 = len(c.errors)
    for k in ("initiators", "targets", "weights"):
        if k in d:
            c.report(f"incident.{k}", 'only allowed with mode = "random"')
    refs = {}
    for req in ("initiator", "target"):
        if req not in d:
            c.report(f"incident.{req}", 'missing (or set mode = "random")')
        else:
            refs[req] = c.attempt(_ids, c, d[req], f"incident.{req}", ids)
    inits, targs = refs.get("initiator"), refs.get("target")
    if inits is not None and targs is not None:
        listed = isinstance(d["target"], list)
        for j, b in enumerate(targs):
            if b in inits:
                what = "an initiator" if isinstance(d["initiator"], list) else "the initiator"
                where = f"incident.target[{j}]" if listed else "incident.target"
                c.report(where, f"{b!r} is also {what}")
    if len(c.errors) > n0 or inits is None or targs is None:
        return None
    return inits, targs


def _random(
    c: Checker, d: dict[str, Any], ids: dict[str, int] | None, nations: tuple[Nation, ...] | None
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None, str] | None:
    """The candidate initiators, targets (None: every nation) and weights of a random incident.

    Every candidate initiator must find a target with positive weight.
    """
    n0 = len(c.errors)
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
    power = {n.id: n.power for n in nations}

    def w(x: str) -> float:
        return power[x] if weights == "power" else 1.0

    if sum(w(x) for x in (inits if inits is not None else all_ids)) <= 0:
        raise c.err("incident.initiators", "no initiator has positive weight (power)")
    # linear, not quadratic: worlds may have 30,000 nations
    positive = {x for x in (targs if targs is not None else all_ids) if w(x) > 0}
    for a in inits if inits is not None else all_ids:
        if w(a) > 0 and (not positive or positive == {a}):
            raise c.err(
                "incident.targets",
                f"no target with positive weight is left when {a!r} initiates",
            )
    return inits, targs, weights
