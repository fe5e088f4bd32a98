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

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .digest import BYTES_KEY, CONTENT_KEY, HashingFile, content_digest, file_digest
from .errors import ResultsError
from .files import atomic_path, create_new, open_regular, remove_tree
from .manifest import (
    FORMAT_VERSION,
    MANIFEST,
    MAX_PARTS,
    MAX_REPLICATES,
    MAX_SEED,
    PROGRESS,
    STATUSES,
    Manifest,
    clear_progress,
    read_manifest,
    record_progress,
    write_manifest,
)
from .schema import CASCADE_COLUMNS, PARTICIPANT_COLUMNS, categorical_columns, schema_problem

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST",
    "MAX_PARTS",
    "MAX_REPLICATES",
    "MAX_SEED",
    "PROGRESS",
    "STATUSES",
    "Manifest",
    "PartSpec",
    "ResultsError",
    "clear_progress",
    "part_path",
    "read_checked",
    "read_manifest",
    "read_part",
    "record_progress",
    "scan_parts",
    "write_manifest",
    "write_part",
]

QUARANTINE = "quarantine"
TABLES = ("cascades", "participants")

#: Columns read as Arrow dictionaries (pandas categoricals): ids and labels, per table.
DICTIONARY_COLUMNS = {
    "cascades": categorical_columns(CASCADE_COLUMNS),
    "participants": categorical_columns(PARTICIPANT_COLUMNS),
}


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


def _one_line(e: BaseException | str) -> str:
    return " ".join(str(e).split())


def _write_parquet(table: pa.Table, where: Path, metadata: dict[str, str]) -> None:
    """Write ``table`` to Parquet with page checksums (see :func:`parquet_options`).

    ``metadata`` and the digest of every byte before the footer
    (:mod:`.digest`, hashed as it is written) are stored once, in the footer.
    """
    with create_new(where) as raw:
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
        Where the part goes (:func:`part_path`); its table and structure folders
        are made if missing, the results directory is not (a directory moved
        away while a job runs is not made again).
    table : pyarrow.Table
        The part's rows.
    metadata : dict of str to str
        The part's key-value metadata; the digest of the bytes written before it is added to it.
    """
    path.parent.parent.mkdir(exist_ok=True)
    path.parent.mkdir(exist_ok=True)
    with atomic_path(path) as tmp:
        _write_parquet(table, tmp, metadata)


@dataclass(frozen=True)
class PartSpec:
    """What a part must be: its replicate range and, when known, world, seed and size.

    ``nations`` bounds the participant rows (one per nation per replicate at most).
    """

    start: int
    stop: int
    world_hash: str | None = None
    seed: int | None = None
    nations: int | None = None


def part_spec(manifest: Manifest, name: str, start: int) -> PartSpec:
    """What the part of ``name`` starting at ``start`` must be, by the manifest."""
    info = manifest.worlds[name]
    world = info.get("world") or {}
    nations = len(world.get("nations") or ()) or None
    stop = min(start + manifest.chunk_size, manifest.replicates)
    return PartSpec(start, stop, info["hash"], manifest.seed, nations)


def _corrupt(path: str | Path, why: object) -> ResultsError:
    return ResultsError(f"{path}: corrupt part ({_one_line(str(why))})", repairable=True)


def metadata_problems(md: dict[str, str], spec: PartSpec) -> list[str]:
    """How a part's ``escalate.*`` metadata differs from ``spec`` (empty: none)."""
    problems = []
    if spec.world_hash is not None and md.get("escalate.world_hash") != spec.world_hash:
        problems.append("world hash")
    if spec.seed is not None and md.get("escalate.seed") != str(spec.seed):
        problems.append(f"seed {md.get('escalate.seed')} != {spec.seed}")
    if md.get("escalate.replicate_start") != str(spec.start) or md.get(
        "escalate.replicate_stop"
    ) != str(spec.stop):
        problems.append("replicate range")
    return problems


def _footer_problem(footer: pq.FileMetaData, table: str, spec: PartSpec | None) -> str | None:
    """What the footer's row counts contradict (each other, the part's range), or None.

    Checked before anything is decoded: a part claiming more rows than its
    replicates allow is refused at the cost of its footer.
    """
    rows = footer.num_rows
    if sum(footer.row_group(i).num_rows for i in range(footer.num_row_groups)) != rows:
        return "its row counts disagree"
    if spec is None:
        return None
    n = spec.stop - spec.start
    if table == "cascades" and rows != n:
        return f"{rows:,} rows for the {n:,} replicates {spec.start} .. {spec.stop - 1}"
    if table == "participants" and spec.nations is not None and rows > n * spec.nations:
        return f"{rows:,} rows, more than {spec.nations:,} nations x {n:,} replicates"
    return None


def _escalate_keys(footer: pq.FileMetaData) -> dict[str, str]:
    md = footer.metadata or {}
    return {k.decode(): v.decode() for k, v in md.items() if k.startswith(b"escalate.")}


def read_checked(
    path: str | Path,
    table: str,
    columns: list[str] | None = None,
    *,
    spec: PartSpec | None = None,
    replicates: tuple[int, int] | None = None,
    verify: bool = True,
) -> pa.Table:
    """Read one part, every check made on one open file (no link, a regular file).

    In order: the footer (its row counts agree with each other and, with
    ``spec``, with the part's replicate range; its ``escalate.*`` metadata names
    ``spec``'s world, seed and range), the digest of its bytes (``verify``),
    before anything is decoded; then the columns (every page checksum, every
    array validated, the schema's names and types) and the replicates, which
    must be the part's own (cascades: each of ``spec``'s range once, in order).
    ``replicates`` selects rows after these checks: the footer's statistics are
    never trusted to skip rows.

    Raises
    ------
    ResultsError
        Naming the file, if it cannot be read or a check fails.
    """
    with open_regular(path) as f:
        try:
            pf = pq.ParquetFile(
                f, page_checksum_verification=True, read_dictionary=list(DICTIONARY_COLUMNS[table])
            )
            footer = pf.metadata
            md = _escalate_keys(footer)
        except Exception as e:  # a corrupt footer can break any layer below
            raise _corrupt(path, e) from None
        problems = metadata_problems(md, spec) if spec is not None else []
        if problems:
            raise ResultsError(
                f"{path}: foreign part, not of this run ({'; '.join(problems)} differ from "
                f"{MANIFEST})",
                repairable=True,
            )
        problem = _footer_problem(footer, table, spec)
        if problem:
            raise _corrupt(path, problem)
        try:
            if verify and BYTES_KEY in md and file_digest(f, footer.num_rows) != md[BYTES_KEY]:
                raise _corrupt(path, "its bytes do not match the digest written with them")
            old = verify and BYTES_KEY not in md and CONTENT_KEY in md
            t = _decode(pf, table, None if old else columns, spec, replicates)
            if old and content_digest(t) != md[CONTENT_KEY]:
                raise _corrupt(path, "its values do not match the digest written with them")
        except ResultsError:
            raise
        except Exception as e:  # corrupt bytes can break any layer below
            # (a flipped bit can change a column's type or its dictionary, and pyarrow,
            # numpy or the digest then fail in many ways: each is a corrupt part)
            raise _corrupt(path, e) from None
    t = _select(t, replicates, columns)
    problem = schema_problem(t, table)
    if problem:
        raise _corrupt(path, problem)
    return t


def _decode(
    pf: pq.ParquetFile,
    table: str,
    columns: list[str] | None,
    spec: PartSpec | None,
    replicates: tuple[int, int] | None,
) -> pa.Table:
    """The part's ``columns`` (and ``replicate``), validated, its replicates checked."""
    need = spec is not None or replicates is not None
    cols = columns
    if cols is not None and need and "replicate" not in cols:
        cols = [*cols, "replicate"]
    t = pf.read(columns=cols)
    t.validate(full=True)
    problem = schema_problem(t, table)
    if problem:
        raise ValueError(problem)
    if t.num_rows != pf.metadata.num_rows:
        raise ValueError("its row counts disagree")
    if spec is not None:
        rep = t.column("replicate").to_numpy()
        if table == "cascades":
            ok = rep.size == spec.stop - spec.start and bool(
                (rep == np.arange(spec.start, spec.stop)).all()
            )
        else:
            ok = rep.size == 0 or bool(rep.min() >= spec.start and rep.max() < spec.stop)
        if not ok:
            raise ValueError(f"its replicates are not {spec.start} .. {spec.stop - 1}")
    return t


def _select(t: pa.Table, replicates: tuple[int, int] | None, columns: list[str] | None) -> pa.Table:
    if replicates is not None:
        rep = t.column("replicate")
        t = t.filter(pc.and_(pc.greater_equal(rep, replicates[0]), pc.less(rep, replicates[1])))
    return t if columns is None else t.select(columns)


def read_part(path: Path, table: str, columns: list[str] | None = None) -> pa.Table:
    """Read one part of ``table``, verifying its checksums and its digest.

    Every page checksum read is verified, and the part's digest
    (:mod:`.digest`): the bytes of the file, whatever the columns read; for a
    part of an earlier version, its values (read whole to check them).

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
    return read_checked(path, table, columns)


def verify_part(
    path: Path, table: str, start: int, stop: int, spec: PartSpec | None = None
) -> None:
    """Read a part whole (page checksums, digest) and check its rows.

    Cascades need one row per replicate ``start .. stop - 1`` in order,
    participants replicates in that range; ``spec`` adds its world, seed and size.

    Raises
    ------
    ResultsError
        Naming the file, if it is corrupt.
    """
    read_checked(path, table, spec=spec or PartSpec(start, stop))


def part_metadata(path: Path) -> dict[str, str]:
    """The ``escalate.*`` key-value metadata of a part (its footer only)."""
    with open_regular(path) as f:
        try:
            return _escalate_keys(pq.read_metadata(f))
        except UnicodeDecodeError:
            raise ResultsError(f"{path}: corrupt part metadata", repairable=True) from None
        except Exception as e:
            raise _corrupt(path, e) from None


def remove_temporaries(out: str | Path) -> int:
    """Delete what an interrupted job left (temporaries, a swap's old run); returns how many."""
    root = Path(out)
    found = [
        *root.glob(f".{MANIFEST}.tmp-*"),
        *root.glob(".write-test-*"),
        *root.glob(".figures-tmp-*"),
        *root.glob(".replaced-*"),
    ]
    for table in TABLES:
        found += (root / table).glob("structure=*/.part-*.tmp-*")
    for p in found:
        remove_tree(p)
    return len(found)


def holds_results(out: str | Path) -> bool:
    """True if ``out`` has a manifest or result tables."""
    p = Path(out)
    return (p / MANIFEST).exists() or any((p / t).exists() for t in TABLES)


def part_problems(
    path: Path, info: dict[str, Any], manifest: Manifest, start: int, stop: int
) -> list[str]:
    """How a part's metadata differs from what the manifest expects (empty: it is ours)."""
    spec = PartSpec(start, stop, info["hash"], manifest.seed)
    return metadata_problems(part_metadata(path), spec)


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
    ``verify``, every part is also read whole and its page checksums, digest and
    rows checked. Missing parts are allowed (see :func:`check_parts`). Hidden
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
                read_checked(f, table, spec=part_spec(manifest, name, start))
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
