"""Moments of the entry curve: nations at war by the end of each round, per cascade.

The mean entry curve needs only counts of participants per round; its interval
needs the spread over cascades of ``X_r``, the number of nations at war by the
end of round ``r``. :func:`entry_moments` adds up ``sum X_r`` and ``sum X_r**2``
per structure and round, part by part (one part's ``replicate`` and ``round``
columns in memory at a time), or from the participants table itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ENTRY_MOMENTS", "entry_moments", "entry_moments_of_dir"]

#: The key of ``participants.attrs`` that carries the moments to the figure.
ENTRY_MOMENTS = "entry_moments"


def _part_moments(replicate: np.ndarray, rounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sum X_r`` and ``sum X_r**2`` over the cascades of one part, r = 0 .. max round."""
    if replicate.size == 0:
        return np.zeros(1), np.zeros(1)
    _, inv = np.unique(replicate, return_inverse=True)
    per = np.zeros((int(inv.max()) + 1, int(rounds.max()) + 1))
    np.add.at(per, (inv, rounds.astype(np.int64)), 1.0)
    at_war = per.cumsum(axis=1)
    return at_war.sum(axis=0), (at_war**2).sum(axis=0)


def _pad(a: np.ndarray, size: int) -> np.ndarray:
    """Extend a cumulative per-round sum past its last round (nobody enters later)."""
    return np.pad(a, (0, size - a.size), mode="edge") if a.size < size else a


def entry_moments(parts: Iterable[tuple[str, Any]]) -> pd.DataFrame:
    """``sum`` and ``sumsq`` of ``X_r`` per structure and round.

    Parameters
    ----------
    parts
        ``(structure, table)`` pairs whose tables have the participant columns
        ``replicate`` and ``round`` (pyarrow Tables or DataFrames; one
        replicate's rows all in one table), e.g. :func:`escalate.results.read.scan_results`.

    Returns
    -------
    pandas.DataFrame
        Columns ``structure``, ``round``, ``sum``, ``sumsq``. Cascades without
        participants (deterred) add 0 to both.
    """
    acc: dict[str, list[np.ndarray]] = {}
    for name, table in parts:
        rep = np.asarray(table["replicate"], dtype=np.int64)
        rnd = np.asarray(table["round"], dtype=np.int64)
        s, q = _part_moments(rep, rnd)
        if name in acc:
            size = max(acc[name][0].size, s.size)
            acc[name] = [_pad(acc[name][0], size) + _pad(s, size),
                         _pad(acc[name][1], size) + _pad(q, size)]  # fmt: skip
        else:
            acc[name] = [s, q]
    rows = [
        {"structure": name, "round": r, "sum": s[r], "sumsq": q[r]}
        for name, (s, q) in acc.items()
        for r in range(s.size)
    ]
    return pd.DataFrame(rows, columns=["structure", "round", "sum", "sumsq"])


def entry_moments_of_dir(directory, progress: bool = False) -> pd.DataFrame:
    """:func:`entry_moments` of a run directory's participants, read part by part."""
    from ..results.read import scan_results

    parts = scan_results(directory, participants=True, columns=["replicate", "round"],
                         progress=progress)  # fmt: skip
    return entry_moments((name, t.to_pandas()) for name, t in parts)
