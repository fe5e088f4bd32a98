"""Helpers shared by the analysis modules: optional imports, input checks, grouping.

Everything here is public within the package (the analysis and viz modules
import it); none of it is part of the documented API of :mod:`escalate`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "check_columns",
    "check_confidence",
    "row_weights",
    "structure_groups",
]


def check_confidence(confidence: float) -> None:
    """Raise ValueError unless ``0 < confidence < 1``."""
    if not (0.0 < float(confidence) < 1.0):
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")


def check_columns(results: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise unless ``results`` is a non-empty DataFrame with every column named.

    Parameters
    ----------
    results
        The table to check.
    columns
        Column names it must have.

    Raises
    ------
    TypeError
        ``results`` is not a DataFrame.
    ValueError
        A column is missing (all missing ones are named) or there are no rows.
    """
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame, got {type(results).__name__}")
    missing = [c for c in columns if c not in results.columns]
    if missing:
        raise ValueError(
            f"results lack the column(s) {', '.join(missing)} (expected the cascades table "
            "of docs/model.md, e.g. escalate.read_results(DIR))"
        )
    if len(results) == 0:
        raise ValueError("results are empty: no rows to analyse")


def structure_groups(results: pd.DataFrame) -> list[tuple[str, slice | np.ndarray]]:
    """(structure name, row selector) in a stable order.

    Parameters
    ----------
    results
        A table with a ``structure`` column.

    Returns
    -------
    list of (str, slice or numpy.ndarray)
        Categorical ``structure``: category order (observed categories only);
        otherwise order of first appearance. Selectors are slices when the rows
        are sorted by structure (as :func:`escalate.read_results` returns them),
        so columns are viewed, not copied; otherwise integer positions.

    Raises
    ------
    ValueError
        A row has no structure name, or two names are equal as text.
    """
    s = results["structure"]
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy()
        names = [str(c) for c in s.cat.categories]
    else:
        codes, uniques = pd.factorize(s, sort=False)
        names = [str(u) for u in uniques]
    if (codes < 0).any():
        raise ValueError("results have rows with a missing structure name")
    if codes.size and np.all(codes[1:] >= codes[:-1]):
        order, sorted_codes = None, codes
    else:
        order = np.argsort(codes, kind="stable")
        sorted_codes = codes[order]
    present = np.unique(sorted_codes)
    starts = np.searchsorted(sorted_codes, present, side="left")
    stops = np.searchsorted(sorted_codes, present, side="right")
    out: list[tuple[str, slice | np.ndarray]] = [
        (names[c], slice(int(a), int(b)) if order is None else order[a:b])
        for c, a, b in zip(present, starts, stops, strict=True)
    ]
    if len({n for n, _ in out}) != len(out):
        raise ValueError("two structures have the same name once converted to text")
    return out


#: The column that makes a table of counts stand for the rows it counts: a
#: row with ``count = c`` is ``c`` identical rows
#: (:func:`escalate.results.read.cascade_counts`).
COUNT = "count"


def row_weights(results: pd.DataFrame, idx: slice | np.ndarray) -> np.ndarray | None:
    """How many rows each selected row stands for, or None for a table of rows.

    Parameters
    ----------
    results
        A table of rows, or of counts with a ``count`` column.
    idx
        The selected rows (a selector of :func:`structure_groups`).

    Returns
    -------
    numpy.ndarray or None
        The ``count`` column at ``idx`` (int64), or None without one.
    """
    if COUNT not in results.columns:
        return None
    return results[COUNT].to_numpy(np.int64)[idx]
