"""Repair a results directory so that an interrupted or damaged run can be resumed.

:func:`repair` takes the directory's lock, then

- rebuilds ``manifest.json`` from the part footers when it is missing or invalid
  (every part carries its world, seed and the run's layout);
- reads every part whole, verifying its page checksums, row count and metadata,
  and moves parts that are unreadable, corrupt, foreign (another world or seed)
  or outside the run's layout into ``DIR/quarantine/`` (nothing is deleted);
- records the parts that remain as done, and the status ``complete`` or
  ``incomplete``; a run with the same command and ``resume`` then computes
  exactly the missing parts.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numba

from .errors import ResultsError
from .files import refuse_links
from .lock import lock_results
from .store import (
    MANIFEST,
    QUARANTINE,
    TABLES,
    Manifest,
    clear_progress,
    part_metadata,
    part_path,
    part_problems,
    part_spec,
    part_start,
    read_manifest,
    remove_temporaries,
    verify_part,
    write_manifest,
)

__all__ = ["RepairReport", "repair"]


@dataclass
class RepairReport:
    """What :func:`repair` did."""

    out: str
    #: True when the manifest was missing or invalid and was rebuilt from the parts.
    rebuilt_manifest: bool
    #: Parts kept (both tables).
    kept: int
    #: Parts still missing (per table and structure), computed again by a resume.
    missing: int
    #: The status the manifest now records: ``complete`` or ``incomplete``.
    status: str
    #: Files or folders moved to ``DIR/quarantine``, with the reason.
    quarantined: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """A human summary, one line per quarantined file and one final line."""
        out = [f"quarantined {path}: {why}" for path, why in self.quarantined]
        manifest = (
            "rebuilt the manifest from the parts (it was missing, invalid, or every "
            "part disagreed with it); "
            if self.rebuilt_manifest
            else ""
        )
        out.append(
            f"{self.out}: {manifest}{self.kept} parts kept, {len(self.quarantined)} moved to "
            f"{QUARANTINE}/, {self.missing} missing; status {self.status}"
        )
        return out

    def to_json(self) -> str:
        """The report as JSON."""
        return json.dumps(self.__dict__, sort_keys=True)


def repair(out: str | Path) -> RepairReport:
    """Make ``out`` resumable: rebuild its manifest if needed, set bad parts aside.

    Parameters
    ----------
    out
        A results directory (``out`` of :func:`escalate.run`).

    Returns
    -------
    RepairReport

    Raises
    ------
    ResultsError
        If ``out`` is no directory, holds neither a valid manifest nor one
        readable part, or is in use by a running job.

    Examples
    --------
    A run that lost its manifest and a part is repaired from the parts it kept, then
    resumed with the same arguments, which writes the missing part again:

    >>> import escalate
    >>> from pathlib import Path
    >>> summary = escalate.run(["europe_1914"], "big", 3_000, seed=1, chunk_size=1_000)
    >>> Path("big/manifest.json").unlink()
    >>> Path("big/cascades/structure=europe_1914/part-000000002000.parquet").unlink()
    >>> report = escalate.repair("big")
    >>> summary = escalate.run(["europe_1914"], "big", 3_000, seed=1, chunk_size=1_000,
    ...                        resume=True)
    >>> len(escalate.read_results("big"))
    3000
    """
    out = Path(out)
    if not out.is_dir():
        raise ResultsError(f"{out}: no such results directory")
    with lock_results(out):
        refuse_links(out)
        remove_temporaries(out)
        manifest, rebuilt = _manifest_to_trust(out)
        quarantined: list[tuple[str, str]] = []
        present = {t: _check_table(out, t, manifest, quarantined) for t in TABLES}
        manifest.done = {}
        missing = 0
        for name in manifest.worlds:
            for s, e in manifest.chunks():
                have = s in present["cascades"].get(name, ()) and (
                    not manifest.participants or s in present["participants"].get(name, ())
                )
                if have:
                    manifest.mark_done(name, s, e)
                else:
                    missing += 1
        manifest.status = "complete" if missing == 0 else "incomplete"
        manifest.error = None
        manifest.numba_version = manifest.numba_version or numba.__version__
        clear_progress(out)
        write_manifest(out, manifest)
    kept = sum(len(v) for t in present.values() for v in t.values())
    return RepairReport(str(out), rebuilt, kept, missing, manifest.status, quarantined)


def _manifest_to_trust(out: Path) -> tuple[Manifest, bool]:
    """The manifest of ``out``, or one rebuilt from the parts, and whether it was rebuilt.

    The manifest is rebuilt when it is missing or invalid, and when it is valid
    but every readable part agrees with every other part and none with it (a
    seed, chunk size, world hash edited, or a manifest copied from another run):
    then the parts, not the manifest, are the run.
    """
    try:
        manifest = read_manifest(out)
    except ResultsError:
        return _rebuild(out), True
    footers = _footers(out)
    jobs = {(_job(f), f["name"], f["hash"]) for f in footers}
    if not footers or len({j[0] for j in jobs}) != 1:
        return manifest, False
    job = next(iter(jobs))[0]
    mine = (manifest.seed, manifest.replicates, manifest.chunk_size, manifest.participants)
    names = {(n, h) for _, n, h in jobs}
    same_worlds = all(manifest.worlds.get(n, {}).get("hash") == h for n, h in names)
    if job == mine and same_worlds:
        return manifest, False
    if len({n for n, _ in names}) != len(names):  # two versions of a world: no agreement
        return manifest, False
    return _rebuild(out), True


def _quarantine(out: Path, path: Path, why: str, log: list[tuple[str, str]]) -> None:
    """Move ``path`` (under ``out``) to the same place under ``out/quarantine``."""
    rel = path.relative_to(out)
    dest = out / QUARANTINE / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    k = 1
    while dest.exists():
        dest = dest.with_name(f"{rel.name}.{k}")
        k += 1
    shutil.move(str(path), str(dest))
    log.append((str(rel), why))


def _problem(out: Path, f: Path, table: str, name: str, m: Manifest) -> str | None:
    """Why part file ``f`` of structure ``name`` cannot be kept, or None."""
    want = dict(m.chunks())
    start = part_start(f)
    if start not in want or f != part_path(out, table, name, start):
        return "not in this run's layout"
    try:
        problems = part_problems(f, m.worlds[name], m, start, want[start])
        if problems:
            return f"foreign part ({'; '.join(problems)} differ from {MANIFEST})"
        verify_part(f, table, start, want[start], part_spec(m, name, start))
    except ResultsError as e:
        return str(e).removeprefix(f"{f}: ")
    return None


def _check_table(
    out: Path, table: str, m: Manifest, log: list[tuple[str, str]]
) -> dict[str, set[int]]:
    """The good parts of ``table``; everything else in it goes to quarantine."""
    root = out / table
    present: dict[str, set[int]] = {}
    if not root.is_dir():
        return present
    for d in sorted(root.iterdir()):
        name = d.name.split("=", 1)[1] if d.name.startswith("structure=") else None
        if not d.is_dir() or name not in m.worlds:
            _quarantine(out, d, f"not a structure of {MANIFEST}", log)
            continue
        if table == "participants" and not m.participants:
            _quarantine(out, d, "participants of a run made without them", log)
            continue
        for f in sorted(d.iterdir()):
            if f.name.startswith("."):
                continue
            why = _problem(out, f, table, name, m) if f.is_file() else "not a part file"
            if why:
                _quarantine(out, f, why, log)
            else:
                present.setdefault(name, set()).add(part_start(f))
    return present


def _footers(out: Path) -> list[dict[str, Any]]:
    """The metadata of every part that has readable escalate metadata."""
    found = []
    for table in TABLES:
        for f in sorted((out / table).glob("structure=*/part-*.parquet")):
            try:
                md = part_metadata(f)
                world = json.loads(md["escalate.world"])
                found.append(
                    {
                        "table": table,
                        "name": md["escalate.world_name"],
                        "hash": md["escalate.world_hash"],
                        "source": md.get("escalate.world_source", ""),
                        "index": int(md.get("escalate.structure_index", "0")),
                        "seed": int(md["escalate.seed"]),
                        "start": int(md["escalate.replicate_start"]),
                        "stop": int(md["escalate.replicate_stop"]),
                        "replicates": int(md.get("escalate.replicates", "-1")),
                        "chunk_size": int(md.get("escalate.chunk_size", "-1")),
                        "participants": md.get("escalate.participants"),
                        "world": world,
                    }
                )
            except (ResultsError, KeyError, ValueError):
                continue
    return found


def _rebuild(out: Path) -> Manifest:
    """A manifest rebuilt from the part footers: the job most parts belong to."""
    footers = _footers(out)
    if not footers:
        raise ResultsError(
            f"{out}: no valid {MANIFEST} and no readable escalate part to rebuild it from"
        )
    has_participants = any(f["table"] == "participants" for f in footers)
    for f in footers:  # parts written before the layout was recorded in them
        if f["chunk_size"] < 1:
            f["chunk_size"] = max(g["stop"] - g["start"] for g in footers)
        if f["replicates"] < 1:
            f["replicates"] = max(g["stop"] for g in footers)
        f["participants"] = f["participants"] == "true" if f["participants"] else has_participants
    job = Counter(map(_job, footers)).most_common(1)[0][0]
    mine = [f for f in footers if _job(f) == job]
    worlds: dict[str, dict[str, Any]] = {}
    for name in sorted({f["name"] for f in mine}, key=lambda n: _first_index(mine, n)):
        versions = Counter(f["hash"] for f in mine if f["name"] == name)
        h = versions.most_common(1)[0][0]
        f = next(f for f in mine if f["name"] == name and f["hash"] == h)
        worlds[name] = {"hash": h, "source": f["source"], "world": f["world"]}
    seed, replicates, chunk_size, participants = job
    return Manifest(
        seed=seed,
        replicates=replicates,
        chunk_size=chunk_size,
        participants=participants,
        worlds=worlds,
        status="incomplete",
        numba_version=numba.__version__,
    )


def _job(f: dict[str, Any]) -> tuple[int, int, int, bool]:
    return (f["seed"], f["replicates"], f["chunk_size"], f["participants"])


def _first_index(footers: list[dict[str, Any]], name: str) -> tuple[int, str]:
    return (min(f["index"] for f in footers if f["name"] == name), name)
