"""The cascade semantics in plain Python: the executable form of docs/model.md.

The numba kernel (:mod:`escalate.engine.kernel`) implements the same rules on flat
arrays; both consume the same keyed draws, so they must produce identical rows. The
reference works directly on the :class:`~escalate.model.entities.World` (dicts and
sets keyed by nation id) and imports nothing of the code it checks: not the
compiler (:mod:`escalate.engine.compile`), whose canonical order it writes out
again, nor numba.

- :mod:`.draws`: the keyed draws;
- :mod:`.world`: what the reference knows of a world (lookups, canonical order,
  honour as a function of the decision);
- :mod:`.cascade`: the rules of one cascade, one method each;
- :mod:`.notes`: the story of a cascade (what ``escalate trace`` tells), worded
  apart from the rules;
- this module: before the war (the incident, deterrence, arbitration), the round
  loop, the outcome, and the public functions.

Before the war: the incident (fixed, or drawn), then deterrence (the first
initiator backs down with a probability rising with the power of the first target
and of the supporters the incident would call in), then arbitration: the first
``arbitration`` organization (by name) of which both are members settles the
dispute with probability ``settlement``. Then round 0 (every initiator attacks
every target) and the rounds of :class:`~.cascade.Cascade` until a round adds
nobody (or ``max_rounds``), then the outcome: the winner by the contest function
on summed power (summed in order of entry), each sanction against a side
multiplying its power by ``1 - sanction_effect``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from ...model.entities import World
from .cascade import A, Cascade, D
from .draws import (
    KIND_ARBITRATION,
    KIND_DETERRENCE,
    KIND_INCIDENT_INITIATOR,
    KIND_INCIDENT_TARGET,
    KIND_OUTCOME,
    decision_key,
    rep_state,
    uniform,
)
from .notes import Narration
from .world import Context

__all__ = ["contest", "expected_counts_reference", "simulate_reference", "trace_reference"]


def _pick(cands: list[str], weight: dict[str, float], exclude: str | None, u: float) -> str:
    """The candidate at ``u`` of the cumulative weights, ``exclude`` left out.

    ``cum[q]`` is the sum of the weights before candidate ``q``, added in order. The
    point is ``x = u * (total - weight[exclude])``, moved past the excluded candidate's
    slice when it lies beyond its start; the pick is the first other candidate whose
    cumulative weight exceeds it (so never one of weight 0), else the last of positive
    weight. The kernel finds it from a guide table over the cumulative sums
    (:mod:`escalate.engine.incident`): cumulative sums are what make that possible, and
    only the excluded slice's rounding differs from adding the others.
    """
    cum = [0.0]
    for c in cands:
        cum.append(cum[-1] + weight[c])
    w_ex = weight[exclude] if exclude in cands else 0.0
    x = u * (cum[-1] - w_ex)
    if exclude in cands and x >= cum[cands.index(exclude)]:
        x += w_ex
    for q, c in enumerate(cands):
        if c != exclude and x < cum[q + 1]:
            return c
    last = ""
    for c in cands:
        if c != exclude and weight[c] > 0.0:
            last = c
    return last


def _incident(ctx: Context, draw: Callable[[int], float]) -> tuple[list[str], list[str]]:
    """The initiators and the targets (lists: version 3 incidents may name several)."""
    inc = ctx.world.incident
    if inc.mode == "fixed":
        return list(inc.initiator_ids), list(inc.target_ids)
    weight = {nid: (ctx.power[nid] if inc.weights == "power" else 1.0) for nid in ctx.ids}
    inits = sorted(inc.initiators) if inc.initiators is not None else ctx.ids
    targs = sorted(inc.targets) if inc.targets is not None else ctx.ids
    initiator = _pick(inits, weight, None, draw(decision_key(KIND_INCIDENT_INITIATOR)))
    target = _pick(targs, weight, initiator, draw(decision_key(KIND_INCIDENT_TARGET)))
    return [initiator], [target]


def _deterred(
    ctx: Context,
    initiator: str,
    target: str,
    draw: Callable[[int], float],
    story: Narration,
) -> bool:
    """The initiator weighs the target and the supporters the incident would call in."""
    deterrence = ctx.world.dynamics.deterrence
    if deterrence <= 0.0:
        return False
    facing = ctx.power[target]
    for ob in ctx.towards[target]:
        if ob.obligor == initiator or ob.min_attackers > 1:
            continue
        if ob.against and initiator not in ob.against:
            continue
        facing += ob.p_static * ctx.power[ob.obligor]
    own = ctx.power[initiator]
    for ob in ctx.towards[initiator]:
        if ob.kind == "offense" and ob.obligor != target:
            own += ob.p_static * ctx.power[ob.obligor]
    both = own + facing
    p_back_down = deterrence * (facing / both) if both > 0.0 else 0.0
    u = draw(decision_key(KIND_DETERRENCE))
    story.note_deterrence(u, p_back_down)
    return u < p_back_down


def _settled(
    ctx: Context,
    initiator: str,
    target: str,
    draw: Callable[[int], float],
    story: Narration,
) -> bool:
    """Arbitration before the war: the first organization (by name) that settles."""
    for o in ctx.orgs:
        if o.kind == "arbitration" and initiator in o.members and target in o.members:
            u = draw(decision_key(KIND_ARBITRATION, o.name))
            story.note_arbitration(o, u)
            if u < o.settlement:
                return True
    return False


def _row(rep: int, initiator: str, target: str) -> dict:
    return {
        "replicate": rep,
        "initiator": initiator,
        "target": target,
        "deterred": False,
        "belligerents": 0,
        "side_a": 0,
        "side_d": 0,
        "majors": 0,
        "rounds": 0,
        "broken_promises": 0,
        "conflicted": 0,
        "sanctions": 0,
        "diplomacy": 0,
        "settled": False,
        "power_share": 0.0,
        "vetoed": False,
        "winner": None,
        "world_war": False,
        "unaligned": 0,
    }


def _theatre(ctx: Context, targets: list[str]) -> frozenset[str]:
    """The regions where the war is fought: the incident's, else the target's region."""
    theatre = ctx.world.incident.theatre
    if theatre is not None:
        return frozenset(theatre)
    region = ctx.region[targets[0]]
    return frozenset() if region is None else frozenset((region,))


def _cascade(
    ctx: Context,
    seed: int,
    rep: int,
    want_participants: bool,
    events: list[dict] | None = None,
    expected: dict[str, dict[str, float]] | None = None,
):
    dyn = ctx.world.dynamics
    state = rep_state(seed, rep)

    def draw(key: int) -> float:
        return uniform(state, key)

    initiators, targets = _incident(ctx, draw)
    c = Cascade(ctx, draw, theatre=_theatre(ctx, targets), events=events)
    c.note_incident(initiators, targets)
    row = _row(rep, initiators[0], targets[0])
    if _deterred(ctx, initiators[0], targets[0], draw, c):
        row["deterred"] = True
        return row, []
    if _settled(ctx, initiators[0], targets[0], draw, c):
        row["settled"] = True
        return row, []

    c.incident(initiators, targets)
    r = 0
    entrants: list = []
    while True:
        if r > 0:
            c.enter(entrants, r)
        c.plans(r)
        if r == dyn.max_rounds:
            break
        c.pulls = {}
        c.obligations()
        c.organizations()
        if r == 0:
            c.unaligned()
        entrants = c.entrants()
        if not entrants:
            break
        r += 1
        c.round = r
        c.attacked, c.cases = [], []
    _outcome(ctx, c, row, draw)
    c.note_outcome(row)
    if expected is not None:
        _add_expected(c, expected)
    parts = []
    if want_participants:
        parts = [
            {"replicate": rep, "nation": x, "side": s, "round": rr, "via": v, "source": src}
            for x, s, rr, v, src in c.entered
        ]
    return row, parts


def _add_expected(c: Cascade, expected: dict[str, dict[str, float]]) -> None:
    """Add the cascade's participation to ``expected`` (side -> nation -> sum).

    Each nation at war counts 1 on its side, except where its unaligned decision's
    chances are known (``Cascade.expected``): those chances count instead.
    """
    for nid, s, _, via, _ in c.entered:
        if not (via == "unaligned" and nid in c.expected):
            expected[s][nid] += 1.0
    for nid, (p_a, p_d) in c.expected.items():
        expected[A][nid] += p_a
        expected[D][nid] += p_d


def _outcome(ctx: Context, c: Cascade, row: dict, draw: Callable[[int], float]) -> None:
    """The winner by the contest function, and the row's counts."""
    dyn = ctx.world.dynamics
    p_a = p_d = 0.0
    for nid, s, *_ in c.entered:  # summed in order of entry
        if s == A:
            p_a += ctx.power[nid]
        else:
            p_d += ctx.power[nid]
    # summed in entry order, the total in id order: clamp the rounding excess
    share = min(1.0, (p_a + p_d) / ctx.total_power) if ctx.total_power > 0.0 else 0.0
    keep = 1.0 - dyn.sanction_effect
    for _ in range(c.sanctions_on[A]):
        p_a *= keep
    for _ in range(c.sanctions_on[D]):
        p_d *= keep
    p_win_a = contest(p_a, p_d, dyn.contest_exponent)
    winner = A if draw(decision_key(KIND_OUTCOME)) < p_win_a else D
    majors = sum(1 for nid in c.side if ctx.major[nid])
    row.update(
        belligerents=len(c.side),
        side_a=sum(1 for s in c.side.values() if s == A),
        side_d=sum(1 for s in c.side.values() if s == D),
        majors=majors,
        rounds=c.last_round,
        broken_promises=c.broken,
        conflicted=c.conflicted,
        sanctions=c.sanctions,
        diplomacy=c.diplomacy,
        power_share=share,
        vetoed=c.vetoed,
        winner=winner,
        world_war=majors >= dyn.world_war_majors,
        unaligned=sum(1 for e in c.entered if e[3] == "unaligned"),
    )


def contest(p_a: float, p_d: float, m: float) -> float:
    """P(side A wins) = p_a^m / (p_a^m + p_d^m), the contest function of the outcome.

    With m = 1 it is the ratio itself. Otherwise it is computed in log space,
    1 / (1 + exp(m (ln p_d - ln p_a))), because p^m overflows (or underflows)
    for large m: with m = 100 and powers of 1e4, p_a^m / (p_a^m + p_d^m) would be
    inf / inf. A side without power loses to one with power (for m > 0); two
    powerless sides, or m = 0 (0^0 = 1: every side weighs 1), give 1/2.

    The kernel computes the same operations in the same order, so the two
    engines agree bit for bit (exp overflows to inf there, so 0.0, as here).
    """
    if m == 1.0:
        return p_a / (p_a + p_d) if p_a + p_d > 0.0 else 0.5
    if p_a > 0.0 and p_d > 0.0:
        try:
            e = math.exp(m * (math.log(p_d) - math.log(p_a)))
        except OverflowError:
            return 0.0  # 1 / (1 + inf)
        return 1.0 / (1.0 + e)
    if m == 0.0 or p_a == p_d:  # 0^0 = 1 (every side weighs 1), or both sides powerless
        return 0.5
    return 1.0 if p_a > 0.0 else 0.0


def trace_reference(world: World, seed: int, replicate: int) -> tuple[list[dict], dict]:
    """The story of one cascade: every decision, in order, and the final row.

    Each event is a dict with ``round`` and ``event`` (``incident``,
    ``deterrence``, ``arbitration``, ``attack``, ``plan``, ``obligation``,
    ``organization``, ``response``, ``neutrality``, ``stays_out``, ``enter``,
    ``outcome``) and the fields of that decision, draws included. The row is the
    one :func:`simulate_reference` gives for that replicate.
    """
    events: list[dict] = []
    row, _ = _cascade(Context(world), seed, replicate, False, events)
    return events, row


def expected_counts_reference(world: World, seed: int, count: int) -> dict[str, dict[str, float]]:
    """Expected counts of replicates ``0 .. count - 1``: side (``A``, ``D``) -> nation -> sum.

    The semantics of :func:`escalate.engine.driver.expected_counts_worlds`: each
    nation's cascades at war on each side, where a nation whose unaligned decision
    was taken and that owes no neutrality pledge counts its chances of joining each
    side, ``p (1 - q)`` and ``p q``, instead of its unaligned entry.
    """
    ctx = Context(world)
    expected = {s: dict.fromkeys(ctx.ids, 0.0) for s in (A, D)}
    for rep in range(count):
        _cascade(ctx, seed, rep, False, expected=expected)
    return expected


def simulate_reference(
    world: World, replicates: int, seed: int, start: int = 0, participants: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run replicates ``start .. start + replicates - 1`` in plain Python.

    Slow (tens of thousands of cascades per second at best); meant for tests and
    for reading. Returns the cascades table and, if requested, the participants
    table, with the same columns as :func:`escalate.simulate` (without the
    ``structure`` column and with plain object/int dtypes).
    """
    ctx = Context(world)
    rows, parts = [], []
    for rep in range(start, start + replicates):
        row, p = _cascade(ctx, seed, rep, participants)
        rows.append(row)
        parts.extend(p)
    cascades = pd.DataFrame(rows)
    if not participants:
        return cascades, None
    cols = ["replicate", "nation", "side", "round", "via", "source"]
    return cascades, pd.DataFrame(parts, columns=cols)
