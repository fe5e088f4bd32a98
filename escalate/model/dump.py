"""A world as plain data, as TOML text, and its canonical hash.

:func:`world_to_dict` fills in every default, so the data (and
:func:`dump_world`'s TOML) read back as the same world whatever defaults a later
version has. :func:`canonical_hash` is stored with every result: it must not
change for the same world (``tests/test_model_layout.py`` pins the hashes of the
bundled worlds).
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import TYPE_CHECKING, Any

from .defaults import DEFAULT_DECIDE, dynamics_in_effect

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Nation, World

__all__ = ["canonical_hash", "dump_world", "world_to_dict"]

#: List keys whose order does not matter (sorted in the canonical form).
_SETS = ("members", "guarantors", "protected", "veto", "trigger", "attack", "against")


def _dynamics(world: World) -> dict[str, Any]:
    """``[dynamics]`` with every parameter, in the order of the defaults table.

    ``reliability`` holds the kinds whose reliability is fixed (model 3: those the
    world sets; model 2: every kind), so that a model 3 world reads back with the
    same kinds honoured by ``[dynamics.honour]``.
    """
    dyn = world.dynamics
    out: dict[str, Any] = {"model": dyn.model, "entry": dyn.entry}
    if dyn.decide != DEFAULT_DECIDE:  # written when set: earlier worlds keep their hash
        out["decide"] = dyn.decide
    for d, value, _ in dynamics_in_effect(dyn):
        *heads, leaf = d.key.split(".")
        if heads == ["reliability"] and leaf not in dyn.reliability_set:
            continue
        cur = out
        for head in heads:
            cur = cur.setdefault(head, {})
        cur[leaf] = value
    return out


def _incident(world: World) -> dict[str, Any]:
    inc = world.incident
    out: dict[str, Any]
    if inc.mode == "fixed":
        # a list only where there are several: a world of one initiator and one target
        # reads as before version 3
        out = {
            "initiator": list(inc.initiator_ids) if inc.co_initiators else inc.initiator,
            "target": list(inc.target_ids) if inc.co_targets else inc.target,
        }
    else:
        out = {"mode": "random", "weights": inc.weights}
        if inc.initiators is not None:
            out["initiators"] = list(inc.initiators)
        if inc.targets is not None:
            out["targets"] = list(inc.targets)
    if inc.theatre is not None:
        out["theatre"] = list(inc.theatre)
    return out


def _nation(n: Nation) -> dict[str, Any]:
    x: dict[str, Any] = {"id": n.id, "name": n.name, "power": n.power, "major": n.major}
    if n.region is not None:
        x["region"] = n.region
    return x


def _alliances(world: World) -> list[dict[str, Any]]:
    out = []
    for a in world.alliances:
        x: dict[str, Any] = {"name": a.name, "kind": a.kind}
        if a.members is not None:
            x["members"] = list(a.members)
        else:
            x["guarantors"] = list(a.guarantors or ())
            x["protected"] = list(a.protected or ())
        if a.reliability is not None:
            x["reliability"] = a.reliability
        # conditions only when set: the canonical hash of a world without them is
        # the same as before version 2 of the model
        if a.against:
            x["against"] = list(a.against)
        if a.unprovoked:
            x["unprovoked"] = True
        if a.min_attackers != 1:
            x["min_attackers"] = a.min_attackers
        if a.located:
            x["located"] = True
        if a.unwritten:
            x["unwritten"] = True
        out.append(x)
    return out


def _organizations(world: World) -> list[dict[str, Any]]:
    out = []
    for o in world.organizations:
        x: dict[str, Any] = {"name": o.name, "kind": o.kind, "members": list(o.members)}
        if o.kind == "arbitration":
            x["settlement"] = o.settlement
            out.append(x)
            continue
        if o.veto:
            x["veto"] = list(o.veto)
        if o.unanimity:
            x["unanimity"] = True
        x["response"] = dict(o.response)
        x["blocked_response"] = o.blocked_response
        if o.unprovoked:
            x["unprovoked"] = True
        out.append(x)
    return out


def _plans(world: World) -> list[dict[str, Any]]:
    out = []
    for p in world.plans:
        x: dict[str, Any] = {
            "nation": p.nation,
            "trigger": list(p.trigger),
            "attack": list(p.attack),
            "probability": p.probability,
        }
        if p.name is not None:
            x["name"] = p.name
        out.append(x)
    return out


def world_to_dict(world: World) -> dict[str, Any]:
    """The world as plain TOML-ready data, every default filled in.

    Parameters
    ----------
    world
        The world.

    Returns
    -------
    dict
        ``name``, ``description`` (when not empty), ``dynamics``, ``incident``,
        ``nations``, ``alliances``, ``organizations`` and ``plans``, as
        :func:`~escalate.model.load.world_from_dict` takes them.
    """
    d: dict[str, Any] = {"name": world.name}
    if world.description:
        d["description"] = world.description
    d["dynamics"] = _dynamics(world)
    d["incident"] = _incident(world)
    d["nations"] = [_nation(n) for n in world.nations]
    d["alliances"] = _alliances(world)
    d["organizations"] = _organizations(world)
    d["plans"] = _plans(world)
    return d


def canonical_hash(world: World) -> str:
    """SHA-256 of the canonical form of ``world``.

    The canonical form is :func:`world_to_dict` with the order of nations,
    treaties, organizations, plans and of the nations in each list sorted away,
    written as compact JSON with sorted keys: the hash does not depend on key
    order, list order, comments or formatting of the file.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    d = world_to_dict(world)
    for section in ("alliances", "organizations", "plans"):
        for item in d[section]:
            for key in _SETS:
                if key in item:
                    item[key] = sorted(item[key])
    for key in ("initiators", "targets", "theatre"):
        if key in d["incident"]:
            d["incident"][key] = sorted(d["incident"][key])
    d["nations"] = sorted(d["nations"], key=lambda x: x["id"])
    d["alliances"] = sorted(d["alliances"], key=lambda x: x["name"])
    d["organizations"] = sorted(d["organizations"], key=lambda x: x["name"])
    d["plans"] = sorted(d["plans"], key=lambda x: json.dumps(x, sort_keys=True))
    # JSON has no infinity: -inf (unaligned.intercept, disabled) is written as the string
    # TOML writes, which no number of the world can be
    text = json.dumps(_finite(d), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _finite(x: Any) -> Any:
    """``x`` with every infinite float replaced by ``"inf"`` or ``"-inf"``."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def dump_world(world: World, header: str = "") -> str:
    """Serialize ``world`` as TOML text.

    :func:`~escalate.model.load.load_world` reads the text back identically.

    Parameters
    ----------
    world
        The world to write.
    header
        Optional comment lines placed at the top of the file.

    Returns
    -------
    str
        The TOML text (empty ``alliances``, ``organizations`` and ``plans`` left out).
    """
    import tomli_w  # a dependency, but not needed to load worlds

    d = world_to_dict(world)
    for key in ("alliances", "organizations", "plans"):
        if not d[key]:
            del d[key]
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + tomli_w.dumps(d)
