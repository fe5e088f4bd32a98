"""Reading a finished run back, part by part, every part checked as it is read.

Three readers share one scan (:func:`scan_results`): a run's table is read part
by part (the ``structure=<name>`` folders of the store), with the structure,
column and replicate-range selections applied (structures and replicate ranges
skip whole parts by their names, unread columns are never decoded), ids and
labels kept as dictionaries.

* :func:`scan_results` yields one Arrow table per part: memory is one part.
* :func:`read_results` concatenates them into one DataFrame.
* :func:`participant_counts` aggregates each part with ``group_by`` and adds the
  counts up: the participants of a run (a quarter of a billion rows for 2 worlds
  x 20 million replicates) are counted without ever being held at once.

What is verified: the manifest and every part's footer metadata (world hash,
seed, replicate range; :func:`escalate.results.store.check_parts`) before
anything is read, unless ``check=False``; then, as each part is read
(:func:`escalate.results.store.read_checked`, on one open file that must be a
regular file, not a link): its footer again against the manifest the scan
started with (a directory replaced meanwhile by another job is reported, never
mixed), its row counts against its replicate range (before decoding), the
digest of its bytes (:mod:`escalate.results.digest`; ``verify=False`` skips
only this), every page checksum, every array, the columns, and its replicates.
A replicate range selects rows after these checks: footer statistics are never
trusted to skip rows.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import ResultsError
from .lock import describe_holder, held_by_another
from .schema import SCHEMAS
from .store import (
    DICTIONARY_COLUMNS,
    Manifest,
    PartSpec,
    check_parts,
    part_spec,
    part_start,
    read_checked,
    read_manifest,
)

__all__ = [
    "cascade_counts",
    "participant_counts",
    "read_results",
    "scan_results",
    "scan_windows",
]


def _selection(
    out: str | Path, manifest: Manifest, structures: Iterable[str] | None, table: str
) -> list[str]:
    names = list(manifest.worlds) if structures is None else [str(s) for s in structures]
    unknown = [s for s in names if s not in manifest.worlds]
    if unknown:
        raise ResultsError(
            f"{out}: no structure named {unknown[0]!r} (have: {', '.join(manifest.worlds)})"
        )
    return names


def _file_columns(table: str, columns: Sequence[str] | None) -> list[str] | None:
    """The part columns to read (``structure`` is the partition, never read)."""
    if columns is None:
        return None
    have = SCHEMAS[table].names
    cols = [c for c in columns if c != "structure"]
    unknown = [c for c in cols if c not in have]
    if unknown:
        raise ResultsError(
            f"the {table} table has no column named {unknown[0]!r} (have: {', '.join(have)})"
        )
    return cols


def _progress(total: int, desc: str, enabled: bool):
    """A tqdm bar over parts on stderr (shown on terminals only), or None."""
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="part", file=sys.stderr, disable=None, leave=False)


def scan_results(
    out: str | Path,
    participants: bool = False,
    *,
    structures: Iterable[str] | None = None,
    columns: Sequence[str] | None = None,
    replicates: tuple[int, int] | None = None,
    check: bool = True,
    verify: bool = True,
    progress: bool = False,
) -> Iterator[tuple[str, pa.Table]]:
    """Stream a finished run's results, one part at a time.

    Parameters
    ----------
    out
        The run directory (``out`` of :func:`escalate.run`).
    participants
        Scan the participants table instead of the cascades table.
    structures
        Only these structures, in this order (default: the manifest's order).
        Parts of other structures are not opened.
    columns
        Only these columns (``structure`` is ignored: it is yielded as a name).
        Other columns are not decoded.
    replicates
        Only replicates ``start <= replicate < stop``: parts outside the range are
        not opened; the rows of the others are selected after the part is checked.
    check
        Verify the manifest and every part's footer metadata first (see the
        module docstring for what is verified in any case).
    verify
        Check every part's digest (default; it covers the file's bytes, which are
        hashed: about a millisecond per million cascades; a part of an earlier
        version is decoded whole first). ``False`` skips only the digest.
    progress
        Show a progress bar over the parts on stderr (terminals only).

    Yields
    ------
    tuple of (str, pyarrow.Table)
        The structure's name and one part's selected rows and columns, parts in
        replicate order within each structure; ids and labels are dictionary
        arrays.

    Raises
    ------
    ResultsError
        If the directory is not a complete escalate run, holds parts of another
        world or seed, a part is corrupt (the message names it), or a structure
        or column is unknown.

    Examples
    --------
    >>> import pyarrow.compute as pc
    >>> parts = scan_results("out", columns=["world_war"])
    >>> wars = sum(pc.sum(t["world_war"]).as_py() for _, t in parts)
    >>> wars == int(read_results("out")["world_war"].sum())
    True
    """
    plan = _Plan(out, participants, structures, columns, replicates, check, verify)
    bar = _progress(plan.total, f"reading {plan.table}", progress)
    try:
        for name in plan.names:
            for part in plan.by_name[name]:
                yield name, plan.read(part)
                if bar is not None:
                    bar.update()
    finally:
        if bar is not None:
            bar.close()


def scan_windows(
    out: str | Path,
    *,
    structures: Iterable[str] | None = None,
    columns: Sequence[str] | None = None,
    check: bool = True,
    verify: bool = True,
    progress: bool = False,
) -> Iterator[tuple[int, dict[str, pa.Table]]]:
    """Stream a run's cascades one replicate range at a time, every structure together.

    The parts of all structures that start at the same replicate (the run's
    ``chunk_size`` makes them cover the same range) are read and yielded
    together, so paired analyses see a structure's rows and the baseline's rows
    of the same replicates at once. Memory is one part per structure.

    Parameters
    ----------
    out
        The run directory.
    structures, columns, check, verify, progress
        As for :func:`scan_results`.

    Yields
    ------
    tuple of (int, dict of str to pyarrow.Table)
        The first replicate of the range and, for each structure that has a
        part there (in the order of ``structures``), that part's selected
        columns; ranges in replicate order.

    Raises
    ------
    ResultsError
        As :func:`scan_results`.

    Examples
    --------
    >>> for start, parts in scan_windows("out", columns=["replicate", "world_war"]):
    ...     print(start, {name: t.num_rows for name, t in parts.items()})
    0 {'europe_1914': 2000, 'europe_1914_no_alliances': 2000}
    """
    plan = _Plan(out, False, structures, columns, None, check, verify)
    starts: dict[int, dict[str, _Part]] = {}
    for name in plan.names:
        for part in plan.by_name[name]:
            starts.setdefault(part.first, {})[name] = part
    bar = _progress(plan.total, "reading cascades", progress)
    try:
        for first in sorted(starts):
            frags = starts[first]
            window = {}
            for name in plan.names:
                if name in frags:
                    window[name] = plan.read(frags[name])
                    if bar is not None:
                        bar.update()
            yield first, window
            del window
    finally:
        if bar is not None:
            bar.close()


class _Plan:
    """The parts a scan reads and how: selections checked, part files found."""

    def __init__(
        self,
        out: str | Path,
        participants: bool,
        structures: Iterable[str] | None,
        columns: Sequence[str] | None,
        replicates: tuple[int, int] | None,
        check: bool,
        verify: bool,
    ) -> None:
        self.out = out
        manifest = self.manifest = read_manifest(out)
        table = "participants" if participants else "cascades"
        if participants and not manifest.participants:
            raise ResultsError(f"{out}: this run was made without participants")
        self.table = table
        self.names = _selection(out, manifest, structures, table)
        self.columns = _file_columns(table, columns)
        self.verify = verify
        self.replicates = None
        if replicates is not None:
            self.replicates = (int(replicates[0]), int(replicates[1]))
        if check:
            self._explained(check_parts, out, manifest, table)
        layout = dict(manifest.chunks())
        self.by_name: dict[str, list[_Part]] = {}
        for name in self.names:
            d = Path(out) / table / f"structure={name}"
            found = []
            for f in sorted(d.glob("part-*.parquet")) if d.is_dir() else []:
                first = part_start(f)
                if first in layout:
                    spec = part_spec(manifest, name, first)
                else:  # not the run's (check=False): its range as its name says
                    spec = PartSpec(first, first + manifest.chunk_size)
                if self.replicates is None or (
                    spec.start < self.replicates[1] and spec.stop > self.replicates[0]
                ):
                    found.append(_Part(name, first, str(f), spec))
            self.by_name[name] = sorted(found, key=lambda p: p.first)
        if not any(self.by_name.values()) and replicates is None:
            raise ResultsError(f"{Path(out) / table}: no parts to read")
        self.total = sum(len(v) for v in self.by_name.values())

    def read(self, frag: _Part) -> pa.Table:
        """One part's selected rows and columns, checked against the manifest read first.

        Each part is checked as it is read (its footer names the world, seed and
        range of the manifest the scan started with), so a scan running while
        another job replaces the directory fails rather than mixing two runs.
        """
        return self._explained(
            _read_fragment, frag, self.table, self.columns, self.replicates, self.verify
        )

    def _explained(self, f, *args, **kwargs):
        """``f(*args, **kwargs)``; a results error caused by another job writing says so."""
        try:
            return f(*args, **kwargs)
        except ResultsError as e:
            raise _while_written(self.out, self.manifest, e) from None


@dataclass(frozen=True)
class _Part:
    """A part a scan reads: its structure, first replicate, file and what it must be."""

    name: str
    first: int
    path: str
    spec: PartSpec


def _read_fragment(
    frag: _Part,
    kind: str,
    columns: list[str] | None,
    replicates: tuple[int, int] | None,
    verify: bool,
) -> pa.Table:
    """One part's selection (:func:`~escalate.results.store.read_checked`)."""
    return read_checked(
        frag.path, kind, columns, spec=frag.spec, replicates=replicates, verify=verify
    )


def _while_written(out: str | Path, manifest: Manifest, e: ResultsError) -> ResultsError:
    """``e``, or what explains it: another job writing ``out``, or having replaced it."""
    info = held_by_another(out)
    if info is not None:
        return ResultsError(
            f"{out}: another escalate job is writing it ({describe_holder(info)}); "
            "read it again when that job has finished"
        )
    try:
        now = read_manifest(out)
    except ResultsError:
        return e
    if now.same_job(manifest) is not None:
        return ResultsError(
            f"{out}: replaced by another job (--overwrite) while it was read; read it again"
        )
    return e


def read_results(
    out: str | Path,
    participants: bool = False,
    *,
    structures: Iterable[str] | None = None,
    columns: Sequence[str] | None = None,
    replicates: tuple[int, int] | None = None,
    check: bool = True,
    verify: bool = True,
    progress: bool = False,
) -> pd.DataFrame:
    """Read a finished run's results as one DataFrame.

    Parameters
    ----------
    out
        The run directory (``out`` of :func:`escalate.run`).
    participants
        Read the participants table (one row per belligerent) instead of the
        cascades table. To count participants without reading them all, see
        :func:`participant_counts`.
    structures
        Only these structures (world names); other parts are not opened.
    columns
        Only these columns (``structure`` is always included); other columns
        are not decoded.
    replicates
        Only replicates ``start <= replicate < stop`` (other parts are not
        opened).
    check
        Verify the manifest and every part's metadata first (cheap: footers
        only). Each part is checked again as it is read (see the module
        docstring).
    verify
        Check every part's digest (default; see :func:`scan_results`).
    progress
        Show a progress bar over the parts on stderr (terminals only).

    Returns
    -------
    pandas.DataFrame
        Sorted by structure and replicate; ``structure`` and every id and
        label (``initiator``, ``target``, ``winner``; ``nation``, ``side``,
        ``via``, ``source``) are categorical.

    Raises
    ------
    ResultsError
        If the directory is not a complete escalate run, holds parts of
        another world or seed, or a part is corrupt (the message names it).

    Examples
    --------
    >>> df = read_results("out")
    >>> rates = df.groupby("structure", observed=True)["world_war"].mean()
    >>> rates.index.tolist()
    ['europe_1914', 'europe_1914_no_alliances']
    >>> bool(rates["europe_1914"] > rates["europe_1914_no_alliances"])
    True
    >>> first = read_results("out", columns=["world_war"], replicates=(0, 1000))
    >>> len(first), first.columns.tolist()
    (2000, ['structure', 'world_war'])
    """
    table = "participants" if participants else "cascades"
    names = _selection(out, read_manifest(out), structures, table)
    tables: list[pa.Table] = []
    counts: list[tuple[int, int]] = []
    index = {name: i for i, name in enumerate(names)}
    scan = scan_results(
        out,
        participants,
        structures=names,
        columns=columns,
        replicates=replicates,
        check=check,
        verify=verify,
        progress=progress,
    )
    for name, t in scan:
        tables.append(t)
        counts.append((index[name], t.num_rows))
    if not tables:
        schema = SCHEMAS[table]
        cols = _file_columns(table, columns)
        tables.append(schema.empty_table().select(schema.names if cols is None else cols))
        counts.append((0, 0))
    whole = pa.concat_tables(tables)
    del tables
    df = whole.to_pandas(self_destruct=True, split_blocks=True)
    del whole
    codes = np.concatenate([np.full(n, i, dtype=np.int32) for i, n in counts])
    df.insert(0, "structure", pd.Categorical.from_codes(codes, categories=names))
    for col in DICTIONARY_COLUMNS[table]:
        if col in df.columns and not isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype("category")
    return df


def participant_counts(
    out: str | Path,
    by: Sequence[str] = ("nation", "side", "round"),
    *,
    structures: Iterable[str] | None = None,
    replicates: tuple[int, int] | None = None,
    check: bool = True,
    progress: bool = False,
) -> pd.DataFrame:
    """Participant rows per structure and ``by`` values, counted part by part.

    Each part is read (only the ``by`` columns) and aggregated with Arrow's
    ``group_by``; the per-part counts are then added up. Memory is one part's
    ``by`` columns plus the counts, whatever the number of participant rows.

    Parameters
    ----------
    out
        The run directory; it must have been run with participants.
    by
        Participant columns to count by (default ``nation``, ``side``,
        ``round``: what the figures need).
    structures, replicates, check, progress
        As for :func:`scan_results`.

    Returns
    -------
    pandas.DataFrame
        Columns ``structure``, the ``by`` columns and ``count`` (int64), one
        row per combination that occurs, sorted; ``structure`` and the labels
        are categorical. ``df.groupby(keys, observed=True)["count"].sum()``
        equals ``read_results(out, participants=True).groupby(keys,
        observed=True).size()`` for any keys among ``structure`` and ``by``.

    Raises
    ------
    ResultsError
        As :func:`scan_results`.

    Examples
    --------
    >>> c = participant_counts("out", by=["nation"])
    >>> wide = c.pivot(index="nation", columns="structure", values="count").fillna(0)
    >>> wide.loc["AUH"].tolist()  # the initiator, in every cascade of both worlds
    [2000.0, 2000.0]
    >>> int(c["count"].sum()) == len(read_results("out", participants=True))
    True
    """
    return _counts(out, "participants", by, structures, replicates, check, True, progress)


def cascade_counts(
    out: str | Path,
    by: Sequence[str] = ("world_war", "deterred", "belligerents", "rounds"),
    *,
    structures: Iterable[str] | None = None,
    replicates: tuple[int, int] | None = None,
    check: bool = True,
    verify: bool = True,
    progress: bool = False,
) -> pd.DataFrame:
    """Cascades per structure and ``by`` values, counted part by part.

    The cascades' counterpart of :func:`participant_counts`: each part's ``by``
    columns are aggregated with Arrow's ``group_by`` and the counts added up,
    so memory is one part plus the counts. :func:`escalate.viz.plots.figures_of`
    draws the cascade figures from these counts (a ``count`` column weights
    each row).

    Parameters
    ----------
    out
        The run directory.
    by
        Cascade columns to count by (default: what the figures need).
    structures, replicates, check, verify, progress
        As for :func:`scan_results`.

    Returns
    -------
    pandas.DataFrame
        Columns ``structure``, the ``by`` columns and ``count`` (int64), one
        row per combination that occurs, sorted; ``structure`` is
        categorical in the run's order.

    Raises
    ------
    ResultsError
        As :func:`scan_results`.

    Examples
    --------
    >>> c = cascade_counts("out", by=["world_war"])
    >>> c.columns.tolist()
    ['structure', 'world_war', 'count']
    >>> c.groupby("structure", observed=True)["count"].sum().tolist()
    [2000, 2000]
    """
    return _counts(out, "cascades", by, structures, replicates, check, verify, progress)


def _counts(
    out: str | Path,
    table: str,
    by: Sequence[str],
    structures: Iterable[str] | None,
    replicates: tuple[int, int] | None,
    check: bool,
    verify: bool,
    progress: bool,
) -> pd.DataFrame:
    """Rows of ``table`` per structure and ``by`` columns, aggregated part by part."""
    keys = list(by)
    if not keys or "structure" in keys or len(set(keys)) != len(keys):
        raise ValueError(f"by must name distinct {table[:-1]} columns, got {keys}")
    names = _selection(out, read_manifest(out), structures, table)
    parts: list[pd.DataFrame] = []
    scan = scan_results(
        out,
        table == "participants",
        structures=names,
        columns=keys,
        replicates=replicates,
        check=check,
        verify=verify,
        progress=progress,
    )
    for name, t in scan:
        g = t.group_by(keys).aggregate([([], "count_all")]).to_pandas()
        for c in keys:  # labels as text: parts may have different dictionaries
            if isinstance(g[c].dtype, pd.CategoricalDtype):
                g[c] = g[c].astype(object)
        g.insert(0, "structure", name)
        parts.append(g)
    cols = ["structure", *keys]
    if not parts:
        empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
        return _typed_counts(empty.assign(count=np.zeros(0, np.int64)), names, keys, table)
    summed = (
        pd.concat(parts, ignore_index=True)
        .groupby(cols, dropna=False, sort=False)["count_all"]
        .sum()
        .rename("count")
        .reset_index()
    )
    return _typed_counts(summed, names, keys, table)


def _typed_counts(df: pd.DataFrame, names: list[str], keys: list[str], table: str) -> pd.DataFrame:
    """Structure and labels as categoricals, sorted, ``count`` as int64."""
    df["structure"] = pd.Categorical(df["structure"], categories=names)
    for c in keys:
        if c in DICTIONARY_COLUMNS[table]:
            df[c] = df[c].astype("category")
        else:
            df[c] = df[c].astype(SCHEMAS[table].field(c).type.to_pandas_dtype())
    df["count"] = df["count"].astype(np.int64)
    return df.sort_values(["structure", *keys], kind="stable", ignore_index=True)
