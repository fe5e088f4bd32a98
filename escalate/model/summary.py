"""The summary of a world that ``escalate check`` prints.

The dynamics are listed from the defaults table
(:data:`escalate.model.defaults.DYNAMICS`): every parameter with the value in
effect, and ``*`` with the default where the world sets another value; the rules
(``model``, ``entry``) and which kinds are honoured with a fixed reliability come
first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .defaults import RULES, dynamics_in_effect
from .schema import ALLIANCE_KINDS, REGIONS

if TYPE_CHECKING:  # pragma: no cover
    from .entities import World

__all__ = ["DIFFERS", "dynamics_lines", "obligation_lines", "rules_line", "summarize"]

#: The mark of a dynamics value that differs from its default.
DIFFERS = "*"


def _number(x: int | float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def dynamics_lines(world: World) -> list[str]:
    """The dynamics in effect, one parameter a line, non-defaults marked.

    Returns
    -------
    list of str
        A heading line, then ``  KEY  VALUE`` per parameter of the defaults
        table, with ``  * default D`` appended where the value is not the default.
    """
    rows = dynamics_in_effect(world.dynamics)
    changed = sum(differs for _, _, differs in rows)
    note = f"{changed} set by the world, marked {DIFFERS}" if changed else "all defaults"
    lines = [f"dynamics     ({note})"]
    for d, value, differs in rows:
        line = f"  {d.key:<29}{_number(value):<10}"
        if differs:
            line += f"{DIFFERS} default {_number(d.value)}"
        lines.append(line.rstrip())
    return lines


def rules_line(world: World) -> str:
    """``model``, ``entry`` (non-defaults marked) and how obligations are honoured.

    Model 2: every kind with its fixed reliability. Model 3: the kinds that
    ``[dynamics.reliability]`` sets with that fixed probability, the others by
    ``[dynamics.honour]`` (a treaty's own ``reliability`` wins either way).
    """
    dyn = world.dynamics
    rules = []
    for r in RULES:
        value = getattr(dyn, r.key)
        mark = f" ({DIFFERS} default {r.value})" if value != r.value else ""
        rules.append(f"{r.key} {value}{mark}")
    fixed = dyn.reliability_set
    logistic = [k for k in ALLIANCE_KINDS if k not in fixed]
    honour = []
    if fixed:
        honour.append(f"fixed reliability for {', '.join(fixed)}")
    if logistic:
        honour.append(f"[dynamics.honour] for {', '.join(logistic)}")
    return f"rules        {', '.join(rules)}; honour: {'; '.join(honour)}"


def _incident_line(world: World) -> str:
    inc = world.incident
    if inc.mode == "fixed":
        many = len(inc.initiator_ids) > 1
        text = f"{', '.join(inc.initiator_ids)} attack{'' if many else 's'} "
        text += ", ".join(inc.target_ids)
    else:
        every = f"all {len(world.nations)}"
        initiators = every if inc.initiators is None else len(inc.initiators)
        targets = every if inc.targets is None else len(inc.targets)
        text = f"random ({inc.weights} weights; {initiators} initiators, {targets} targets)"
    if inc.theatre is not None:
        text += f"; theatre {', '.join(inc.theatre)}"
    elif any(n.region for n in world.nations):
        text += "; theatre: the target's region"
    return f"incident     {text}"


def _regions_line(world: World) -> str | None:
    counts = {r: sum(n.region == r for n in world.nations) for r in REGIONS}
    if not any(counts.values()):
        return None
    return "regions      " + ", ".join(f"{r} {k}" for r, k in counts.items() if k)


def summarize(world: World) -> str:
    """A short human-readable description of ``world``.

    Parameters
    ----------
    world
        The world.

    Returns
    -------
    str
        Its name and source, nations (and their regions), obligations by kind,
        organizations, plans, incident (its initiators, targets and theatre), the
        rules (:func:`rules_line`), the dynamics in effect (:func:`dynamics_lines`)
        and the start of its canonical hash, one item a line.
    """
    n_obl = sum(len(a.pairs) for a in world.alliances)
    majors = [n.id for n in world.nations if n.major]
    lines = [
        f"world        {world.name}  ({world.source})",
        f"nations      {len(world.nations)} ({len(majors)} major: {', '.join(majors) or '-'})",
    ]
    regions = _regions_line(world)
    if regions is not None:
        lines.append(regions)
    lines += [
        f"alliances    {len(world.alliances)} treaties, {n_obl} directed obligations",
    ]
    for kind in ALLIANCE_KINDS:
        pairs = sum(len(a.pairs) for a in world.alliances if a.kind == kind)
        if pairs:
            lines.append(f"  {kind:<11}{pairs} obligations")
    lines.append(f"organizations {len(world.organizations)}")
    for o in world.organizations:
        veto = "unanimity" if o.unanimity else (f"veto {','.join(o.veto)}" if o.veto else "")
        lines.append(f"  {o.name}: {o.kind}, {len(o.members)} members {veto}".rstrip())
    lines.append(f"plans        {len(world.plans)}")
    for p in world.plans:
        lines.append(
            f"  {p.nation}: at war with {','.join(p.trigger)} -> attacks "
            f"{','.join(p.attack)} (p={p.probability:g})"
        )
    lines.append(_incident_line(world))
    lines.append(rules_line(world))
    lines += dynamics_lines(world)
    lines.append(f"hash         {world.canonical_hash()[:16]}")
    return "\n".join(lines)


def obligation_lines(world: World) -> list[str]:
    """Every directed obligation: who owes whom, kind, condition, reliability.

    One line per ordered pair of every treaty, in the order of the world file:
    ``OBLIGOR -> PROTEGE  KIND  RELIABILITY  CONDITION  (TREATY)``, where the
    reliability is the treaty's own, the per-kind one of ``[dynamics.reliability]``
    (marked ``default``) or ``honour`` where ``[dynamics.honour]`` decides (model 3),
    and the condition lists ``against``, ``unprovoked``, ``min_attackers`` and
    ``located`` (or ``any``), and ``unwritten`` where the treaty is marked so.

    Returns
    -------
    list of str
        A heading line, then one line a directed obligation.
    """
    rows: list[tuple[str, str, str, str, str, str]] = []
    for a in world.alliances:
        rel = world.fixed_reliability(a)
        if rel is None:
            shown = "honour"
        else:
            shown = f"{rel:g}" + ("" if a.reliability is not None else " default")
        cond = []
        if a.against:
            cond.append("against " + ",".join(a.against))
        if a.unprovoked:
            cond.append("unprovoked")
        if a.min_attackers != 1:
            cond.append(f"min_attackers {a.min_attackers}")
        if a.located:
            cond.append("located")
        terms = "; ".join(cond) or "any"
        if a.unwritten:
            terms += " (unwritten)"
        for k, j in a.pairs:
            rows.append((k, j, a.kind, shown, terms, a.name))
    lines = [f"obligations  {len(rows)} directed (obligor -> protege)"]
    if not rows:
        return lines
    w = [max(len(r[i]) for r in rows) for i in range(5)]
    for k, j, kind, shown, terms, name in rows:
        cells = f"{kind:<{w[2]}}  {shown:<{w[3]}}  {terms:<{w[4]}}"
        lines.append(f"  {k:<{w[0]}} -> {j:<{w[1]}}  {cells}  ({name})")
    return lines
