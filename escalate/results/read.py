"""Reading a finished run back through :mod:`pyarrow.dataset`, every part checked.

Three readers share one scan (:func:`scan_results`): a run's table is a
``pyarrow.dataset`` partitioned by ``structure`` (the Hive-style directories of
the store), read part by part with the structure, column and replicate-range
selections pushed down (structures and replicate ranges skip whole parts, a
replicate range also skips row groups by their statistics, unread columns are
never decoded), ids and labels kept as dictionaries.

* :func:`scan_results` yields one Arrow table per part: memory is one part.
* :func:`read_results` concatenates them into one DataFrame.
* :func:`participant_counts` aggregates each part with ``group_by`` and adds the
  counts up: the participants of a run (a quarter of a billion rows for 2 worlds
  x 20 million replicates) are counted without ever being held at once.

What is verified: the manifest and every part's footer metadata (world hash,
seed, replicate range; :func:`escalate.results.store.check_parts`) before
anything is read, unless ``check=False``; the Parquet page checksums of every
page read, always; and a part's digest (:mod:`escalate.results.digest`: the
file's bytes) whenever the part is read whole (every column, no replicate
range), as :func:`escalate.results.store.read_part` does. A selection of columns
or replicates is checked by page checksums only, unless ``verify=True`` (what
``escalate compare``, ``plot`` and ``report`` do for the cascades: the digest of
each part's bytes is checked, then only the selection decoded; a part of an
earlier version, whose digest covers its values, is read whole first).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from .digest import BYTES_KEY
from .errors import ResultsError
from .schema import SCHEMAS
from .store import DICTIONARY_COLUMNS, Manifest, check_parts, checked_read, read_manifest

__all__ = [
    "cascade_counts",
    "participant_counts",
    "read_results",
    "scan_results",
    "scan_windows",
]


def _dataset(out: str | Path, table: str) -> ds.Dataset:
    """The table of a run as a dataset partitioned by ``structure``."""
    fmt = ds.ParquetFileFormat(
        read_options=ds.ParquetReadOptions(dictionary_columns=list(DICTIONARY_COLUMNS[table])),
        default_fragment_scan_options=ds.ParquetFragmentScanOptions(
            page_checksum_verification=True
        ),
    )
    part = ds.partitioning(pa.schema([("structure", pa.string())]), flavor="hive")
    root = Path(out) / table
    files = sorted(str(p) for p in root.glob("structure=*/part-*.parquet"))
    return ds.dataset(files, format=fmt, partitioning=part, partition_base_dir=str(root))


def _part_start(path: str) -> int:
    """The first replicate of a part, from its name (``part-<start>.parquet``)."""
    return int(Path(path).stem.split("-", 1)[1])


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
    verify: bool = False,
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
        not opened, row groups outside it are skipped by their statistics.
    check
        Verify the manifest and every part's footer metadata first (see the
        module docstring for what is verified in any case).
    verify
        Check every part's digest even when selecting columns or replicates (it
        covers the file's bytes, which are hashed: about a millisecond per million
        cascades; a part of an earlier version is decoded whole first).
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
    >>> parts = scan_results("out", columns=["world_war"])
    >>> wars = sum(pc.sum(t["world_war"]).as_py() for _, t in parts)
    >>> wars == int(read_results("out")["world_war"].sum())
    True
    """
    plan = _Plan(out, participants, structures, columns, replicates, check, verify)
    bar = _progress(plan.total, f"reading {plan.table}", progress)
    try:
        for name in plan.names:
            for _, frag in sorted(plan.by_name[name], key=lambda x: x[0]):
                yield name, plan.read(frag)
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
    verify: bool = False,
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
    starts: dict[int, dict[str, object]] = {}
    for name in plan.names:
        for first, frag in plan.by_name[name]:
            starts.setdefault(first, {})[name] = frag
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
    """The parts a scan reads and how: selections checked, fragments found."""

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
        manifest = read_manifest(out)
        table = "participants" if participants else "cascades"
        if participants and not manifest.participants:
            raise ResultsError(f"{out}: this run was made without participants")
        self.table = table
        self.names = _selection(out, manifest, structures, table)
        cols = _file_columns(table, columns)
        if check:
            check_parts(out, manifest, table)
        dataset = _dataset(out, table)
        self.whole = verify or (cols is None and replicates is None)
        self.all_cols = list(SCHEMAS[table].names)
        self.read_cols = self.all_cols if cols is None else cols
        self.selecting = cols is not None or replicates is not None
        self.row_filter = None
        if replicates is not None:
            start, stop = int(replicates[0]), int(replicates[1])
            self.row_filter = (pc.field("replicate") >= start) & (pc.field("replicate") < stop)
        self.by_name: dict[str, list] = {name: [] for name in self.names}
        for frag in dataset.get_fragments(filter=pc.field("structure").isin(self.names)):
            name = Path(frag.path).parent.name.split("=", 1)[1]
            first = _part_start(frag.path)
            if replicates is not None and not (
                first < stop and first + manifest.chunk_size > start
            ):
                continue
            self.by_name[name].append((first, frag))
        if not any(self.by_name.values()) and replicates is None:
            raise ResultsError(f"{Path(out) / table}: no parts to read")
        self.total = sum(len(v) for v in self.by_name.values())

    def read(self, frag) -> pa.Table:
        """One part's selected rows and columns, its digest checked when verifying.

        A part of an earlier version has a digest of its values: it is read whole
        first to check it.
        """
        if self.whole and self.selecting and not _digests_bytes(frag):
            t = _read_fragment(frag, self.table, self.all_cols, None, True)
            t = t.filter(self.row_filter) if self.row_filter is not None else t
            return t.select(self.read_cols)
        return _read_fragment(frag, self.table, self.read_cols, self.row_filter, self.whole)


def _digests_bytes(frag) -> bool:
    """Whether a part's footer holds the digest of its bytes (this version's parts)."""
    try:
        return BYTES_KEY.encode() in (frag.metadata.metadata or {})
    except Exception:  # a corrupt footer: reported when the part is read
        return True


def _read_fragment(frag, kind: str, columns: list[str], row_filter, verify: bool) -> pa.Table:
    """One part's selection; page checksums and columns always, the digest when ``verify``.

    The digest of a part of an earlier version covers its values: ``verify`` then
    expects every column and row to be read.
    """
    return checked_read(
        frag.path,
        kind,
        lambda: (frag.to_table(columns=columns, filter=row_filter), frag.metadata),
        whole=row_filter is None and len(columns) == len(SCHEMAS[kind]),
        verify=verify,
    )


def read_results(
    out: str | Path,
    participants: bool = False,
    *,
    structures: Iterable[str] | None = None,
    columns: Sequence[str] | None = None,
    replicates: tuple[int, int] | None = None,
    check: bool = True,
    verify: bool = False,
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
        Only replicates ``start <= replicate < stop`` (pushed down: other parts
        and row groups are skipped).
    check
        Verify the manifest and every part's metadata first (cheap: footers
        only). Page checksums are verified in any case, and a part's digest
        whenever all its columns and replicates are read.
    verify
        Check every part's digest even with a selection (see
        :func:`scan_results`).
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
    return _counts(out, "participants", by, structures, replicates, check, False, progress)


def cascade_counts(
    out: str | Path,
    by: Sequence[str] = ("world_war", "deterred", "belligerents", "rounds"),
    *,
    structures: Iterable[str] | None = None,
    replicates: tuple[int, int] | None = None,
    check: bool = True,
    verify: bool = False,
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
