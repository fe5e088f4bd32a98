"""A sweep's table of variants, ``DIR/variants.csv``: written atomically, read back checked.

A sweep (:func:`escalate.sweep`, ``escalate sweep``) runs every variant of a grid
as its own structure, and lists each variant's name with its swept values in
``variants.csv`` beside the run's tables (the rows of
:func:`escalate.model.sweep.variant_table`). It is one of the files of a results
directory (:data:`escalate.results.files.OWNED`): written under a hidden temporary
name and renamed into place, so a reader never sees half a table and a link there is
replaced, never written through. The figures, the report and ``escalate compare
--sweep`` read it back here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .files import write_csv

__all__ = ["VARIANTS_FILE", "check_variants", "read_variants", "write_variants"]

#: The table of variants of a sweep, inside its results directory.
VARIANTS_FILE = "variants.csv"


def write_variants(directory: str | Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """Write a sweep's table of variants into its results directory, atomically.

    Parameters
    ----------
    directory
        The sweep's results directory (it must exist).
    rows
        One row per variant: ``structure`` first, then one value per swept key
        (:func:`escalate.model.sweep.variant_table`).

    Returns
    -------
    pathlib.Path
        ``DIR/variants.csv``: a header line, then one line a variant.

    Raises
    ------
    ValueError
        No row, or a row without ``structure`` or without a swept key.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> path = write_variants(d, [{"structure": "w.deterrence-0.00", "dynamics.deterrence": 0.0},
    ...                           {"structure": "w.deterrence-0.50", "dynamics.deterrence": 0.5}])
    >>> print(path.read_text(), end="")
    structure,dynamics.deterrence
    w.deterrence-0.00,0.0
    w.deterrence-0.50,0.5
    >>> read_variants(d)["dynamics.deterrence"].tolist()
    [0.0, 0.5]
    """
    table = [dict(r) for r in rows]
    if not table:
        raise ValueError("a table of variants needs at least one variant")
    check_variants(list(table[0]), f"{VARIANTS_FILE} of {directory}")
    path = Path(directory) / VARIANTS_FILE
    write_csv(path, table)
    return path


def read_variants(directory: str | Path) -> pd.DataFrame | None:
    """The table of variants of a sweep's results directory, or None for a plain run.

    Parameters
    ----------
    directory
        A results directory (of a sweep or of a plain run).

    Returns
    -------
    pandas.DataFrame or None
        ``DIR/variants.csv``: a ``structure`` column (text), then one numeric
        column per swept key, in the order of the settings; None when the file
        does not exist.

    Raises
    ------
    ValueError
        The file has no ``structure`` column or no swept key.

    Examples
    --------
    >>> read_variants("out") is None  # a plain run, not a sweep
    True
    """
    path = Path(directory) / VARIANTS_FILE
    if not path.is_file():
        return None
    variants = pd.read_csv(path, dtype={"structure": str})
    check_variants(list(variants.columns), str(path))
    return variants


def check_variants(columns: Sequence[str], where: str = "variants") -> list[str]:
    """The swept keys of a table of variants with these columns (those after ``structure``).

    Raises
    ------
    ValueError
        Naming ``where``: no ``structure`` column, or no swept key.

    Examples
    --------
    >>> check_variants(["structure", "dynamics.deterrence"])
    ['dynamics.deterrence']
    """
    if "structure" not in columns:
        raise ValueError(f"{where}: no 'structure' column (expected the table of escalate sweep)")
    keys = [str(c) for c in columns if c != "structure"]
    if not keys:
        raise ValueError(f"{where}: no swept parameter (only a 'structure' column)")
    return keys
