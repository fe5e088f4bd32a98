"""Paired comparisons of two structures over common replicates.

Replicates with the same seed and index use the same keyed random draws
(common random numbers), so a structure and the baseline are compared pair by
pair:

* binary outcomes: exact McNemar test (``scipy.stats.binomtest`` on the
  discordant pairs with p = 1/2), effect size ``(b - c) / (b + c)``;
* sizes: Wilcoxon signed-rank test on the per-replicate differences (zeros
  dropped), ``scipy.stats.wilcoxon`` itself up to :data:`WILCOXON_DIRECT`
  non-zero differences and the identical tie-corrected normal approximation on
  value counts above; effect size the matched-pairs rank-biserial correlation
  ``(T+ - T-) / (T+ + T-)``;
* standard errors of the difference with and without the pairing;
* Holm's step-down correction across tests (:func:`holm`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable

import numpy as np

from .bootstrap import multinomial_stats, percentile_interval
from .counts import Joint

__all__ = [
    "WILCOXON_DIRECT",
    "binary_comparison",
    "discordant_pairs",
    "discordant_pairs_at",
    "holm",
    "mcnemar_exact",
    "pair_index",
    "se_ratio",
    "se_unpaired",
    "signed_rank_counts",
    "wilcoxon",
]

#: Above this many non-zero paired differences the Wilcoxon test is evaluated
#: on value counts instead of calling ``scipy.stats.wilcoxon`` on the array.
WILCOXON_DIRECT = 20_000


def holm(pvalues: Iterable[float]) -> np.ndarray:
    """Holm's step-down adjusted p values (Holm 1979), NaN left as NaN.

    The ``m`` finite p values are sorted, ``p_(i)`` becomes
    ``max_{j <= i} min(1, (m - j + 1) p_(j))`` and the result is put back in the
    input order. Rejecting where the adjusted p is below ``alpha`` controls the
    family-wise error rate at ``alpha`` under any dependence between tests.

    Parameters
    ----------
    pvalues
        Raw p values; NaN marks "no test" and is ignored (not counted in ``m``).

    Returns
    -------
    numpy.ndarray
        Adjusted p values, same shape and order as the input.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03, 0.005]).round(3).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    p = np.asarray(list(pvalues) if not isinstance(pvalues, np.ndarray) else pvalues, float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adj, 1.0)
    return out


def pair_index(
    rep_s: np.ndarray, rep_b: np.ndarray, name: str, base: str
) -> tuple[slice | np.ndarray, slice | np.ndarray]:
    """Positions (in s, in b) of the common replicates, in replicate order.

    ``(slice(None), slice(None))`` when both hold the same replicates in the
    same order.

    Raises
    ------
    ValueError
        A structure has a replicate index more than once.
    """
    for r, nm in ((rep_s, name), (rep_b, base)):
        if not (r.size < 2 or np.all(r[1:] > r[:-1])) and np.unique(r).size != r.size:
            raise ValueError(f"structure {nm!r} has a replicate index more than once")
    if rep_s.size == rep_b.size and np.array_equal(rep_s, rep_b):
        return slice(None), slice(None)
    _, i_s, i_b = np.intersect1d(rep_s, rep_b, assume_unique=True, return_indices=True)
    return i_s, i_b


def discordant_pairs(x: np.ndarray, y: np.ndarray) -> tuple[int, int, int]:
    """(n, b, c) of paired booleans: pairs, outcome only in x, outcome only in y."""
    return int(x.size), int(np.count_nonzero(x & ~y)), int(np.count_nonzero(~x & y))


def discordant_pairs_at(j: Joint, k: float) -> tuple[int, int, int]:
    """(n, b, c) of the outcome ``value >= k`` from a joint distribution."""
    bx, by = j.xv >= k, j.yv >= k
    return j.n, int(j.counts[bx & ~by].sum()), int(j.counts[~bx & by].sum())


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p value of ``b`` and ``c`` discordant pairs (1 if none)."""
    from scipy import stats

    return 1.0 if b + c == 0 else float(stats.binomtest(b, b + c, 0.5).pvalue)


def binary_comparison(
    n: int, b: int, c: int, n_resamples: int, rng: np.random.Generator, confidence: float
) -> dict:
    """Paired difference of two proportions from its discordant counts.

    Parameters
    ----------
    n
        Pairs.
    b, c
        Pairs with the outcome only in the structure, only in the baseline.
    n_resamples, rng, confidence
        Paired bootstrap of the difference (cells d = -1, 0, +1).

    Returns
    -------
    dict
        ``n_pairs, difference, difference_low, difference_high, se_paired,
        test, statistic, p_value, effect_size`` (columns of the comparison
        table): exact McNemar test, effect size ``(b - c) / (b + c)``.
    """
    diff = (b - c) / n
    var = (b + c) / n - diff * diff
    se_p = math.sqrt(max(var, 0.0) / n)
    p = mcnemar_exact(b, c)
    cells = np.array([c, n - b - c, b], np.int64)  # d = -1, 0, +1
    boot = multinomial_stats(cells, lambda m: ((m[:, 2] - m[:, 0]) / n)[:, None], n_resamples, rng)
    low, high = percentile_interval(boot, confidence)
    return {
        "n_pairs": n,
        "difference": diff,
        "difference_low": float(low[0]),
        "difference_high": float(high[0]),
        "se_paired": se_p,
        "test": "mcnemar-exact",
        "statistic": float(b),
        "p_value": p,
        "effect_size": 0.0 if b + c == 0 else (b - c) / (b + c),
    }


def signed_rank_counts(dv: np.ndarray, dc: np.ndarray) -> tuple[float, float, int, float]:
    """Wilcoxon signed-rank on value counts of the differences.

    Returns (T+, T-, n_nonzero, p two-sided by the tie-corrected normal
    approximation, identical to ``scipy.stats.wilcoxon(method="approx")``).
    """
    from scipy import stats

    nz = dv != 0
    dv, dc = dv[nz], dc[nz].astype(np.float64)
    n = float(dc.sum())
    if n == 0:
        return 0.0, 0.0, 0, 1.0
    ua, inv = np.unique(np.abs(dv), return_inverse=True)
    t = np.bincount(inv, weights=dc, minlength=ua.size)
    midrank = np.cumsum(t) - (t - 1.0) / 2.0
    pos = dv > 0
    t_plus = float((dc[pos] * midrank[inv[pos]]).sum())
    total = n * (n + 1.0) / 2.0
    t_minus = total - t_plus
    var = n * (n + 1.0) * (2.0 * n + 1.0) / 24.0 - float((t**3 - t).sum()) / 48.0
    if var <= 0:
        return t_plus, t_minus, int(n), 1.0
    z = (t_plus - n * (n + 1.0) / 4.0) / math.sqrt(var)
    return t_plus, t_minus, int(n), float(2.0 * stats.norm.sf(abs(z)))


def wilcoxon(dv: np.ndarray, dc: np.ndarray) -> tuple[float, float, float]:
    """(T+, rank-biserial r, p) of the paired differences given as value counts."""
    from scipy import stats

    t_plus, t_minus, n_nz, p = signed_rank_counts(dv, dc)
    if n_nz == 0:
        return 0.0, 0.0, 1.0
    r = (t_plus - t_minus) / (t_plus + t_minus)
    if n_nz <= WILCOXON_DIRECT:
        nz = dv != 0
        diffs = np.repeat(dv[nz], dc[nz])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = float(stats.wilcoxon(diffs, zero_method="wilcox").pvalue)
    return t_plus, r, p


def se_unpaired(se_structure: float, se_baseline: float) -> float:
    """Standard error of a difference of two independent estimates."""
    return math.hypot(se_structure, se_baseline)


def se_ratio(se_paired: float, se_independent: float) -> float:
    """``se_paired / se_independent``: how much pairing shrank the standard error.

    NaN when ``se_independent`` is 0.
    """
    return se_paired / se_independent if se_independent > 0 else np.nan
