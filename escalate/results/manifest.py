"""The manifest of a results directory and the progress log beside it.

``DIR/manifest.json`` holds the job (worlds with their canonical hashes and
definitions, seed, replicates, chunk layout, participants, versions) and its
status. It is written atomically when a job starts and when it ends; in between
each finished part appends one line to ``DIR/progress.jsonl``
(:func:`record_progress`), so the cost of recording progress does not grow with
the number of parts. :func:`read_manifest` validates it like a world file and
merges the progress records into it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._version import __version__
from .errors import ResultsError
from .files import atomic_write_bytes, open_append, read_text
from .lock import describe_holder, held_by_another

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST",
    "MAX_PARTS",
    "MAX_REPLICATES",
    "MAX_SEED",
    "PROGRESS",
    "STATUSES",
    "Manifest",
    "clear_progress",
    "read_manifest",
    "record_progress",
    "write_manifest",
]

MANIFEST = "manifest.json"
PROGRESS = "progress.jsonl"

#: 2: progress in progress.jsonl, ``failed``/``incomplete`` statuses and ``error``;
#: version-1 manifests are read as well.
FORMAT_VERSION = 2
STATUSES = ("running", "interrupted", "failed", "incomplete", "complete")
#: Upper bound of ``replicates`` per world (replicate indices are int64; far more
#: than a run can write: 2**40 cascades take days on a workstation).
MAX_REPLICATES = 2**40
#: Upper bound of the parts of one structure (replicates / chunk size), so that the
#: job's plan and the progress records stay small.
MAX_PARTS = 2**20
MAX_SEED = 2**64 - 1


def _one_line(e: BaseException | str) -> str:
    return " ".join(str(e).split())


@dataclass
class Manifest:
    """What a run directory holds: the worlds (name -> canonical hash), seed, layout."""

    seed: int
    replicates: int
    chunk_size: int
    participants: bool
    worlds: dict[str, dict[str, Any]]  # name -> {"hash", "source", "world"}
    status: str = "running"
    escalate_version: str = __version__
    numba_version: str = ""
    format_version: int = FORMAT_VERSION
    #: Replicate ranges [start, stop) written so far, per structure, merged.
    #: Informative only: the part files present are the truth (a ``kill -9``
    #: can land between a part's rename and its progress record).
    done: dict[str, list[list[int]]] = field(default_factory=dict)
    #: Why the job stopped, when ``status`` is ``failed``.
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def chunks(self) -> list[tuple[int, int]]:
        """The replicate ranges [start, stop) of the run's parts."""
        c = self.chunk_size
        return [(s, min(s + c, self.replicates)) for s in range(0, self.replicates, c)]

    def mark_done(self, structure: str, start: int, stop: int) -> None:
        """Record that replicates ``start .. stop - 1`` of ``structure`` are written."""
        ranges = sorted([*self.done.get(structure, []), [start, stop]])
        merged: list[list[int]] = []
        for s, e in ranges:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        self.done[structure] = merged

    def same_job(self, other: Manifest) -> str | None:
        """None if ``other`` describes the same job, else what differs."""
        mine = {k: v["hash"] for k, v in self.worlds.items()}
        theirs = {k: v["hash"] for k, v in other.worlds.items()}
        if mine != theirs:
            names = sorted(set(mine) ^ set(theirs)) or sorted(
                k for k in mine if mine[k] != theirs.get(k)
            )
            return f"different worlds ({', '.join(names)})"
        for key in ("seed", "replicates", "chunk_size", "participants"):
            if getattr(self, key) != getattr(other, key):
                return (
                    f"different {key.replace('_', '-')} "
                    f"({getattr(other, key)} there, {getattr(self, key)} now)"
                )
        return None

    def to_json(self) -> str:
        """JSON text; ``worlds`` keeps the run's order (the order of ``structure``)."""
        return json.dumps(self.__dict__, indent=1)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _manifest_problem(data: Any) -> str | None:
    """What is wrong with a parsed manifest, or None (checked like a world file)."""
    if not isinstance(data, dict):
        return "not a JSON object"
    version = data.get("format_version", 1)
    if not _is_int(version) or version < 1:
        return f"format_version: {version!r} is not a version number"
    if version > FORMAT_VERSION:
        return (
            f"format_version {version}: written by a newer escalate "
            f"(this one reads up to {FORMAT_VERSION}); upgrade escalate"
        )
    known = set(Manifest.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        return f"unknown key {unknown[0]!r}"
    missing = [k for k in ("seed", "replicates", "chunk_size", "participants", "worlds")
               if k not in data]  # fmt: skip
    if missing:
        return f"missing key {missing[0]!r}"
    return _layout_problem(data) or _worlds_problem(data)


def _layout_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with a manifest's seed, layout, participants or status, or None."""
    checks = (
        ("seed", 0, MAX_SEED),
        ("replicates", 1, MAX_REPLICATES),
        ("chunk_size", 1, MAX_REPLICATES),
    )
    for key, lo, hi in checks:
        v = data[key]
        if not _is_int(v) or not lo <= v <= hi:
            return f"{key}: {v!r} is not a whole number between {lo} and {hi}"
    if -(-data["replicates"] // data["chunk_size"]) > MAX_PARTS:
        return f"replicates / chunk_size: more than {MAX_PARTS} parts"
    if not isinstance(data["participants"], bool):
        return f"participants: {data['participants']!r} is not true or false"
    if data.get("status", "running") not in STATUSES:
        return f"status: {data.get('status')!r} is not one of {', '.join(STATUSES)}"
    return None


def _worlds_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with a manifest's worlds or its record of parts done, or None."""
    worlds = data["worlds"]
    if not isinstance(worlds, dict) or not worlds:
        return "worlds: not a non-empty object"
    for name, info in worlds.items():
        if not isinstance(info, dict) or not isinstance(info.get("hash"), str):
            return f"worlds[{name!r}]: no world hash"
        if not isinstance(info.get("world", {}), dict):
            return f"worlds[{name!r}].world: not an object"
    done = data.get("done", {})
    if not isinstance(done, dict) or not all(
        isinstance(r, list) and all(
            isinstance(x, list) and len(x) == 2 and all(map(_is_int, x)) for x in r)
        for r in done.values()
    ):  # fmt: skip
        return "done: not lists of [start, stop] per structure"
    return None


def read_manifest(out: str | Path) -> Manifest:
    """Read ``DIR/manifest.json``, with the progress recorded since it was written.

    Raises
    ------
    ResultsError
        If it is missing, unreadable or invalid (the message names the key).
    """
    try:
        return _read_manifest(Path(out))
    except ResultsError as e:
        info = held_by_another(out)
        if info is None:
            raise
        raise ResultsError(
            f"{out}: another escalate job is writing it ({describe_holder(info)}); "
            "read it again when that job has finished"
        ) from e


def _read_manifest(out: Path) -> Manifest:
    path = out / MANIFEST
    try:
        data = json.loads(read_text(path))
    except FileNotFoundError:
        raise ResultsError(
            f"{out}: no {MANIFEST}; not an escalate results directory", repairable=True
        ) from None
    except (OSError, ValueError) as e:
        raise ResultsError(
            f"{path}: unreadable manifest ({_one_line(e)})", repairable=True
        ) from None
    problem = _manifest_problem(data)
    if problem:
        raise ResultsError(f"{path}: invalid manifest: {problem}", repairable=True)
    data["format_version"] = FORMAT_VERSION
    m = Manifest(**data)
    for structure, start, stop in _read_progress(Path(out)):
        if structure in m.worlds:
            m.mark_done(structure, start, stop)
    return m


def write_manifest(out: str | Path, manifest: Manifest) -> None:
    """Write the manifest atomically.

    The progress it now holds is dropped from ``progress.jsonl``.
    """
    for structure, start, stop in _read_progress(Path(out)):
        if structure in manifest.worlds:
            manifest.mark_done(structure, start, stop)
    atomic_write_bytes(Path(out) / MANIFEST, manifest.to_json().encode())
    (Path(out) / PROGRESS).unlink(missing_ok=True)


def record_progress(out: str | Path, structure: str, start: int, stop: int) -> None:
    """Append "part ``start .. stop - 1`` of ``structure`` is written" to the progress file.

    One short line, synced: the cost does not grow with the parts done.
    """
    line = json.dumps({"structure": structure, "start": start, "stop": stop}) + "\n"
    with open_append(Path(out) / PROGRESS) as f:
        f.write(line.encode())
        f.flush()
        os.fsync(f.fileno())


def clear_progress(out: str | Path) -> None:
    """Forget the progress records (before a job states what is done afresh)."""
    (Path(out) / PROGRESS).unlink(missing_ok=True)


def _read_progress(out: Path) -> list[tuple[str, int, int]]:
    """The progress records; a line cut short by a crash is ignored."""
    try:
        lines = (out / PROGRESS).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    records = []
    for line in lines:
        try:
            d = json.loads(line)
            rec = (d["structure"], d["start"], d["stop"])
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(rec[0], str) and _is_int(rec[1]) and _is_int(rec[2]):
            records.append(rec)
    return records
