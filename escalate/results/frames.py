"""Kernel output as the pandas DataFrames of :func:`escalate.simulate`, without Arrow.

The frames equal those of :func:`escalate.read_results` (the same columns, dtypes
and categories), built straight from the kernel's arrays: numbers are shared, not
copied, and ids and labels become categoricals from the kernel's codes
(:func:`escalate.results.arrow.output_columns`), so an in-memory run costs little
more than the kernel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..engine.compile import CompiledWorld
from .arrow import Labelled, output_columns

__all__ = ["frame_of", "to_frames"]


def frame_of(columns: dict[str, np.ndarray | Labelled], structure: str) -> pd.DataFrame:
    """One table's columns (:func:`~escalate.results.arrow.output_columns`) as a DataFrame.

    ``structure`` comes first, a categorical of one category.

    Examples
    --------
    >>> import numpy as np
    >>> df = frame_of({"nation": (np.int32([1, -1]), ("A", "B"))}, "w")
    >>> df["nation"].tolist(), str(df["structure"].dtype)
    (['B', nan], 'category')
    """
    first = next(iter(columns.values()))
    n = len(first[0] if isinstance(first, tuple) else first)
    data: dict[str, object] = {
        "structure": pd.Categorical.from_codes(np.zeros(n, np.int8), [structure])
    }
    for name, col in columns.items():
        if isinstance(col, tuple):
            codes, labels = col
            data[name] = pd.Categorical.from_codes(codes, categories=pd.Index(labels))
        else:
            data[name] = col
    return pd.DataFrame(data, copy=False)


def to_frames(
    cw: CompiledWorld,
    structure: str,
    start: int,
    out: dict,
    parts: dict,
    participants: bool,
    order: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """DataFrames (cascades, participants or None) from raw kernel output.

    Parameters
    ----------
    cw : CompiledWorld
        The world the kernel ran.
    structure : str
        The world's name (the ``structure`` column).
    start : int
        The first replicate.
    out, parts : dict of numpy.ndarray
        The kernel's output arrays (:func:`escalate.results.arrow.run_arrays`).
    participants : bool
        Whether ``parts`` holds participants.
    order : sequence of str, optional
        The nation ids in the world file's order: the categories of the nation
        columns (default: sorted, the kernel's order).
    """
    cascades, people = output_columns(cw, start, out, parts, participants, order)
    return frame_of(cascades, structure), None if people is None else frame_of(people, structure)
