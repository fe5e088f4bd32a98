"""Variables as value counts: the data structures of the exact bootstrap.

A column of ``n`` rows is kept as its sorted distinct values and their counts
(:class:`Dist`); two paired columns as the counts of their distinct (structure,
baseline) value pairs (:class:`Joint`). Means, standard deviations and
inverted-CDF quantiles are computed from the counts, and a bootstrap resample
is a multinomial draw of them (:mod:`escalate.analysis.bootstrap`), so nothing
costs more than one pass over the rows. Variables with too many distinct values
(pairs) are put on an even grid for the resampling only (``coarse``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "MAX_JOINT_CELLS",
    "Dist",
    "Joint",
    "distribution",
    "distribution_from_counts",
    "is_int",
    "joint_cells",
    "joint_from_counts",
    "joint_value_counts",
    "merge_joint_counts",
    "merge_value_counts",
    "moments",
    "order_rank",
    "paired_differences_from_counts",
    "quantile_from_counts",
    "quantiles_of_rows",
    "value_counts",
    "weighted_value_counts",
]

#: Largest number of cells of a paired (structure, baseline) joint distribution
#: resampled exactly; beyond it the values are put on a coarser grid.
MAX_JOINT_CELLS = 20_000


def order_rank(q: float, n: int) -> int:
    """1-based rank of the inverted-CDF q-quantile among n sorted values."""
    qn = q * n
    k = round(qn) if abs(qn - round(qn)) <= 1e-9 * max(1.0, qn) else math.ceil(qn)
    return min(max(int(k), 1), n)


def quantile_from_counts(values: np.ndarray, counts: np.ndarray, q: float) -> float:
    """Inverted-CDF quantile of a distribution given by sorted values and counts.

    The smallest value ``v`` with ``P(X <= v) >= q``: numpy's
    ``np.quantile(x, q, method="inverted_cdf")`` of the rows.
    """
    n = int(counts.sum())
    cum = np.cumsum(counts)
    return float(values[np.searchsorted(cum, order_rank(q, n), side="left")])


def quantiles_of_rows(values: np.ndarray, m: np.ndarray, q: float) -> np.ndarray:
    """Inverted-CDF quantile of each row of a (resamples x values) count matrix."""
    n = int(m[0].sum())
    k = order_rank(q, n)
    cum = np.cumsum(m, axis=1)
    return values[(cum < k).sum(axis=1)]


def is_int(x: np.ndarray) -> bool:
    """Whether an array holds integers or booleans."""
    return bool(np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_)


def value_counts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values (float64) and their counts (int64)."""
    if is_int(x) and x.size:
        lo, hi = int(x.min()), int(x.max())
        if hi - lo < 10_000_000:
            cnt = np.bincount((x - lo) if lo != 0 else x, minlength=hi - lo + 1)
            keep = np.flatnonzero(cnt)
            return (keep + lo).astype(np.float64), cnt[keep].astype(np.int64)
    values, counts = np.unique(x, return_counts=True)
    return values.astype(np.float64), counts.astype(np.int64)


def weighted_value_counts(
    x: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`value_counts` of rows that each stand for ``weights`` rows (None: one each)."""
    if weights is None:
        return value_counts(x)
    v, inv = np.unique(x, return_inverse=True)
    c = np.bincount(inv.ravel(), weights=weights, minlength=v.size)
    return v.astype(np.float64), c.astype(np.int64)


def moments(values: np.ndarray, counts: np.ndarray) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1) from value counts."""
    n = float(counts.sum())
    mean = float(counts @ values) / n
    if n < 2:
        return mean, 0.0
    dev = values - mean
    return mean, math.sqrt(max(float(counts @ (dev * dev)), 0.0) / (n - 1.0))


def _grid(lo: float, hi: float, points: int) -> tuple[float, float]:
    """Start and step of an even grid of ``points`` points from lo to hi."""
    step = (hi - lo) / (points - 1) if hi > lo else 1.0
    return lo, step


@dataclass
class Dist:
    """A variable in one structure: raw summaries plus resampling cells."""

    n: int
    mean: float
    sd: float
    quantiles: dict[float, float]
    raw_values: np.ndarray  # sorted distinct raw values
    values: np.ndarray  # resampling cells (raw values, or grid points if coarse)
    counts: np.ndarray
    coarse: bool


def distribution(x: np.ndarray, qs: Sequence[float], max_categories: int) -> Dist:
    """Value counts, mean, sd and quantiles ``qs`` of ``x``.

    With more than ``max_categories`` distinct values the resampling cells are
    an even grid of ``max_categories`` points (``coarse``); the summaries are
    always those of the raw values.
    """
    return distribution_from_counts(*value_counts(x), qs, max_categories)


def merge_value_counts(
    values: Sequence[np.ndarray], counts: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Value counts of several batches added up: sorted distinct values and counts.

    Parameters
    ----------
    values, counts
        Each batch's sorted distinct values (float64) and counts (int64), as
        :func:`value_counts` returns them.

    Returns
    -------
    tuple of numpy.ndarray
        What :func:`value_counts` gives for the rows of every batch together.
    """
    if len(values) == 1:
        return values[0], counts[0]
    return weighted_value_counts(np.concatenate(values), np.concatenate(counts))


def distribution_from_counts(
    values: np.ndarray, counts: np.ndarray, qs: Sequence[float], max_categories: int
) -> Dist:
    """:func:`distribution` of the rows whose value counts are ``values``, ``counts``.

    Parameters
    ----------
    values, counts
        Sorted distinct values (float64) and their counts (int64), as
        :func:`value_counts` or :func:`merge_value_counts` give them.
    qs
        Quantiles to compute.
    max_categories
        Largest number of resampling cells (see :func:`distribution`).

    Returns
    -------
    Dist
        Identical to ``distribution(rows, qs, max_categories)``.
    """
    n = int(counts.sum())
    mean, sd = moments(values, counts)
    quantiles = {q: quantile_from_counts(values, counts, q) for q in qs}
    if values.size > max_categories:
        lo, step = _grid(float(values[0]), float(values[-1]), max_categories)
        codes = np.rint((values - lo) / step).astype(np.int64)
        gc = np.bincount(codes, weights=counts, minlength=max_categories).astype(np.int64)
        keep = np.flatnonzero(gc)
        return Dist(n, mean, sd, quantiles, values, lo + step * keep, gc[keep], True)
    return Dist(n, mean, sd, quantiles, values, values, counts, False)


@dataclass
class Joint:
    """Joint distribution of (structure, baseline) values over paired replicates."""

    xv: np.ndarray
    yv: np.ndarray
    counts: np.ndarray
    coarse: bool

    @property
    def n(self) -> int:
        """The number of pairs."""
        return int(self.counts.sum())


def joint_cells(cx: np.ndarray, cy: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct joint codes ``cx * k + cy`` and their counts."""
    if k * k <= 4_000_000:
        key = cx.astype(np.int32) * np.int32(k) + cy.astype(np.int32)
        cnt = np.bincount(key, minlength=k * k)
        cells = np.flatnonzero(cnt)
        return cells, cnt[cells].astype(np.int64)
    key = cx.astype(np.int64) * k + cy
    cells, cnt = np.unique(key, return_counts=True)
    return cells, cnt.astype(np.int64)


def joint_value_counts(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (x, y) pairs of two paired arrays and their counts.

    Returns
    -------
    tuple of numpy.ndarray
        x values, y values (float64) and counts (int64), sorted by x then y.
    """
    if x.size == 0:
        empty = np.zeros(0, np.float64)
        return empty, empty, np.zeros(0, np.int64)
    if x.dtype == np.bool_ or y.dtype == np.bool_:
        x, y = x.astype(np.int8), y.astype(np.int8)
    if is_int(x) and is_int(y):
        lo = min(int(x.min()), int(y.min()))
        k = max(int(x.max()), int(y.max())) - lo + 1
        if k <= 2_000:
            xs, ys = (x - lo, y - lo) if lo else (x, y)
            cells, cnt = joint_cells(xs, ys, k)
            return (cells // k + lo).astype(np.float64), (cells % k + lo).astype(np.float64), cnt
    cx, ux = pd.factorize(x, sort=True)
    cy, uy = pd.factorize(y, sort=True)
    k = max(len(ux), len(uy))
    cells, cnt = joint_cells(cx, cy, k)
    xv = np.asarray(ux, np.float64)[cells // k]
    yv = np.asarray(uy, np.float64)[cells % k]
    return xv, yv, cnt


def merge_joint_counts(
    parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Joint value counts of several batches (:func:`joint_value_counts`) added up."""
    if len(parts) == 1:
        return parts[0]
    xv = np.concatenate([p[0] for p in parts])
    yv = np.concatenate([p[1] for p in parts])
    cnt = np.concatenate([p[2] for p in parts])
    order = np.lexsort((yv, xv))
    xv, yv, cnt = xv[order], yv[order], cnt[order]
    if xv.size == 0:
        return xv, yv, cnt
    starts = np.flatnonzero(np.r_[True, (xv[1:] != xv[:-1]) | (yv[1:] != yv[:-1])])
    return xv[starts], yv[starts], np.add.reduceat(cnt, starts)


def joint_from_counts(
    xv: np.ndarray, yv: np.ndarray, cnt: np.ndarray, integers: bool, max_categories: int
) -> Joint:
    """Joint value counts of paired rows, from their joint value counts.

    Exact when there are at most ``max_categories`` distinct values and
    :data:`MAX_JOINT_CELLS` distinct pairs; otherwise on the coarsest even grid
    (halving from ``max_categories`` points, at least 16) that keeps the pairs
    under that bound.

    Parameters
    ----------
    xv, yv, cnt
        Distinct (x, y) pairs and their counts, sorted by x then y
        (:func:`joint_value_counts`, :func:`merge_joint_counts`).
    integers
        Whether both columns hold integers (the rows' dtype).
    max_categories
        The most distinct values resampled exactly.

    Returns
    -------
    Joint
        The cells (pairs of values, or of grid points when coarse) and their counts.
    """
    vocab = np.union1d(xv, yv)
    if vocab.size <= max_categories:
        if integers and vocab[-1] - vocab[0] < max_categories:
            k = int(vocab[-1]) - int(vocab[0]) + 1
        else:
            k = vocab.size
        if cnt.size <= MAX_JOINT_CELLS:
            return Joint(xv, yv, cnt, False)
        points = max(16, min(k, max_categories) // 2)
    else:
        points = max_categories
    # too many distinct values or pairs to resample exactly: an even grid
    while True:
        start, step = _grid(float(vocab[0]), float(vocab[-1]), points)
        cx = np.rint((xv - start) / step).astype(np.int64)
        cy = np.rint((yv - start) / step).astype(np.int64)
        cells, inv = np.unique(cx * points + cy, return_inverse=True)
        if cells.size <= MAX_JOINT_CELLS or points <= 16:
            gc = np.bincount(inv.ravel(), weights=cnt, minlength=cells.size).astype(np.int64)
            grid = start + step * np.arange(points)
            return Joint(grid[cells // points], grid[cells % points], gc, True)
        points = max(16, points // 2)


def paired_differences_from_counts(
    j: Joint, xv: np.ndarray, yv: np.ndarray, cnt: np.ndarray, floating: bool
) -> tuple[np.ndarray, np.ndarray, float]:
    """Value counts of the paired differences x - y and their sample sd.

    From the joint value counts of the raw pairs; ``j`` is their
    :func:`joint_from_counts` (its cells are used when they hold the raw values);
    ``floating`` whether either column holds floating-point values: floating
    differences are rounded to 12 decimals so that equal differences computed
    from different pairs form one tie.
    """
    if not j.coarse:
        xv, yv, cnt = j.xv, j.yv, j.counts
    d = xv - yv
    if floating:
        d = np.round(d, 12)
    dv, dc = weighted_value_counts(d, cnt)
    return dv, dc, moments(dv, dc)[1]
