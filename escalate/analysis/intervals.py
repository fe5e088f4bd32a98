"""Intervals of proportions and of normal estimates.

* Wilson score interval of a proportion (``scipy.stats.binomtest(...)
  .proportion_ci(method="wilson")``), used for every ``P(...)`` row of
  :func:`~escalate.analysis.compare.compare` and by :func:`proportion_intervals`;
* exact binomial (Clopper-Pearson) bands of an empirical CCDF, from
  ``scipy.stats.beta``;
* the normal quantile of a two-sided interval ``estimate -/+ z se``.

Bootstrap percentile intervals are in :mod:`escalate.analysis.bootstrap`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .common import (
    check_columns,
    check_confidence,
    row_weights,
    structure_groups,
)

__all__ = [
    "clopper_pearson",
    "normal_z",
    "proportion_intervals",
    "proportion_se",
    "wilson_interval",
]


def wilson_interval(successes: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval (low, high) of ``successes`` out of ``n``.

    Parameters
    ----------
    successes : int
        Trials that succeeded, between 0 and ``n``.
    n : int
        Trials, at least 1.
    confidence : float
        Confidence level, between 0 and 1.

    Returns
    -------
    tuple of float
        (low, high), from ``scipy.stats.binomtest(successes, n).proportion_ci``.

    Examples
    --------
    >>> low, high = wilson_interval(45, 100, 0.95)
    >>> round(low, 3), round(high, 3)
    (0.356, 0.548)
    """
    from scipy import stats

    ci = stats.binomtest(successes, n).proportion_ci(confidence, method="wilson")
    return float(ci.low), float(ci.high)


def proportion_se(p: float, n: int) -> float:
    """Standard error ``sqrt(p (1 - p) / n)`` of a proportion ``p`` of ``n`` rows."""
    return math.sqrt(p * (1 - p) / n)


def clopper_pearson(
    successes: np.ndarray, n: int, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial (Clopper-Pearson) interval of each ``successes / n``.

    Parameters
    ----------
    successes : numpy.ndarray
        Counts between 0 and ``n``.
    n : int
        Trials.
    confidence : float
        Level of each (pointwise) interval.

    Returns
    -------
    tuple of numpy.ndarray
        (low, high): 0 as the low end of 0 successes, 1 as the high end of ``n``.

    Examples
    --------
    >>> import numpy as np
    >>> low, high = clopper_pearson(np.array([0, 5, 10]), 10, 0.95)
    >>> low.round(3).tolist(), high.round(3).tolist()
    ([0.0, 0.187, 0.692], [0.308, 0.813, 1.0])
    """
    from scipy import stats

    a = (1.0 - confidence) / 2.0
    k = successes
    low = np.where(k > 0, stats.beta.ppf(a, k, n - k + 1), 0.0)
    high = np.where(k < n, stats.beta.isf(a, k + 1, n - k), 1.0)
    return np.nan_to_num(low), np.nan_to_num(high, nan=1.0)


def normal_z(confidence: float) -> float:
    """``z`` such that ``estimate -/+ z se`` is a two-sided normal interval.

    Examples
    --------
    >>> round(normal_z(0.95), 3)
    1.96
    """
    from scipy import stats

    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def proportion_intervals(
    results: pd.DataFrame, column: str = "world_war", *, confidence: float = 0.95
) -> pd.DataFrame:
    """P(column is true) per structure with Wilson score intervals.

    Parameters
    ----------
    results : pandas.DataFrame
        Cascades table with ``structure`` and a boolean ``column``.
    column : str
        A boolean column, e.g. ``world_war``, ``deterred``, ``vetoed``.
    confidence : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        ``structure, n, successes, estimate, low, high``, one row per structure
        in the order of :func:`~escalate.analysis.compare.compare`. Intervals
        from ``scipy.stats.binomtest(k, n).proportion_ci(confidence, "wilson")``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"structure": ["a"] * 4 + ["b"] * 4,
    ...                    "world_war": [True, False, False, False, True, True, True, False]})
    >>> print(proportion_intervals(df).round(3).to_string(index=False))
    structure  n  successes  estimate   low  high
            a  4          1      0.25 0.046 0.699
            b  4          3      0.75 0.301 0.954
    """
    check_confidence(confidence)
    check_columns(results, ["structure", column])
    rows = []
    for name, idx in structure_groups(results):
        x = results[column].to_numpy()[idx]
        w = row_weights(results, idx)
        if w is None:
            n, k = int(x.size), int(np.count_nonzero(x))
        else:  # a table of counts
            n, k = int(w.sum()), int(w[x != 0].sum())
        rows.append((name, n, k, k / n, *wilson_interval(k, n, confidence)))
    return pd.DataFrame(rows, columns=["structure", "n", "successes", "estimate", "low", "high"])
