"""The nonparametric bootstrap, done exactly on value counts.

A bootstrap resample of ``n`` rows drawn with replacement from data whose
distinct values have counts ``c`` is a multinomial draw ``Multinomial(n, c / n)``
of those counts, so no row is resampled and no subsample is taken: the cost is
``n_resamples`` x (number of distinct values) whatever ``n`` is. Intervals are
percentile intervals; for a coarse (gridded) variable they are shifted by (raw
estimate - grid estimate). Every stream of resamples has its own generator keyed
by the seed and labels (:func:`bootstrap_rng`), so results do not depend on the
order in which intervals are computed.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

import numpy as np

from .counts import Dist, Joint, quantiles_of_rows

__all__ = [
    "BLOCK",
    "bootstrap_distribution",
    "bootstrap_rng",
    "bootstrap_sd",
    "multinomial_stats",
    "paired_bootstrap",
    "percentile_interval",
]

BLOCK = 250  #: bootstrap resamples drawn at a time (bounds memory)


def bootstrap_rng(seed: int, *labels: str) -> np.random.Generator:
    """Independent, order-free bootstrap stream per (seed, labels)."""
    key = zlib.crc32("\x1f".join(labels).encode())
    return np.random.default_rng(np.random.SeedSequence([int(seed) & (2**63 - 1), key]))


def multinomial_stats(
    counts: np.ndarray,
    stat: Callable[[np.ndarray], np.ndarray],
    n_resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Apply ``stat`` to ``n_resamples`` multinomial resamples of ``counts``.

    ``stat`` maps a (b x K) count matrix to a (b x s) array of statistics. This
    is the nonparametric bootstrap of the underlying rows, done on their value
    counts.
    """
    counts = np.asarray(counts, np.int64)
    n = int(counts.sum())
    if np.count_nonzero(counts) <= 1:  # every resample is the data itself
        return np.repeat(stat(counts[None, :]), n_resamples, axis=0)
    p = counts / n
    out = []
    for start in range(0, n_resamples, BLOCK):
        m = rng.multinomial(n, p, size=min(BLOCK, n_resamples - start))
        out.append(stat(m))
    return np.concatenate(out, axis=0)


def bootstrap_sd(boot: np.ndarray) -> np.ndarray:
    """Standard deviation of bootstrap statistics; exactly 0 when constant."""
    return (boot - boot[:1]).std(axis=0, ddof=1)


def percentile_interval(boot: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each column of bootstrap statistics."""
    a = (1.0 - confidence) / 2.0
    return np.quantile(boot, a, axis=0), np.quantile(boot, 1.0 - a, axis=0)


def bootstrap_distribution(
    d: Dist,
    qs: Sequence[float],
    n_resamples: int,
    rng: np.random.Generator,
    confidence: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bootstrap of (mean, quantiles ``qs``) of one variable.

    Returns
    -------
    tuple of numpy.ndarray
        (low, high, bootstrap sd), each with the mean first, then one entry
        per quantile.
    """
    v = d.values

    def stat(m):
        cols = [m @ v / d.n] + [quantiles_of_rows(v, m, q) for q in qs]
        return np.column_stack(cols)

    boot = multinomial_stats(d.counts, stat, n_resamples, rng)
    low, high = percentile_interval(boot, confidence)
    if d.coarse:  # recentre on the raw estimates
        est_grid = stat(d.counts[None, :])[0]
        shift = np.array([d.mean] + [d.quantiles[q] for q in qs]) - est_grid
        low, high = low + shift, high + shift
    return low, high, bootstrap_sd(boot)


def _marginal_sorter(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order of ``v``, start of each run of equal values, and those values."""
    order = np.argsort(v, kind="stable")
    sv = v[order]
    starts = np.flatnonzero(np.r_[True, sv[1:] != sv[:-1]])
    return order, starts, sv[starts]


def paired_bootstrap(
    j: Joint,
    qs: Sequence[float],
    n_resamples: int,
    rng: np.random.Generator,
    confidence: float,
    raw_diffs: Sequence[float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paired bootstrap of the differences of (mean, quantiles ``qs``) in ``j``.

    Pairs are resampled together; the differences are between the two sides of
    ``j``.

    ``raw_diffs`` are the differences of the raw estimates; a coarse ``j`` has
    its intervals shifted onto them.

    Returns
    -------
    tuple of numpy.ndarray
        (low, high, bootstrap sd), the mean difference first.
    """
    d = j.xv - j.yv
    ox, sx, vx = _marginal_sorter(j.xv)
    oy, sy, vy = _marginal_sorter(j.yv)
    n = j.n

    def stat(m):
        cols = [m @ d / n]
        if qs:
            mx = np.add.reduceat(m[:, ox], sx, axis=1)
            my = np.add.reduceat(m[:, oy], sy, axis=1)
            cols += [quantiles_of_rows(vx, mx, q) - quantiles_of_rows(vy, my, q) for q in qs]
        return np.column_stack(cols)

    boot = multinomial_stats(j.counts, stat, n_resamples, rng)
    low, high = percentile_interval(boot, confidence)
    if j.coarse:
        shift = np.asarray(raw_diffs) - stat(j.counts[None, :])[0]
        low, high = low + shift, high + shift
    return low, high, bootstrap_sd(boot)
