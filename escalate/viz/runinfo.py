"""What a report says about the run itself: seed, command, date, worlds, shared nations.

A results directory holds its manifest (seed, replicates, each world with its
hash and the world itself) and, when ``escalate run`` or ``escalate sweep``
wrote it, ``command.json``: the command as typed and when the run finished.
:func:`run_info` reads both, so that a report stands alone: which worlds were
compared, how to reproduce the numbers, and when they were made.

Pairing (common random numbers) shares draws between two worlds only through
what they share: nation ids, treaty and plan names. :func:`shared_nations`
counts the nations a structure shares with the baseline, so that a comparison
of unrelated worlds does not read as a paired one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

__all__ = [
    "COMMAND_FILE",
    "FEW_SHARED",
    "RunInfo",
    "Shared",
    "WorldInfo",
    "few_shared",
    "incident_text",
    "manifest_pairing",
    "record_command",
    "run_info",
    "shared_nations",
    "shared_text",
]

#: The file ``escalate run`` and ``escalate sweep`` write into the results directory.
COMMAND_FILE = "command.json"
#: A structure that shares less than this share of the smaller world's nations with
#: the baseline gains little from pairing: the comparison warns.
FEW_SHARED = 0.5


@dataclass
class WorldInfo:
    """One world of a run, as the report describes it."""

    name: str
    description: str
    incident: str
    hash: str
    source: str
    nations: dict[str, str] = field(default_factory=dict)  # id -> name
    raw_incident: dict[str, Any] = field(default_factory=dict)  # as in the world file


@dataclass
class RunInfo:
    """The facts of a run a report states (from the manifest and ``command.json``)."""

    seed: int
    replicates: int
    participants: bool
    command: str | None
    command_recorded: bool  # True: as typed; False: rebuilt from the manifest
    date: str | None
    worlds: list[WorldInfo]

    def names(self) -> dict[str, str]:
        """Nation id -> name over every world (the first world's name wins)."""
        out: dict[str, str] = {}
        for w in self.worlds:
            for k, v in w.nations.items():
                out.setdefault(k, v)
        return out

    def members(self) -> dict[str, list[str]]:
        """Structure name -> its nation ids."""
        return {w.name: list(w.nations) for w in self.worlds}

    def pairing(self, baseline: str) -> dict[str, Shared]:
        """What each structure shares with ``baseline`` (:func:`shared_nations`)."""
        incidents = {w.name: w.raw_incident for w in self.worlds}
        return shared_nations(self.members(), baseline, incidents)


def record_command(out: str | Path, argv: Sequence[str]) -> Path:
    """Write ``OUT/command.json``: the command (``escalate`` + ``argv``) and the time now.

    ``--resume`` and ``--overwrite`` are left out: they say how the run was
    written, not what it holds.
    """
    words = [a for a in argv if a not in ("--resume", "--overwrite")]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    path = Path(out) / COMMAND_FILE
    text = json.dumps({"command": shlex.join(["escalate", *words]), "finished": now}, indent=1)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _label(nations: Mapping[str, str], ids: Sequence[str], most: int = 4) -> str:
    named = [f"{nations.get(i, i)} ({i})" if nations.get(i, i) != i else i for i in ids]
    if len(named) <= most:
        return ", ".join(named)
    return ", ".join(named[:most]) + f" and {len(named) - most} more"


def _ids(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def incident_text(incident: Mapping[str, Any], nations: Mapping[str, str]) -> str:
    """A world's incident in words, from its dict form (the manifest's ``world``)."""
    theatre = incident.get("theatre")
    where = f"; theatre: {', '.join(theatre)}" if theatre else ""
    if incident.get("mode") == "random":
        ini, tgt = _ids(incident.get("initiators")), _ids(incident.get("targets"))
        ini = ini or list(nations)
        tgt = tgt or list(nations)
        return (
            f"drawn per replicate ({incident.get('weights', 'uniform')} weights): an "
            f"initiator among {len(ini)} nations ({_label(nations, ini)}) attacks a target "
            f"among {len(tgt)} ({_label(nations, tgt)}){where}"
        )
    ini = _ids(incident.get("initiator")) + _ids(incident.get("co_initiators"))
    tgt = _ids(incident.get("target")) + _ids(incident.get("co_targets"))
    return f"{_label(nations, ini)} attacks {_label(nations, tgt)}{where}"


def _world_info(name: str, entry: Mapping[str, Any]) -> WorldInfo:
    world = entry.get("world", {})
    nations = {str(n["id"]): str(n.get("name") or n["id"]) for n in world.get("nations", [])}
    return WorldInfo(
        name=name,
        description=" ".join(str(world.get("description", "")).split()),
        incident=incident_text(world.get("incident", {}), nations),
        hash=str(entry.get("hash", "")),
        source=str(entry.get("source") or ""),
        nations=nations,
        raw_incident=dict(world.get("incident", {})),
    )


def _rebuilt_command(directory: Path, manifest: Any) -> str | None:
    """The ``escalate run`` that makes the same results, from the manifest; None for a sweep."""
    from ..model.bundled import bundled_names
    from ..model.load import load_world

    if (directory / "variants.csv").exists():
        return None
    sources = []
    for info in manifest.worlds.values():
        source = info.get("source")
        if not source:
            return None
        name = Path(source).stem
        try:
            bundled = name in bundled_names() and load_world(name).canonical_hash() == info["hash"]
        except (ValueError, OSError):
            bundled = False
        sources.append(name if bundled else str(source))
    argv = ["escalate", "run", *sources, "-n", str(manifest.replicates), "-s", str(manifest.seed)]
    argv += ["--participants"] if manifest.participants else []
    return shlex.join([*argv, "--out", str(directory)])


def run_info(directory: str | Path) -> RunInfo:
    """The facts of the run in ``directory`` (an ``escalate run --out``).

    The command and date come from ``command.json`` when the command line wrote
    it; otherwise the command is rebuilt from the manifest (the worlds, seed and
    replicates determine every row) and the date is when the manifest was last
    written.
    """
    from ..results.store import MANIFEST, read_manifest

    d = Path(directory)
    m = read_manifest(d)
    command, date, recorded = None, None, False
    try:
        saved = json.loads((d / COMMAND_FILE).read_text(encoding="utf-8"))
        command, date, recorded = str(saved["command"]), str(saved["finished"]), True
    except (OSError, ValueError, KeyError, TypeError):
        command = _rebuilt_command(d, m)
        stamp = os.stat(d / MANIFEST).st_mtime
        date = dt.datetime.fromtimestamp(stamp, dt.UTC).replace(microsecond=0).isoformat()
        date = date.replace("+00:00", "Z")
    return RunInfo(
        seed=m.seed,
        replicates=m.replicates,
        participants=m.participants,
        command=command,
        command_recorded=recorded,
        date=date,
        worlds=[_world_info(n, e) for n, e in m.worlds.items()],
    )


class Shared(NamedTuple):
    """What a structure shares with the baseline, for pairing."""

    shared: int  # nations in both worlds
    nations: int  # the structure's nations
    base_nations: int  # the baseline's nations
    same_incident: bool | None = None  # None: not known


def shared_nations(
    members: Mapping[str, Sequence[str]],
    baseline: str,
    incidents: Mapping[str, Any] | None = None,
) -> dict[str, Shared]:
    """Per structure other than ``baseline``: the nations it shares with it.

    ``incidents`` (structure -> the world's incident as a dict, as in the
    manifest) adds whether the incident is the baseline's.
    """
    base = set(members.get(baseline, ()))
    out = {}
    for name, ids in members.items():
        if name == baseline:
            continue
        same = None if incidents is None else incidents.get(name) == incidents.get(baseline)
        out[name] = Shared(len(set(ids) & base), len(set(ids)), len(base), same)
    return out


def manifest_pairing(worlds: Mapping[str, Mapping[str, Any]], baseline: str) -> dict[str, Shared]:
    """:func:`shared_nations` of a manifest's ``worlds`` (name -> {"hash", "world", ...})."""
    members = {
        n: [str(x["id"]) for x in e.get("world", {}).get("nations", [])] for n, e in worlds.items()
    }
    incidents = {n: e.get("world", {}).get("incident") for n, e in worlds.items()}
    return shared_nations(members, baseline, incidents)


def few_shared(counts: Shared) -> bool:
    """Whether a structure shares too few nations with the baseline for pairing to help."""
    return counts.shared < FEW_SHARED * max(1, min(counts.nations, counts.base_nations))


def shared_text(name: str, baseline: str, counts: Shared) -> str:
    """``shares 12 of its 60 nations with BASE (BASE has 70)``, with a warning when few."""
    text = (
        f"shares {counts.shared:,} of its {counts.nations:,} nations with {baseline} "
        f"({baseline} has {counts.base_nations:,})"
    )
    if counts.same_incident is False:
        text += "; its incident is not the baseline's"
    if few_shared(counts):
        text += (
            "; few: pairing shares random draws only through shared nations (and treaty "
            "names), so these are close to unpaired comparisons"
        )
    return text
