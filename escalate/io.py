"""Parquet results: layout, metadata, atomic writes, the run manifest, read-back.

Layout of a run directory::

    DIR/manifest.json                                  what was asked, what is done
    DIR/cascades/structure=<name>/part-<start>.parquet one row per replicate
    DIR/participants/structure=<name>/part-<start>.parquet   (with --participants)

Each part file holds the replicates ``start .. stop - 1`` of one world and
carries key-value metadata (``escalate.*`` keys: world name and canonical hash,
seed, replicate range, escalate and numba versions). A part is written under a
hidden temporary name and renamed when complete, so a reader never sees half a
file; ``pandas.read_parquet(DIR / "cascades")`` works on a finished or
unfinished run alike (hidden files are ignored).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    extra: dict[str, Any] = field(default_factory=dict)

    def chunks(self) -> list[tuple[int, int]]:
        """The replicate ranges [start, stop) of the run's parts."""
        c = self.chunk_size
        return [(s, min(s + c, self.replicates)) for s in range(0, self.replicates, c)]

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
                return f"different {key} ({getattr(other, key)} there, {getattr(self, key)} now)"
        return None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)


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


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def part_path(out: str | Path, table: str, structure: str, start: int) -> Path:
    """Where the part starting at replicate ``start`` of ``structure`` lives."""
    return Path(out) / table / f"structure={structure}" / f"part-{start:012d}.parquet"


def write_part(path: Path, table: pa.Table, metadata: dict[str, str]) -> None:
    """Write one part atomically: a hidden temporary file, fsync, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    meta = dict(table.schema.metadata or {})
    meta.update({k.encode(): v.encode() for k, v in metadata.items()})
    table = table.replace_schema_metadata(meta)
    try:
        pq.write_table(table, tmp, compression="zstd", compression_level=1)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def remove_temporaries(out: str | Path) -> int:
    """Delete temporary files left by an interrupted run; returns how many."""
    n = 0
    for table in TABLES:
        root = Path(out) / table
        if root.is_dir():
            for p in root.glob("structure=*/.part-*.tmp-*"):
                p.unlink(missing_ok=True)
                n += 1
    return n


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
    md = pq.read_schema(path).metadata or {}
    return {k.decode(): v.decode() for k, v in md.items() if k.startswith(b"escalate.")}


def check_parts(out: str | Path, manifest: Manifest, table: str = "cascades") -> None:
    """Check that ``table`` holds exactly the parts the manifest promises.

    Raises
    ------
    ResultsError
        On a missing part, a part of another world or seed, an unknown
        structure, or a gap/overlap in replicate ranges.
    """
    root = Path(out) / table
    expected = manifest.chunks()
    dirs = sorted(root.glob("structure=*")) if root.is_dir() else []
    found = {d.name.split("=", 1)[1] for d in dirs}
    foreign = sorted(found - set(manifest.worlds))
    if foreign:
        raise ResultsError(f"{root}: holds structure(s) not in the manifest: {', '.join(foreign)}")
    for name, info in manifest.worlds.items():
        d = root / f"structure={name}"
        files = {p.name: p for p in d.glob("part-*.parquet")} if d.is_dir() else {}
        want = {part_path(out, table, name, s).name: (s, e) for s, e in expected}
        missing = sorted(set(want) - set(files))
        if missing:
            raise ResultsError(
                f"{d}: {len(missing)} of {len(want)} parts missing (first: {missing[0]}); "
                "the run is incomplete: finish it with `escalate run ... --resume`"
            )
        extra = sorted(set(files) - set(want))
        if extra:
            raise ResultsError(f"{d}: unexpected part {extra[0]} (not in this run's layout)")
        for fname, (s, e) in want.items():
            md = _file_meta(files[fname])
            problems = []
            if md.get("escalate.world_hash") != info["hash"]:
                problems.append("world hash")
            if md.get("escalate.seed") != str(manifest.seed):
                problems.append("seed")
            if md.get("escalate.replicate_start") != str(s) or md.get(
                "escalate.replicate_stop"
            ) != str(e):
                problems.append("replicate range")
            if problems:
                raise ResultsError(
                    f"{files[fname]}: foreign part "
                    f"({', '.join(problems)} do not match the manifest)"
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
    if check:
        check_parts(out, manifest, table)
    names = list(manifest.worlds) if structures is None else list(structures)
    unknown = [s for s in names if s not in manifest.worlds]
    if unknown:
        raise ResultsError(
            f"{out}: no structure named {unknown[0]!r} (have: {', '.join(manifest.worlds)})"
        )
    frames = []
    for name in names:
        d = Path(out) / table / f"structure={name}"
        files = sorted(d.glob("part-*.parquet"))
        t = pa.concat_tables(pq.read_table(f, columns=columns) for f in files)
        df = t.to_pandas()
        df.insert(0, "structure", name)
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    df["structure"] = pd.Categorical(df["structure"], categories=names)
    for col in ("initiator", "target", "nation"):
        if col in df.columns and not isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype("category")
    return df
