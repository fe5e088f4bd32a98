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
from typing import TYPE_CHECKING, Any

from .defaults import dynamics_in_effect

if TYPE_CHECKING:  # pragma: no cover
    from .entities import World

__all__ = ["canonical_hash", "dump_world", "world_to_dict"]

#: List keys whose order does not matter (sorted in the canonical form).
_SETS = ("members", "guarantors", "protected", "veto", "trigger", "attack", "against")


def _dynamics(world: World) -> dict[str, Any]:
    """``[dynamics]`` with every parameter, in the order of the defaults table."""
    out: dict[str, Any] = {}
    for d, value, _ in dynamics_in_effect(world.dynamics):
        head, _, kind = d.key.partition(".")
        if kind:
            out.setdefault(head, {})[kind] = value
        else:
            out[head] = value
    return out


def _incident(world: World) -> dict[str, Any]:
    inc = world.incident
    if inc.mode == "fixed":
        return {"initiator": inc.initiator, "target": inc.target}
    out: dict[str, Any] = {"mode": "random", "weights": inc.weights}
    if inc.initiators is not None:
        out["initiators"] = list(inc.initiators)
    if inc.targets is not None:
        out["targets"] = list(inc.targets)
    return out


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
    d["nations"] = [
        {"id": n.id, "name": n.name, "power": n.power, "major": n.major} for n in world.nations
    ]
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
    for key in ("initiators", "targets"):
        if key in d["incident"]:
            d["incident"][key] = sorted(d["incident"][key])
    d["nations"] = sorted(d["nations"], key=lambda x: x["id"])
    d["alliances"] = sorted(d["alliances"], key=lambda x: x["name"])
    d["organizations"] = sorted(d["organizations"], key=lambda x: x["name"])
    d["plans"] = sorted(d["plans"], key=lambda x: json.dumps(x, sort_keys=True))
    text = json.dumps(d, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


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
