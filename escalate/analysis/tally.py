"""A structure's rows, and its pairs with the baseline, as counts added up by window.

:func:`escalate.analysis.compare.compare` and
:func:`~escalate.analysis.compare.compare_results` compute everything from
counts: per structure the successes of the binary outcomes and the value counts
of each size (:class:`Tally`); per structure and the baseline the discordant
pairs of the binary outcomes and the joint value counts of each size over the
replicates both have (:class:`PairTally`). Counts add up, so rows can be given a
window of replicates at a time and dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .counts import (
    is_int,
    joint_value_counts,
    merge_joint_counts,
    merge_value_counts,
    value_counts,
)
from .metrics import BINARY, REQUIRED_COLUMNS, SIZES
from .paired import discordant_pairs

__all__ = [
    "Counts",
    "JointCounts",
    "PairTally",
    "Tally",
    "marginal",
    "run_structures",
    "table_columns",
    "window_columns",
]

#: (sorted distinct values, counts) of one variable
Counts = tuple[np.ndarray, np.ndarray]
#: (x values, y values, counts) of the distinct pairs of one variable, sorted
JointCounts = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass
class Tally:
    """One structure's rows as counts: successes of the binary outcomes, value counts."""

    n: int = 0
    successes: dict[str, int] = field(default_factory=dict)
    counts: dict[str, Counts] = field(default_factory=dict)
    integers: dict[str, bool] = field(default_factory=dict)

    def add(self, data: dict[str, np.ndarray]) -> None:
        """Add one window's rows (columns of :data:`REQUIRED_COLUMNS`)."""
        if np.isnan(data["power_share"]).any():
            raise ValueError("power_share has missing values (NaN)")
        self.n += int(data["replicate"].size)
        for var in BINARY:
            self.successes[var] = self.successes.get(var, 0) + int(np.count_nonzero(data[var]))
        for var in SIZES:
            vc = value_counts(data[var])
            if var in self.counts:
                old = self.counts[var]
                vc = merge_value_counts([old[0], vc[0]], [old[1], vc[1]])
            self.counts[var] = vc
            self.integers[var] = self.integers.get(var, True) and is_int(data[var])


@dataclass
class PairTally:
    """A structure's pairs with the baseline as counts: discordant pairs, joint counts."""

    n: int = 0
    discordant: dict[str, tuple[int, int]] = field(default_factory=dict)
    joint: dict[str, JointCounts] = field(default_factory=dict)

    def add(
        self,
        s: dict[str, np.ndarray],
        b: dict[str, np.ndarray],
        i_s: slice | np.ndarray,
        i_b: slice | np.ndarray,
    ) -> None:
        """Add the pairs (``s[i_s]``, ``b[i_b]``) of one window."""
        self.n += int(s["replicate"][i_s].size)
        for var in BINARY:
            _, bb, cc = discordant_pairs(s[var][i_s], b[var][i_b])
            b0, c0 = self.discordant.get(var, (0, 0))
            self.discordant[var] = (b0 + bb, c0 + cc)
        for var in SIZES:
            jc = joint_value_counts(s[var][i_s], b[var][i_b])
            if var in self.joint:
                jc = merge_joint_counts([self.joint[var], jc])
            self.joint[var] = jc


def marginal(values: np.ndarray, counts: np.ndarray) -> Counts:
    """Value counts of one side of joint value counts."""
    v, inv = np.unique(values, return_inverse=True)
    c = np.bincount(inv.ravel(), weights=counts, minlength=v.size).astype(np.int64)
    return v, c


def table_columns(t) -> dict[str, np.ndarray]:
    """The columns :func:`~escalate.analysis.compare.compare` reads from one part's table."""
    columns = {c: t.column(c).to_numpy() for c in REQUIRED_COLUMNS if c != "structure"}
    for c in BINARY:
        columns[c] = columns[c].astype(bool, copy=False)
    return columns


def window_columns(scan: Iterable) -> Iterator[dict[str, dict[str, np.ndarray]]]:
    """The columns of each window of :func:`~escalate.results.read.scan_windows`."""
    for _, parts in scan:
        window = {name: table_columns(t) for name, t in parts.items()}
        del parts
        yield window
        del window


def run_structures(out: str | Path, structures: Iterable[str] | None) -> list[str]:
    """The structures of a run to compare (the manifest's order by default)."""
    from ..results.store import read_manifest

    names = list(read_manifest(out).worlds)
    return names if structures is None else [str(s) for s in structures]
