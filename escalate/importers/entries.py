"""Treaties as ``[[alliances]]`` entries of a world file, each with its comment.

Per treaty and kind, the members owing that kind are grouped by the terms of their
obligation. A group that is every member becomes one ``members = [...]`` entry; a
smaller group becomes a ``members`` entry among itself (when it has two or more)
plus a one-way guarantee from the group to the other members (asymmetric treaties).

An ``entente`` (consultation) obligation of a member that owes a ``defense``
obligation to every other member of the treaty (in this treaty or another in force,
on any terms) is not written: consultation is the weaker promise contained in the
defence pact, and two draws would double-count one commitment (the consultation
clauses of the Triple Alliance, say, or the Franco-Russian pact of 1891 beside the
military convention of 1893).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..model.schema import ALLIANCE_KINDS, ATTACK_CONDITION_KINDS, UNPROVOKED_KINDS
from .spells import Terms
from .treaties import Treaty

__all__ = ["Entry", "entries_of"]


@dataclass
class Entry:
    """One ``[[alliances]]`` entry: its keys and the comment lines above it."""

    treaty: str
    kind: str
    data: dict[str, Any]
    comment: list[str] = field(default_factory=list)


def _label(t: Treaty, names: dict[str, str]) -> str:
    if t.key in names:
        return names[t.key]
    return t.key + (f" ({t.year})" if t.year else "")


def entries_of(
    t: Treaty,
    id_of: Callable[[int], str | None],
    names: dict[str, str],
    defended: set[tuple[int, int]] = frozenset(),  # type: ignore[assignment]
) -> tuple[list[Entry], list[str]]:
    """The entries of one treaty and the notes of what was left out.

    Parameters
    ----------
    t
        The treaty.
    id_of
        ccode -> nation id in the world, ``None`` when the state is not in it.
    names
        Display names of treaties by key (``"ATOP 1335"``), from the overlay.
    defended
        The (obligor, protege) ccode pairs of every ``defense`` obligation in force.
    """
    label = _label(t, names)
    head = [f"{label}: {', '.join(t.records)}.", *(f"  {n}" for n in t.notes)]
    dropped = [f"{c}" for c in sorted(t.members) if id_of(c) is None]
    present = {id_of(c): duties for c, duties in sorted(t.members.items()) if id_of(c) is not None}
    if dropped:
        head.append(f"  members not in this world, left out: ccode {', '.join(dropped)}")
    if len(present) < 2:
        return [], [*head, f"  fewer than two members in this world: {label} not written"]
    for code, coded in sorted(t.coded.items()):
        nid = id_of(code)
        if nid is not None:
            codes = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(coded.items()))
            head.append(f"  {nid}: {codes or 'no obligation coded'}")
    code_of = {id_of(c): c for c in t.members}
    out: list[Entry] = []
    contained = False  # an entente left out as contained in defense obligations
    for kind in ALLIANCE_KINDS:
        groups: dict[tuple, list[str]] = {}
        notes: dict[tuple, list[str]] = {}
        for nid, duties in present.items():
            if kind not in duties:
                continue
            if kind == "entente" and all(
                (code_of[nid], code_of[j]) in defended for j in present if j != nid
            ):
                head.append(f"  {nid} entente: contained in its defense obligations, not written")
                contained = True
                continue
            key, why = _terms(duties[kind], kind, id_of)
            if key is None:
                head += [f"  {nid} {kind}: {w}; not written" for w in why]
                continue
            groups.setdefault(key, []).append(str(nid))
            notes[key] = why
        for key, group in groups.items():
            comment = [f"  {line}" for line in notes[key]]
            out += _group_entries(
                t.key, label, kind, key, group, [str(i) for i in present], comment
            )
    if not out:
        reason = (
            "its obligations are contained in defense obligations in force: not written"
            if contained
            else "no obligation among the members in this world: not written"
        )
        return [], [*head, f"  {reason}"]
    out[0].comment = head + out[0].comment
    return out, []


def _group_entries(
    treaty: str,
    label: str,
    kind: str,
    key: tuple,
    group: list[str],
    ids: list[str],
    comment: list[str],
) -> list[Entry]:
    """The entries of one group of obligors on the same terms (see the module docstring)."""
    against, unprovoked, min_attackers, located, unexpressed = key
    cond: dict[str, Any] = {}
    if against:
        cond["against"] = list(against)
    if unprovoked:
        cond["unprovoked"] = True
    if min_attackers != 1:
        cond["min_attackers"] = min_attackers
    if located:
        cond["located"] = True
    if unexpressed:
        cond["unwritten"] = True
    others = [m for m in ids if m not in group]
    out = []
    if len(group) >= 2:
        name = f"{label} {kind}" if not others else f"{label} {kind} among {'/'.join(group)}"
        data = {"name": name, "kind": kind, "members": group, **cond}
        out.append(Entry(treaty, kind, data, comment))
        comment = []
    if others:
        name = f"{label} {kind}: {'/'.join(group)} for {'/'.join(others)}"
        data = {"name": name, "kind": kind, "guarantors": group, "protected": others, **cond}
        out.append(Entry(treaty, kind, data, comment))
    return out


def _terms(
    terms: Terms, kind: str, id_of: Callable[[int], str | None]
) -> tuple[tuple | None, list[str]]:
    """The world-file terms of one obligation (a hashable key) and its comment lines."""
    why = [
        f"{kind}: the data code a condition on {u}; escalate cannot express it "
        "(written without it: unwritten = true)"
        for u in terms.unexpressed
    ]
    against = tuple(sorted({i for i in map(id_of, terms.against) if i is not None}))
    if terms.against and not against:
        return None, [
            f"conditional on ccode {', '.join(map(str, terms.against))}, none in this world"
        ]
    if len(against) < len(terms.against):
        why.append(
            "against: ccodes not in this world dropped "
            f"({', '.join(map(str, terms.against))} named)"
        )
    attack_only = kind in ATTACK_CONDITION_KINDS
    return (
        against,
        terms.unprovoked and kind in UNPROVOKED_KINDS,
        terms.min_attackers if attack_only else 1,
        terms.located,
        terms.unexpressed,
    ), why
