"""Which parts of the model the engines simulate.

Version 2 of the model (MODEL.md) adds conditions on obligations (``against``,
``unprovoked``, ``min_attackers``), arbitration organizations and ``unprovoked``
collective defense. The loader validates all of them; the engines simulate them
only once both the kernel and the reference implement them identically. Until then
a world that uses them is refused with a clear error rather than simulated as if the
keys were absent: a result must never silently ignore part of its world.
"""

from __future__ import annotations

from ..model.entities import World, WorldError

__all__ = ["MODEL_V2_SIMULATED", "require_simulated", "unsimulated_features"]

#: True once the kernel and the reference both implement model version 2.
MODEL_V2_SIMULATED = False


def unsimulated_features(world: World) -> list[str]:
    """The keys of ``world`` (as key paths) that the engines do not simulate yet."""
    if MODEL_V2_SIMULATED:
        return []
    found = []
    for a in world.alliances:
        for key, used in (
            ("against", bool(a.against)),
            ("unprovoked", a.unprovoked),
            ("min_attackers", a.min_attackers != 1),
        ):
            if used:
                found.append(f"alliances[{a.name!r}].{key}")
    for o in world.organizations:
        if o.kind == "arbitration":
            found.append(f"organizations[{o.name!r}] (kind arbitration)")
        elif o.unprovoked:
            found.append(f"organizations[{o.name!r}].unprovoked")
    return found


def require_simulated(world: World) -> None:
    """Refuse a world that uses keys the engines do not simulate yet.

    Raises
    ------
    WorldError
        Naming the first such key and how many there are.
    """
    found = unsimulated_features(world)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise WorldError(
            world.source,
            found[0],
            f"valid, but not simulated by this version of escalate{more}: conditions on "
            "obligations, arbitration and unprovoked collective defense (model version 2) "
            "are checked by the loader and not yet run by the engines; remove the key to "
            "simulate the world without it",
        )
