"""Reading a finished run back: one DataFrame per table, every part checked."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import ResultsError
from .store import DICTIONARY_COLUMNS, check_parts, read_manifest, read_part

__all__ = ["read_results"]


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
        The run directory (``out`` of :func:`escalate.run`).
    participants
        Read the participants table (one row per belligerent) instead of the
        cascades table.
    structures
        Only these structures (world names).
    columns
        Only these columns (``structure`` is always included).
    check
        Verify the manifest and every part's metadata first (cheap: footers
        only). Page checksums are verified in any case.

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
    >>> df = read_results("out")  # doctest: +SKIP
    >>> df.groupby("structure", observed=True)["world_war"].mean()  # doctest: +SKIP
    """
    manifest = read_manifest(out)
    table = "participants" if participants else "cascades"
    if participants and not manifest.participants:
        raise ResultsError(f"{out}: this run was made without participants")
    names = list(manifest.worlds) if structures is None else list(structures)
    unknown = [s for s in names if s not in manifest.worlds]
    if unknown:
        raise ResultsError(
            f"{out}: no structure named {unknown[0]!r} (have: {', '.join(manifest.worlds)})"
        )
    if check:
        check_parts(out, manifest, table)
    cols = None if columns is None else [c for c in columns if c != "structure"]
    tables: list[pa.Table] = []
    counts: list[tuple[int, int]] = []
    for i, name in enumerate(names):
        d = Path(out) / table / f"structure={name}"
        for f in sorted(d.glob("part-*.parquet")):
            t = read_part(f, table, columns=cols)
            tables.append(t)
            counts.append((i, t.num_rows))
    if not tables:
        raise ResultsError(f"{Path(out) / table}: no parts to read")
    df = pa.concat_tables(tables).to_pandas()
    codes = np.concatenate([np.full(n, i, dtype=np.int32) for i, n in counts])
    df.insert(0, "structure", pd.Categorical.from_codes(codes, categories=names))
    for col in DICTIONARY_COLUMNS[table]:
        if col in df.columns and not isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype("category")
    return df
