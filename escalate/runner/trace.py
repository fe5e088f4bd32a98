"""The story of one cascade: every decision of one replicate, round by round.

Built on the plain-Python reference (:mod:`escalate.engine.reference`), which makes
every decision with the same keyed draws as the kernel: the story's final row is
the row :func:`escalate.simulate` gives for that replicate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.reference import trace_reference
from ..model.entities import World
from ..model.load import load_world

__all__ = ["Story", "trace"]


@dataclass
class Story:
    """The events of one cascade and its final row (see :func:`trace`)."""

    world: str
    seed: int
    replicate: int
    events: list[dict] = field(default_factory=list)
    row: dict = field(default_factory=dict)

    def to_json(self) -> str:
        """The story as JSON: ``{"world", "seed", "replicate", "events", "row"}``."""
        return json.dumps(self.__dict__, indent=1)

    def text(self) -> str:
        """The story as text, one line per event, grouped by round; last, the row."""
        lines = [f"{self.world}, seed {self.seed}, replicate {self.replicate}"]
        last = None
        for e in self.events:
            if e["round"] != last and e["event"] != "outcome":
                last = e["round"]
                lines.append(f"round {last}")
            lines.append("  " + _describe(e))
        if self.row:  # the row `escalate run` writes, every column, as name=value
            lines.append("row: " + " ".join(f"{k}={_value(v)}" for k, v in self.row.items()))
        return "\n".join(lines)


def _value(v: object) -> str:
    """A row's value as written in the story's last line (a float with 6 significant digits)."""
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _draw(e: dict, limit: str) -> str:
    return f"draw {e['draw']:.3f} vs {e[limit]:.3f}"


def _describe(e: dict) -> str:
    """One line of text for one event."""
    kind = e["event"]
    if kind == "incident":
        return f"incident: {e['initiator']} attacks {e['target']}"
    if kind == "deterrence":
        verdict = "backs down" if e["deterred"] else "goes ahead"
        return f"deterrence ({_draw(e, 'probability')}): the initiator {verdict}"
    if kind == "arbitration":
        verdict = "settled, no war" if e["settled"] else "not settled"
        return f"arbitration by {e['organization']} ({_draw(e, 'settlement')}): {verdict}"
    if kind == "enter":
        how = "" if e["via"] == "initial" else f" via {e['via']} ({e['source']})"
        return f"{e['nation']} at war on side {e['side']}{how}"
    if kind == "attack":
        what = "an aggression" if e["aggression"] else "in defence"
        return f"{e['attacker']} attacks {e['victim']} ({what})"
    if kind == "plan":
        if not e["fired"]:
            return f"plan {e['plan']} of {e['nation']} does not fire ({_draw(e, 'probability')})"
        victims = ", ".join(e["victims"]) or "nobody (all at war already)"
        return f"plan {e['plan']} of {e['nation']} fires ({_draw(e, 'probability')}): {victims}"
    if kind in ("obligation", "unaligned"):
        return _decision(e)
    if kind == "organization":
        blocked = f"; blocked for {', '.join(e['blocked'])}" if e["blocked"] else ""
        return f"{e['organization']} ({e['kind']}) must answer {', '.join(e['culprits'])}{blocked}"
    if kind == "response":
        return (
            f"  {e['member']} answers {e['organization']}: {e['response']} (draw {e['draw']:.3f})"
        )
    if kind == "neutrality":
        verdict = "holds" if e["holds"] else "fails"
        return (
            f"neutrality {e['obligor']} towards {e['protege']} ({e['treaty']}): {verdict} "
            f"({_draw(e, 'reliability')}{_covariates(e)})"
        )
    if kind == "stays_out":
        return f"{e['nation']} stays out: {e['why']}"
    if kind == "outcome":
        ww = ", a world war" if e["world_war"] else ""
        return (
            f"outcome: {e['belligerents']} at war ({e['side_a']} A, {e['side_d']} D), "
            f"{_count(e['majors'], 'major')}{ww}; "
            f"{_count(e['broken_promises'], 'broken promise')}, "
            f"{e['conflicted']} conflicted; vetoed {e['vetoed']}; winner {e['winner']}"
        )
    return json.dumps(e)


def _decision(e: dict) -> str:
    """One line for an obligation's decision or an unaligned entry."""
    kind = e["event"]
    if kind == "obligation":
        cond = f" [{e['condition']}]" if e["condition"] else ""
        head = f"{e['kind']} {e['obligor']} -> {e['protege']} ({e['treaty']}){cond}: "
        if e["outcome"] == "conflicted":
            return head + "conflicted (already at war against its protege)"
        return head + f"{e['outcome']} ({_draw(e, 'reliability')}{_covariates(e)})"
    return (
        f"{e['nation']} joins without an obligation ({_draw(e, 'probability')}), "
        f"on side {e['side']} (draw {e['side_draw']:.3f} vs P(D) {e['p_side_d']:.3f})"
    )


def _covariates(e: dict) -> str:
    """``"; x: major 1, in_theatre 0, ..."``: what a logistic honour depended on."""
    x = e.get("covariates")
    if not x:
        return ""
    return "; x: " + ", ".join(f"{k} {v:g}" for k, v in x.items())


def _count(n: int, word: str) -> str:
    """``"1 major"``, ``"3 majors"``, ``"0 majors"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def trace(world: World | str | Path, seed: int, replicate: int) -> Story:
    """The story of replicate ``replicate`` of ``world`` under ``seed``.

    Parameters
    ----------
    world
        A :class:`~escalate.model.entities.World`, a world file or a bundled name.
    seed, replicate
        As in :func:`escalate.simulate`: the story is that of the row with this
        replicate index.

    Returns
    -------
    Story
        ``events`` (dicts with ``round``, ``event`` and the decision's fields, its
        draw included) and ``row`` (the cascade's result columns).

    Examples
    --------
    >>> import escalate
    >>> story = escalate.trace("teaching", seed=1, replicate=0)
    >>> story.events[0]["event"]
    'incident'
    """
    w = world if isinstance(world, World) else load_world(world)
    events, row = trace_reference(w, seed, replicate)
    return Story(w.name, seed, replicate, events, row)
