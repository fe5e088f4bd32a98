"""The story of a cascade: the events the rules report, worded apart from the rules.

:class:`Narration` is a base of :class:`~.cascade.Cascade`. A rule calls one
``note_*`` method per event, with the values it decided on; the event's name and its
fields (what ``escalate trace`` prints, :mod:`escalate.runner.trace`) are written
here, so the rule code holds no wording and the story can change without touching a
rule. Nothing is recorded unless the cascade is traced (``events`` is a list).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ...model.entities import Organization
from .world import Obligation

__all__ = ["Narration", "condition_text"]

#: The columns of the row that the story's last event repeats.
OUTCOME_FIELDS = ("belligerents", "side_a", "side_d", "majors", "broken_promises",
                  "conflicted", "vetoed", "unaligned", "winner", "world_war")  # fmt: skip


def condition_text(ob: Obligation) -> str:
    """The casus foederis of an obligation, in words ("" for none)."""
    parts = []
    if ob.against:
        parts.append("against " + ", ".join(sorted(ob.against)))
    if ob.unprovoked:
        parts.append("unprovoked")
    if ob.min_attackers > 1:
        parts.append(f"at least {ob.min_attackers} attackers")
    if ob.located:
        parts.append("located")
    return "; ".join(parts)


class Narration:
    """The events of one cascade, in order (``events``; None when not traced)."""

    events: list[dict] | None
    round: int

    def note(self, event: str, **fields: object) -> None:
        """Record one event of the story (only when the cascade is traced)."""
        if self.events is not None:
            self.events.append({"round": self.round, "event": event, **fields})

    # -- before the war -------------------------------------------------------------

    def note_incident(self, initiators: Sequence[str], targets: Sequence[str]) -> None:
        """The incident: who attacks whom."""
        self.note("incident", initiator=", ".join(initiators), target=", ".join(targets))

    def note_deterrence(self, u: float, p: float) -> None:
        """The initiator's draw ``u`` against the probability ``p`` of backing down."""
        self.note("deterrence", draw=u, probability=p, deterred=u < p)

    def note_arbitration(self, o: Organization, u: float) -> None:
        """Organization ``o``'s draw ``u`` to settle the dispute."""
        self.note("arbitration", organization=o.name, draw=u, settlement=o.settlement,
                  settled=u < o.settlement)  # fmt: skip

    # -- the rounds -----------------------------------------------------------------

    def note_attack(self, attacker: str, victim: str, aggression: bool) -> None:
        """``attacker`` attacks ``victim`` (an aggression or not)."""
        self.note("attack", attacker=attacker, victim=victim, aggression=aggression)

    def note_enter(self, nation: str, side: str, via: str, source: str | None) -> None:
        """``nation`` enters the war on ``side`` by ``via`` (``source``: which one)."""
        self.note("enter", nation=nation, side=side, via=via, source=source)

    def note_plan(self, plan: str, nation: str, u: float, p: float,
                  victims: list[str]) -> None:  # fmt: skip
        """War plan ``plan`` of ``nation`` drew ``u`` against ``p`` (``victims`` if it fires)."""
        fires = u < p
        self.note("plan", plan=plan, nation=nation, draw=u, probability=p, fired=fires,
                  victims=victims if fires else [])  # fmt: skip

    def note_obligation(self, ob: Obligation, outcome: str, u: float | None = None,
                        p: float | None = None, x: dict | None = None) -> None:  # fmt: skip
        """Obligation ``ob``'s ``outcome``; its draw ``u``, reliability ``p`` and covariates ``x``.

        ``outcome`` is ``"honoured"``, ``"broken"`` or ``"conflicted"`` (no draw).
        """
        what: dict[str, object] = {"treaty": ob.treaty, "kind": ob.kind, "obligor": ob.obligor,
                                   "protege": ob.protege, "condition": condition_text(ob),
                                   "outcome": outcome}  # fmt: skip
        if u is not None:
            what.update(draw=u, reliability=p)
            if ob.fixed is None:
                what["covariates"] = x
        self.note("obligation", **what)

    def note_organization(self, o: Organization, culprits: list[str],
                          blocked: Mapping[str, bool]) -> None:  # fmt: skip
        """Organization ``o`` must answer ``culprits``; a veto blocks it for some."""
        self.note("organization", organization=o.name, kind=o.kind, culprits=culprits,
                  blocked=[c for c in culprits if blocked[c]])  # fmt: skip

    def note_response(self, o: Organization, member: str, u: float, response: str) -> None:
        """``member``'s response to organization ``o`` (the highest over the culprits)."""
        self.note("response", organization=o.name, member=member, draw=u, response=response)

    def note_unaligned(self, nation: str, u: float, p: float, us: float, ps: float,
                       side: str) -> None:  # fmt: skip
        """``nation`` joins without an obligation (``u`` < ``p``), on ``side`` (``us``, ``ps``)."""
        self.note("unaligned", nation=nation, draw=u, probability=p, side_draw=us,
                  p_side_d=ps, side=side)  # fmt: skip

    def note_pulled_both_ways(self, nation: str) -> None:
        """``nation`` was pulled towards both sides: it stays out this round."""
        self.note("stays_out", nation=nation, why="pulled towards both sides")

    def note_held_by_pledge(self, nation: str) -> None:
        """A neutrality pledge of ``nation`` holds: it stays out this round."""
        self.note("stays_out", nation=nation, why="a neutrality pledge holds")

    def note_neutrality(self, pl: Obligation, obligor: str, protege: str, u: float, p: float,
                        x: dict) -> None:  # fmt: skip
        """Neutrality pledge ``pl`` of ``obligor`` towards ``protege``: drawn once, held or not."""
        self.note("neutrality", treaty=pl.treaty, obligor=obligor, protege=protege, draw=u,
                  reliability=p, holds=u < p,
                  **({"covariates": x} if pl.fixed is None else {}))  # fmt: skip

    def note_outcome(self, row: Mapping[str, object]) -> None:
        """The end of the story: the row's counts and the winner."""
        self.note("outcome", **{k: row[k] for k in OUTCOME_FIELDS})
