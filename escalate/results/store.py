"""Parquet results: layout, metadata, checksummed atomic writes, the manifest, read-back.

Layout of a run directory::

    DIR/manifest.json                                  the job: worlds (name, canonical
                                                       hash, definition), seed, layout,
                                                       versions, status
    DIR/progress.jsonl                                 parts finished since the manifest
                                                       was last written (one line each)
    DIR/.lock                                          held while a job runs (results/lock.py)
    DIR/cascades/structure=<name>/part-<start>.parquet one row per replicate
    DIR/participants/structure=<name>/part-<start>.parquet   (with participants)
    DIR/quarantine/...                                 parts set aside by escalate.repair

Each part file holds the replicates ``start .. stop - 1`` of one world and
carries key-value metadata (``escalate.*`` keys: world name, definition and
canonical hash, seed, replicate range, the run's layout, escalate and numba
versions), stored once in the file footer, with the digest of every byte
before the footer (:mod:`.digest`). Every data page carries a CRC checksum,
verified whenever escalate reads a part. A part is written under a
hidden temporary name and renamed when complete, so a reader never sees half a
file; ``pandas.read_parquet(DIR / "cascades")`` works on a finished or
unfinished run alike (hidden files are ignored).

The manifest is written when a job starts and when it ends (``complete``,
``interrupted`` or ``failed`` with the reason); in between, each finished part
appends one line to ``progress.jsonl``, so the cost of recording progress does
not grow with the number of parts. The part files present are the truth about
what is done; the recorded ranges follow them (they may lag by one part after a
``kill -9``). :func:`read_results` checks every part against the manifest.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .._version import __version__
from .digest import BYTES_KEY, HashingFile, digest_problem
from .errors import ResultsError
from .schema import CASCADE_COLUMNS, PARTICIPANT_COLUMNS, categorical_columns, schema_problem

__all__ = [
    "MANIFEST",
    "MAX_PARTS",
    "MAX_REPLICATES",
    "Manifest",
    "ResultsError",
    "checked_read",
    "part_path",
    "read_manifest",
    "read_part",
    "scan_parts",
    "write_part",
]

MANIFEST = "manifest.json"
PROGRESS = "progress.jsonl"
QUARANTINE = "quarantine"
TABLES = ("cascades", "participants")
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

#: Columns read as Arrow dictionaries (pandas categoricals): ids and labels, per table.
DICTIONARY_COLUMNS = {
    "cascades": categorical_columns(CASCADE_COLUMNS),
    "participants": categorical_columns(PARTICIPANT_COLUMNS),
}


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
    path = Path(out) / MANIFEST
    try:
        data = json.loads(path.read_text())
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
    _atomic_write_bytes(Path(out) / MANIFEST, manifest.to_json().encode())
    (Path(out) / PROGRESS).unlink(missing_ok=True)


def record_progress(out: str | Path, structure: str, start: int, stop: int) -> None:
    """Append "part ``start .. stop - 1`` of ``structure`` is written" to the progress file.

    One short line, synced: the cost does not grow with the parts done.
    """
    line = json.dumps({"structure": structure, "start": start, "stop": stop}) + "\n"
    with open(Path(out) / PROGRESS, "a", encoding="utf-8") as f:
        f.write(line)
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


def _tmp_name(path: Path) -> Path:
    """A hidden temporary sibling of ``path``, unique per process and thread."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Write to the yielded hidden temporary path, which becomes ``path`` on success.

    It becomes ``path`` only if the block succeeds (fsync, then rename) and is
    removed if it fails.
    """
    tmp = _tmp_name(path)
    try:
        yield tmp
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def part_path(out: str | Path, table: str, structure: str, start: int) -> Path:
    """Where the part starting at replicate ``start`` of ``structure`` lives.

    Parameters
    ----------
    out : str or pathlib.Path
        The results directory.
    table : str
        ``"cascades"`` or ``"participants"``.
    structure : str
        The world's name (its partition).
    start : int
        The first replicate of the part.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> part_path("out", "cascades", "europe_1914", 1_048_576).as_posix()
    'out/cascades/structure=europe_1914/part-000001048576.parquet'
    """
    return Path(out) / table / f"structure={structure}" / f"part-{start:012d}.parquet"


def parquet_options(schema: pa.Schema) -> dict[str, Any]:
    """How a part's columns are encoded (the same for every part, so bytes repeat).

    Dictionary columns are written as they are (the kernel's codes become the
    Parquet indices, with no hashing of values); small integers and floats (a
    power share takes few distinct values: encoding it so is faster than
    compressing it plain, and the file smaller; past Parquet's dictionary size
    limit a column falls back to plain) are dictionary encoded as well,
    ``replicate`` is delta encoded (a run of consecutive numbers costs next to
    nothing), booleans are plain; every page is zstd compressed and checksummed.
    Only ``replicate`` carries statistics: its range lets a reader skip parts,
    while the statistics of the other columns of a part would hold nearly every
    value and cost time to compute.
    """
    dictionary = [
        f.name
        for f in schema
        if pa.types.is_dictionary(f.type)
        or pa.types.is_floating(f.type)
        or (pa.types.is_integer(f.type) and f.name != "replicate")
    ]
    delta = {"replicate": "DELTA_BINARY_PACKED"} if "replicate" in schema.names else {}
    return {
        "compression": "zstd",
        "compression_level": 1,
        "write_page_checksum": True,
        "use_dictionary": dictionary,
        "column_encoding": delta,
        "write_statistics": list(delta),
    }


def _write_parquet(table: pa.Table, where: Path, metadata: dict[str, str]) -> None:
    """Write ``table`` to Parquet with page checksums (see :func:`parquet_options`).

    ``metadata`` and the digest of every byte before the footer
    (:mod:`.digest`, hashed as it is written) are stored once, in the footer.
    """
    with open(where, "wb") as raw:
        sink = HashingFile(raw, table.num_rows)
        with pq.ParquetWriter(sink, table.schema, **parquet_options(table.schema)) as writer:
            writer.write_table(table)
            writer.add_key_value_metadata({**metadata, BYTES_KEY: sink.hexdigest()})
    if not sink.footer_starts_at(sink.hashed):  # pyarrow wrote pages after write_table
        raise RuntimeError(f"{where}: the digest does not cover every page; not written")


def write_part(path: Path, table: pa.Table, metadata: dict[str, str]) -> None:
    """Write one part atomically: a hidden temporary file, fsync, then rename.

    Parameters
    ----------
    path : pathlib.Path
        Where the part goes (:func:`part_path`); missing directories are made.
    table : pyarrow.Table
        The part's rows.
    metadata : dict of str to str
        The part's key-value metadata; the digest of the bytes written before it is added to it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        _write_parquet(table, tmp, metadata)


def read_part(path: Path, table: str, columns: list[str] | None = None) -> pa.Table:
    """Read one part of ``table``, verifying its checksums and its digest.

    Every page checksum read is verified, and the part's digest
    (:mod:`.digest`): the bytes of the file, whatever the columns read; for a
    part of an earlier version, its values, when every column is read.

    Parameters
    ----------
    path : pathlib.Path
        The part file.
    table : str
        ``"cascades"`` or ``"participants"`` (which columns are dictionaries).
    columns : list of str, optional
        Only these columns (default: all).

    Returns
    -------
    pyarrow.Table

    Raises
    ------
    ResultsError
        Naming the file, if it cannot be read or a check fails.
    """
    as_dict = list(DICTIONARY_COLUMNS[table])

    def read() -> tuple[pa.Table, pq.FileMetaData]:
        pf = pq.ParquetFile(path, page_checksum_verification=True, read_dictionary=as_dict)
        return pf.read(columns=columns), pf.metadata

    return checked_read(path, table, read, whole=columns is None)


def checked_read(
    path: str | Path,
    table: str,
    read: Callable[[], tuple[pa.Table, pq.FileMetaData]],
    *,
    whole: bool,
    verify: bool = True,
) -> pa.Table:
    """``read()`` of a part (its rows and footer), its columns and digest checked.

    Parameters
    ----------
    path : str or pathlib.Path
        The part, for messages and the digest of its bytes.
    table : str
        ``"cascades"`` or ``"participants"``: the columns expected.
    read : callable
        Reads the part (page checksums verified): the table and the footer.
    whole : bool
        Whether ``read`` gives every row and column (the content digest of a part
        of an earlier version can only be checked then).
    verify : bool
        Check the digest (the columns are checked in any case).

    Raises
    ------
    ResultsError
        Naming the file, if it cannot be read or a check fails.
    """
    try:
        t, footer = read()
        problem = schema_problem(t, table)
        if verify and problem is None:
            problem = digest_problem(path, footer, t if whole else None)
    except Exception as e:  # corrupt bytes can break any layer below
        # (a flipped bit can change a column's type or its dictionary, and pyarrow,
        # numpy or the digest then fail in many ways: each is a corrupt part)
        raise ResultsError(f"{path}: corrupt part ({_one_line(e)})", repairable=True) from None
    if problem:
        raise ResultsError(f"{path}: corrupt part ({problem})", repairable=True)
    return t


def verify_part(path: Path, table: str, start: int, stop: int) -> None:
    """Read a part whole (page checksums) and check its rows.

    Cascades need one row per replicate ``start .. stop - 1`` in order,
    participants replicates in that range.

    Raises
    ------
    ResultsError
        Naming the file, if it is corrupt.
    """
    rep = read_part(path, table).column("replicate").to_numpy()
    if table == "cascades":
        ok = rep.size == stop - start and (rep == np.arange(start, stop)).all()
    else:
        ok = rep.size == 0 or (rep.min() >= start and rep.max() < stop)
    if not ok:
        raise ResultsError(
            f"{path}: corrupt part (its replicates are not {start} .. {stop - 1})",
            repairable=True,
        )


def part_metadata(path: Path) -> dict[str, str]:
    """The ``escalate.*`` key-value metadata of a part (its footer only)."""
    try:
        md = pq.read_metadata(path).metadata or {}
    except (OSError, pa.ArrowException, ValueError) as e:
        raise ResultsError(f"{path}: corrupt part ({_one_line(e)})", repairable=True) from None
    try:
        return {k.decode(): v.decode() for k, v in md.items() if k.startswith(b"escalate.")}
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: corrupt part metadata", repairable=True) from None


def remove_temporaries(out: str | Path) -> int:
    """Delete temporary files left by an interrupted run; returns how many."""
    root = Path(out)
    found = [*root.glob(f".{MANIFEST}.tmp-*"), *root.glob(".write-test-*")]
    for table in TABLES:
        found += (root / table).glob("structure=*/.part-*.tmp-*")
    for p in found:
        p.unlink(missing_ok=True)
    return len(found)


def clear_results(out: str | Path) -> None:
    """Remove what a run writes (manifest, progress and tables), leaving other files."""
    for table in TABLES:
        shutil.rmtree(Path(out) / table, ignore_errors=True)
    (Path(out) / MANIFEST).unlink(missing_ok=True)
    (Path(out) / PROGRESS).unlink(missing_ok=True)


def holds_results(out: str | Path) -> bool:
    """True if ``out`` has a manifest or result tables."""
    p = Path(out)
    return (p / MANIFEST).exists() or any((p / t).exists() for t in TABLES)


def part_problems(
    path: Path, info: dict[str, Any], manifest: Manifest, start: int, stop: int
) -> list[str]:
    """How a part's metadata differs from what the manifest expects (empty: it is ours)."""
    md = part_metadata(path)
    problems = []
    if md.get("escalate.world_hash") != info["hash"]:
        problems.append("world hash")
    if md.get("escalate.seed") != str(manifest.seed):
        problems.append(f"seed {md.get('escalate.seed')} != {manifest.seed}")
    if md.get("escalate.replicate_start") != str(start) or md.get("escalate.replicate_stop") != str(
        stop
    ):
        problems.append("replicate range")
    return problems


def part_start(path: Path) -> int:
    """The first replicate a part's file name announces (-1 if it announces none)."""
    try:
        return int(path.name[len("part-") : -len(".parquet")])
    except ValueError:
        return -1


def scan_parts(
    out: str | Path, manifest: Manifest, table: str = "cascades", *, verify: bool = False
) -> dict[str, set[int]]:
    """The parts of ``table`` present, as ``{structure: {start, ...}}``, all checked.

    Every part present must belong to the manifest's layout, and its metadata
    must name the manifest's world hash, seed and replicate range. With
    ``verify``, every part is also read whole and its page checksums and row
    count checked. Missing parts are allowed (see :func:`check_parts`). Hidden
    temporary files are ignored.

    Raises
    ------
    ResultsError
        On a structure directory or a part that is not the manifest's, a part
        of another world or seed (a *foreign* part), or a corrupt part.
    """
    root = Path(out) / table
    dirs = sorted(root.glob("structure=*")) if root.is_dir() else []
    found = {d.name.split("=", 1)[1] for d in dirs}
    foreign = sorted(found - set(manifest.worlds))
    if foreign:
        raise ResultsError(
            f"{root}: holds structure(s) not in {MANIFEST}: {', '.join(foreign)} "
            "(results of another run?)",
            repairable=True,
        )
    want = dict(manifest.chunks())
    present: dict[str, set[int]] = {}
    for name, info in manifest.worlds.items():
        d = root / f"structure={name}"
        present[name] = set()
        for f in sorted(d.glob("part-*.parquet")) if d.is_dir() else []:
            start = part_start(f)
            if start not in want or f != part_path(out, table, name, start):
                raise ResultsError(
                    f"{f}: unexpected part, not in this run's layout "
                    f"(chunk size {manifest.chunk_size}, {manifest.replicates} replicates)",
                    repairable=True,
                )
            problems = part_problems(f, info, manifest, start, want[start])
            if problems:
                raise ResultsError(
                    f"{f}: foreign part, not of this run ({'; '.join(problems)} "
                    f"differ from {MANIFEST})",
                    repairable=True,
                )
            if verify:
                verify_part(f, table, start, want[start])
            present[name].add(start)
    return present


def check_parts(out: str | Path, manifest: Manifest, table: str = "cascades") -> None:
    """Check that ``table`` holds exactly the parts the manifest promises.

    Raises
    ------
    ResultsError
        On a missing part, a part of another world or seed, an unknown
        structure, or a part outside the run's layout.
    """
    present = scan_parts(out, manifest, table)
    starts = [s for s, _ in manifest.chunks()]
    for name in manifest.worlds:
        missing = [s for s in starts if s not in present[name]]
        if missing:
            first = part_path(out, table, name, missing[0])
            raise ResultsError(
                f"{first.parent}: {len(missing)} of {len(starts)} parts missing "
                f"(first: {first.name}); the run is incomplete",
                hint="resume",
            )
