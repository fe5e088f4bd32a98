"""Parquet results: layout, metadata, atomic writes, the run manifest, read-back.

Layout of a run directory::

    DIR/manifest.json                                  worlds (name, canonical hash),
                                                       seed, layout, versions, status,
                                                       replicate ranges done
    DIR/cascades/structure=<name>/part-<start>.parquet one row per replicate
    DIR/participants/structure=<name>/part-<start>.parquet   (with --participants)

Each part file holds the replicates ``start .. stop - 1`` of one world and
carries key-value metadata (``escalate.*`` keys: world name and canonical hash,
seed, replicate range, escalate and numba versions). A part is written under a
hidden temporary name and renamed when complete, so a reader never sees half a
file; ``pandas.read_parquet(DIR / "cascades")`` works on a finished or
unfinished run alike (hidden files are ignored). Only the process that runs the
job (with Dask: the client) writes the manifest, atomically too. The part files
present are the truth about what is done; the manifest's ``done`` ranges follow
them (they may lag by one part after a ``kill -9``). :func:`read_results` checks
every part's metadata against the manifest before reading.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__

__all__ = [
    "MANIFEST",
    "Manifest",
    "ResultsError",
    "part_path",
    "read_manifest",
    "read_results",
    "scan_parts",
    "write_part",
]

MANIFEST = "manifest.json"
TABLES = ("cascades", "participants")
FORMAT_VERSION = 1


class ResultsError(ValueError):
    """A results directory that is missing, incomplete, foreign or inconsistent."""


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
    #: can land between a part's rename and the manifest update).
    done: dict[str, list[list[int]]] = field(default_factory=dict)
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
        return json.dumps(self.__dict__, indent=2)


def read_manifest(out: str | Path) -> Manifest:
    """Read ``DIR/manifest.json``.

    Raises
    ------
    ResultsError
        If it is missing or unreadable.
    """
    path = Path(out) / MANIFEST
    try:
        data = json.loads(path.read_text())
        return Manifest(**data)
    except FileNotFoundError:
        raise ResultsError(f"{out}: no {MANIFEST}; not an escalate results directory") from None
    except (OSError, ValueError, TypeError) as e:
        raise ResultsError(f"{path}: unreadable manifest ({e})") from None


def write_manifest(out: str | Path, manifest: Manifest) -> None:
    """Write the manifest atomically."""
    _atomic_write_bytes(Path(out) / MANIFEST, manifest.to_json().encode())


def _tmp_name(path: Path) -> Path:
    """A hidden temporary sibling of ``path``, unique per process and thread."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """Write to the yielded hidden temporary path; it becomes ``path`` only if the block
    succeeds (fsync, then rename) and is removed if it fails."""
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
    with _atomic(path) as tmp:
        tmp.write_bytes(data)


def part_path(out: str | Path, table: str, structure: str, start: int) -> Path:
    """Where the part starting at replicate ``start`` of ``structure`` lives."""
    return Path(out) / table / f"structure={structure}" / f"part-{start:012d}.parquet"


def write_part(path: Path, table: pa.Table, metadata: dict[str, str]) -> None:
    """Write one part atomically: a hidden temporary file, fsync, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(table.schema.metadata or {})
    meta.update({k.encode(): v.encode() for k, v in metadata.items()})
    table = table.replace_schema_metadata(meta)
    with _atomic(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", compression_level=1)


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
    """Remove what a run writes (manifest and tables), leaving other files alone."""
    for table in TABLES:
        shutil.rmtree(Path(out) / table, ignore_errors=True)
    (Path(out) / MANIFEST).unlink(missing_ok=True)


def holds_results(out: str | Path) -> bool:
    """True if ``out`` has a manifest or result tables."""
    p = Path(out)
    return (p / MANIFEST).exists() or any((p / t).exists() for t in TABLES)


def _file_meta(path: Path) -> dict[str, str]:
    try:
        md = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowException) as e:
        raise ResultsError(f"{path}: unreadable part ({_one_line(e)})") from None
    return {k.decode(): v.decode() for k, v in md.items() if k.startswith(b"escalate.")}


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())


def scan_parts(out: str | Path, manifest: Manifest, table: str = "cascades") -> dict[str, set[int]]:
    """The parts of ``table`` present, as ``{structure: {start, ...}}``, all checked.

    Every part present must belong to the manifest's layout, and its metadata
    must name the manifest's world hash, seed and replicate range. Missing parts
    are allowed (see :func:`check_parts`). Hidden temporary files are ignored.

    Raises
    ------
    ResultsError
        On a structure directory or a part that is not the manifest's, or a part
        of another world or seed (a *foreign* part).
    """
    root = Path(out) / table
    dirs = sorted(root.glob("structure=*")) if root.is_dir() else []
    found = {d.name.split("=", 1)[1] for d in dirs}
    foreign = sorted(found - set(manifest.worlds))
    if foreign:
        raise ResultsError(
            f"{root}: holds structure(s) not in {MANIFEST}: {', '.join(foreign)} "
            "(results of another run?)"
        )
    want = dict(manifest.chunks())
    present: dict[str, set[int]] = {}
    for name, info in manifest.worlds.items():
        d = root / f"structure={name}"
        present[name] = set()
        for f in sorted(d.glob("part-*.parquet")) if d.is_dir() else []:
            try:
                start = int(f.name[len("part-") : -len(".parquet")])
            except ValueError:
                start = -1
            if start not in want or f != part_path(out, table, name, start):
                raise ResultsError(
                    f"{f}: unexpected part, not in this run's layout "
                    f"(chunk size {manifest.chunk_size}, {manifest.replicates} replicates)"
                )
            md = _file_meta(f)
            problems = []
            if md.get("escalate.world_hash") != info["hash"]:
                problems.append("world hash")
            if md.get("escalate.seed") != str(manifest.seed):
                problems.append(f"seed {md.get('escalate.seed')} != {manifest.seed}")
            if md.get("escalate.replicate_start") != str(start) or md.get(
                "escalate.replicate_stop"
            ) != str(want[start]):
                problems.append("replicate range")
            if problems:
                raise ResultsError(
                    f"{f}: foreign part, not of this run ({'; '.join(problems)} "
                    f"differ from {MANIFEST})"
                )
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
                f"(first: {first.name}); the run is incomplete: finish it with "
                "`escalate run ... --resume`"
            )


def read_results(
    out: str | Path,
    participants: bool = False,
    *,
    structures: Iterable[str] | None = None,
    columns: list[str] | None = None,
    check: bool = True,
) -> pd.DataFrame:
    """Read a finished run's results as one DataFrame.

    Parameters
    ----------
    out
        The run directory (``--out`` of ``escalate run``).
    participants
        Read the participants table (one row per belligerent) instead of the
        cascades table.
    structures
        Only these structures (world names).
    columns
        Only these columns (``structure`` is always included).
    check
        Verify the manifest and every part's metadata first (cheap: footers only).

    Returns
    -------
    pandas.DataFrame
        Sorted by structure and replicate; ``structure``, ``initiator``,
        ``target`` (and ``nation``) are categorical.

    Raises
    ------
    ResultsError
        If the directory is not a complete escalate run, or holds parts of
        another world or seed.

    Examples
    --------
    >>> df = read_results("out")  # doctest: +SKIP
    >>> df.groupby("structure", observed=True)["world_war"].mean()  # doctest: +SKIP
    """
    manifest = read_manifest(out)
    table = "participants" if participants else "cascades"
    if participants and not manifest.participants:
        raise ResultsError(f"{out}: this run was made without --participants")
    names = list(manifest.worlds) if structures is None else list(structures)
    unknown = [s for s in names if s not in manifest.worlds]
    if unknown:
        raise ResultsError(
            f"{out}: no structure named {unknown[0]!r} (have: {', '.join(manifest.worlds)})"
        )
    if check:
        check_parts(out, manifest, table)
    cols = None if columns is None else [c for c in columns if c != "structure"]
    # Read id columns as Arrow dictionaries: they become pandas categoricals
    # without first materialising one Python string per row.
    as_dict = [c for c in ("initiator", "target", "nation") if cols is None or c in cols]
    tables: list[pa.Table] = []
    counts: list[tuple[int, int]] = []
    for i, name in enumerate(names):
        d = Path(out) / table / f"structure={name}"
        for f in sorted(d.glob("part-*.parquet")):
            t = pq.read_table(f, columns=cols, read_dictionary=as_dict)
            tables.append(t)
            counts.append((i, t.num_rows))
    if not tables:
        raise ResultsError(f"{Path(out) / table}: no parts to read")
    df = pa.concat_tables(tables).to_pandas()
    codes = np.concatenate([np.full(n, i, dtype=np.int32) for i, n in counts])
    df.insert(0, "structure", pd.Categorical.from_codes(codes, categories=names))
    for col in as_dict:
        if col in df.columns and not isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype("category")
    return df
