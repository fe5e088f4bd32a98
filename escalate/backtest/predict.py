"""The world on the eve of each war, and the model's prediction for every state in it.

:func:`prepare` imports, for each war, the world of the states in the COW system on
the day the war began (:func:`escalate.importers.import_world`: power, majors,
regions, the ATOP and/or COW alliances in force but those formed for the war,
:func:`formed_for`; no overlay), with the incident of
:func:`~escalate.backtest.wars.incident_of` (its parties as the incident's
initiator and target lists, its theatre from COW ``WhereFought``) and ``deterrence =
0`` (the war is known to have happened); every other parameter is the documented
default.
:func:`predict` runs the cascades of one such world and gives, per state, P(at war)
and P(at war on COW side 1 / side 2).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..importers import DataError, import_world
from ..importers.spells import Spell, read_atop, read_cow
from ..importers.states import states_on
from ..importers.treaties import first_days
from ..model.entities import World
from ..runner import simulate
from .wars import Incident, War, incident_of, read_wars, select_wars

__all__ = [
    "FORMED_WITHIN",
    "Case",
    "DataFiles",
    "formed_for",
    "load_cases",
    "no_alliances",
    "predict",
    "prepare",
    "without_deterrence",
]


@dataclass(frozen=True)
class DataFiles:
    """The data files a world is imported from (see :func:`escalate.import_world`)."""

    states: Path
    capabilities: Path
    majors: Path | None = None
    atop: Path | None = None
    cow: Path | None = None

    @classmethod
    def of(
        cls,
        states: str | Path,
        capabilities: str | Path,
        majors: str | Path | None = None,
        atop: str | Path | None = None,
        cow: str | Path | None = None,
    ) -> DataFiles:
        """The files at these paths (None: a file not given)."""
        opt = [Path(p) if p is not None else None for p in (majors, atop, cow)]
        return cls(Path(states), Path(capabilities), *opt)


@dataclass
class Case:
    """One war ready to predict: its world, who is a third party, what happened."""

    war: War
    incident: Incident
    world: World
    #: the world's nation ids (COW abbreviations) and their ccodes, in world order
    ids: list[str]
    ccodes: np.ndarray
    #: COW side of the initiator (1 or 2): the model's side A
    init_side: int
    #: days after the start each state entered (NaN: not in the war) and its COW side (0)
    entry_day: np.ndarray
    war_side: np.ndarray
    #: not an incident party (the initiators and targets in the world)
    third: np.ndarray
    #: participants not in the COW system on the day (not scored): names
    absent: list[str]
    #: treaties in force on the day but formed for this war (:func:`formed_for`)
    left_out: tuple[str, ...] = ()

    def outcome(self, window: int) -> np.ndarray:
        """The side each state joined within ``window`` days of the start (0: stayed out)."""
        joined = np.nan_to_num(self.entry_day, nan=np.inf) <= window
        return np.where(joined, self.war_side, 0).astype(np.int8)


def without_deterrence(world: World) -> World:
    """``world`` with ``deterrence = 0``: the war is known to have happened."""
    return dataclasses.replace(world, dynamics=dataclasses.replace(world.dynamics, deterrence=0.0))


def no_alliances(world: World) -> World:
    """``world`` without any alliance (organizations and plans kept)."""
    return dataclasses.replace(world, alliances=())


#: A treaty signed this few days or fewer before a war began was formed for that war.
FORMED_WITHIN = 30


def formed_for(war: War, atop: list[Spell] | None, cow: list[Spell] | None) -> tuple[str, ...]:
    """The treaties in force on the war's first day that were formed for this war.

    Two rules, both blind to who fought: ATOP codes the treaty as formed during this
    war (``wartime = 1`` with ``cowwar`` the war's number), or its first member spell
    (in either file) began at most :data:`FORMED_WITHIN` days before the war, as the
    Protocol of Sevres (ATOP 3322: Britain, France, Israel) was signed five days before
    the Sinai war. A treaty formed in wartime for another war (ANZUS, during Korea) is
    a standing commitment by the next war and stays. Keys as
    :func:`escalate.importers.import_world`'s ``exclude``.
    """
    day = war.start
    out = set()
    for source, spells in (("ATOP", atop or []), ("COW", cow or [])):
        first = first_days(spells)
        for s in spells:
            if not s.in_force(day):
                continue
            formed = first.get(s.treaty)
            if s.formed_in_war == war.num or (formed and (day - formed).days <= FORMED_WITHIN):
                out.add(f"{source} {s.treaty}")
    return tuple(sorted(out, key=lambda k: (k.split()[0], int(k.split()[1]))))


def prepare(wars: list[War], files: DataFiles) -> tuple[list[Case], dict[int, str]]:
    """The cases of the wars that can be scored, and the reason each other war cannot.

    A war is skipped when COW codes no initiator or no state on the other side, when
    the initiator or the target is not in the COW state system on the day the war
    began, or when the data files do not cover that day. The other incident parties
    (first-day entrants) that are not in the system are left out of the incident and
    listed in ``absent``.
    """
    cases, skipped = [], {}
    atop = read_atop(str(files.atop)) if files.atop is not None else None
    cow = read_cow(str(files.cow)) if files.cow is not None else None
    for war in wars:
        inc = incident_of(war)
        if inc is None:
            skipped[war.num] = "no initiator coded, or no state on the other side"
            continue
        day = war.start
        try:
            system = {s.ccode for s in states_on(str(files.states), day)}
        except DataError as e:
            skipped[war.num] = f"the state system file does not cover {day}: {e}"
            continue
        missing = [p for p in (inc.initiator, inc.target) if p.ccode not in system]
        if missing:
            skipped[war.num] = (
                "not in the COW state system on "
                + f"{day}: "
                + ", ".join(
                    f"{'initiator' if p is inc.initiator else 'target'} {p.name} ({p.ccode})"
                    for p in missing
                )
            )
            continue
        present = [p for p in inc.parties if p.ccode in system]
        initiators = [p.ccode for p in present if p.side == inc.initiator.side]
        targets = [p.ccode for p in present if p.side != inc.initiator.side]
        left_out = formed_for(war, atop, cow)
        try:
            imported = import_world(
                day,
                states=files.states,
                capabilities=files.capabilities,
                majors=files.majors,
                atop=files.atop,
                cow=files.cow,
                incident=f"{','.join(map(str, initiators))}:{','.join(map(str, targets))}",
                theatre=inc.theatre or None,
                name=f"war_{war.num}",
                exclude=left_out,
            )
        except DataError as e:
            skipped[war.num] = f"cannot import the world of {day}: {e}"
            continue
        world = without_deterrence(imported.world)
        ids = list(world.ids)
        codes = np.array([imported.ccodes[i] for i in ids], dtype=np.int64)
        entries = war.entry_days()
        entry_day = np.array([entries[c][0] if c in entries else np.nan for c in codes], float)
        war_side = np.array([entries[c][1] if c in entries else 0 for c in codes], np.int8)
        third = ~np.isin(codes, initiators + targets)
        absent = [f"{p.name} ({p.ccode})" for p in war.participants if p.ccode not in set(codes)]
        cases.append(
            Case(
                war,
                inc,
                world,
                ids,
                codes,
                inc.initiator.side,
                entry_day,
                war_side,
                third,
                absent,
                left_out,
            )
        )
    return cases, skipped


def load_cases(
    wars: str | Path,
    files: DataFiles,
    *,
    since: int | None,
    until: int | None,
    war_ids: list[int] | None,
    min_participants: int,
) -> tuple[list[War], list[Case], dict[int, str]]:
    """Read the war file, keep the selected wars and :func:`prepare` them.

    Returns the wars selected, their cases and why the others were skipped.
    """
    chosen = select_wars(
        read_wars(str(wars)),
        since=since,
        until=until,
        ids=war_ids,
        min_participants=min_participants,
    )
    cases, skipped = prepare(chosen, files)
    return chosen, cases, skipped


def predict(
    case: Case, world: World, replicates: int, seed: int, threads: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P(at war), P(at war on COW side 1), P(on side 2) of each of ``case.ids``.

    ``world`` is the case's world or a variant of it with the same nations (another
    reliability, no alliances); the seed is the same for every variant, so that the
    keyed draws make them common random numbers.
    """
    _, parts = simulate(world, replicates, seed, participants=True, threads=threads)
    index = {nid: i for i, nid in enumerate(case.ids)}
    nation = parts["nation"].astype(str).map(index).to_numpy(dtype=np.int64)
    side_a = (parts["side"].astype(str) == "A").to_numpy()
    n = len(case.ids)
    on_a = np.bincount(nation[side_a], minlength=n) / replicates
    on_d = np.bincount(nation[~side_a], minlength=n) / replicates
    p1, p2 = (on_a, on_d) if case.init_side == 1 else (on_d, on_a)
    return on_a + on_d, p1, p2
