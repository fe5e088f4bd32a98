"""Statistics of results: intervals per structure, paired comparisons, tails.

Everything here works on the cascades table (MODEL.md section 4): one row per
replicate per structure, with a ``structure`` column, as returned by
:func:`escalate.read_results` or :func:`escalate.simulate`.

What is computed, and how
-------------------------
Per structure (:func:`compare`):

* **Proportions** (P(world war), P(deterred), P(vetoed), P(belligerents >= k),
  P(at least one broken promise)): Wilson score interval from
  ``scipy.stats.binomtest(...).proportion_ci(method="wilson")``.
* **Means and quantiles** (belligerents, power share, rounds, broken promises,
  sanctions, diplomacy): the ordinary nonparametric bootstrap with percentile
  intervals, computed *exactly on value counts*: a bootstrap resample of ``n``
  rows drawn with replacement from data whose distinct values have counts
  ``c`` is a multinomial draw ``Multinomial(n, c / n)`` of those counts, so no
  row is resampled and no subsample is taken. Counting the values is one pass
  over the rows; the resampling costs ``n_resamples`` x (number of distinct
  values) whatever ``n`` is, so ten million rows per structure take seconds.
  Columns with more than ``max_categories`` distinct values (in practice only
  ``power_share`` of very large worlds), and paired columns with more than
  20,000 distinct (structure, baseline) pairs of values, are rounded onto an
  even grid for the resampling only; point estimates always use the raw
  values and the interval is shifted by (raw estimate - grid estimate).
  Quantiles are the "inverted CDF" order statistic (the smallest observed
  value ``v`` with ``P(X <= v) >= q``, numpy's ``method="inverted_cdf"``), so
  they are values that occurred.

Against a baseline, paired by replicate (same seed, same replicate index, so
the same keyed random draws: common random numbers):

* **Binary outcomes**: exact McNemar test, i.e. ``scipy.stats.binomtest`` on the
  discordant pairs (``b`` = outcome only in the structure, ``c`` = only in the
  baseline) with p = 1/2.
* **Sizes** (the ``mean_*`` rows): Wilcoxon signed-rank test on the per-replicate
  differences (zeros dropped, ``zero_method="wilcox"``). Up to 20,000
  non-zero differences it is ``scipy.stats.wilcoxon`` itself; above that the
  same statistic with scipy's tie-corrected normal approximation
  (``method="approx"``, no continuity correction) is evaluated on the value
  counts of the differences: the identical p value in a fraction of the time.
* **Intervals of the differences**: paired bootstrap (pairs resampled
  together), again exactly, on the value counts of the (structure, baseline)
  pairs; percentile intervals. Quantile rows get this interval but no test
  (the ``mean_*`` row of the same variable carries its test).
* **Effect size**: the matched-pairs rank-biserial correlation
  ``(T+ - T-) / (T+ + T-)`` in [-1, 1]; for a binary outcome it reduces to
  ``(b - c) / (b + c)``. Zero when no pair differs.
* **Standard errors**: ``se_paired`` is the standard error of the paired
  difference (``sd(d) / sqrt(n)`` of the per-replicate differences ``d`` for
  means and proportions, the standard deviation of the paired bootstrap for
  quantiles, which for a discrete variable is coarse: it is often exactly 0
  and jumps when a resample moves the quantile to a neighbouring value);
  ``se_unpaired = sqrt(se_structure**2 + se_baseline**2)`` is what it would
  be for two independent samples of the same sizes;
  ``se_ratio = se_paired / se_unpaired`` says how much pairing shrank it (an
  unpaired design needs ``1 / se_ratio**2`` times as many replicates).
* **Multiple testing**: Holm's step-down correction across every test of the
  table (all structures, all metrics), in ``p_holm``.

Tails (:func:`ccdf`, :func:`tail_exponents`): the empirical complementary CDF
``P(X >= x)`` per structure with exact binomial (Clopper-Pearson) bands, and a
discrete power-law fit of the tail with the ``powerlaw`` package (Clauset,
Shalizi & Newman 2009 method: maximum likelihood exponent, ``xmin`` chosen by
the Kolmogorov-Smirnov distance), shown next to the exponent of interstate war
severity (Clauset 2018) as context, not as a target.

scipy and powerlaw are optional (``pip install 'escalate[stats]'``); they are
imported when a function needs them.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "REQUIRED_COLUMNS",
    "compare",
    "holm",
    "proportion_intervals",
]

#: Columns :func:`compare` reads from the cascades table.
REQUIRED_COLUMNS = (
    "structure",
    "replicate",
    "deterred",
    "belligerents",
    "rounds",
    "broken_promises",
    "sanctions",
    "diplomacy",
    "power_share",
    "vetoed",
    "world_war",
)


#: Above this many non-zero paired differences the Wilcoxon test is evaluated
#: on value counts instead of calling ``scipy.stats.wilcoxon`` on the array.
_WILCOXON_DIRECT = 20_000
#: Largest number of cells of a paired (structure, baseline) joint distribution
#: resampled exactly; beyond it the values are put on a coarser grid.
_MAX_JOINT_CELLS = 20_000
_BLOCK = 250  # bootstrap resamples drawn at a time (bounds memory)

# metric kinds
_PROP, _MEAN, _QUANT = "proportion", "mean", "quantile"
_BINARY = ("world_war", "deterred", "vetoed")
_SIZES = ("belligerents", "power_share", "rounds", "broken_promises", "sanctions", "diplomacy")
_QUANTILE_VARS = ("belligerents", "power_share")
_LABELS = {
    "world_war": "P(world war)",
    "deterred": "P(deterred)",
    "vetoed": "P(vetoed)",
    "belligerents": "belligerents",
    "power_share": "power share at war",
    "rounds": "rounds",
    "broken_promises": "broken promises per cascade",
    "sanctions": "sanctions per cascade",
    "diplomacy": "diplomatic responses per cascade",
}


def _scipy_stats():
    try:
        from scipy import stats
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "escalate's statistics need scipy: pip install 'escalate[stats]'"
        ) from exc
    return stats


# ---------------------------------------------------------------------------
# small public helpers


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


def proportion_intervals(
    results: pd.DataFrame, column: str = "world_war", *, confidence: float = 0.95
) -> pd.DataFrame:
    """P(column is true) per structure with Wilson score intervals.

    Parameters
    ----------
    results
        Cascades table with ``structure`` and a boolean ``column``.
    column
        A boolean column, e.g. ``world_war``, ``deterred``, ``vetoed``.
    confidence
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        ``structure, n, successes, estimate, low, high``, one row per structure
        in the order of :func:`compare`. Intervals from
        ``scipy.stats.binomtest(k, n).proportion_ci(confidence, "wilson")``.
    """
    stats = _scipy_stats()
    _check_confidence(confidence)
    rows = []
    for name, idx in _groups(results):
        x = results[column].to_numpy()[idx]
        n, k = int(x.size), int(np.count_nonzero(x))
        ci = stats.binomtest(k, n).proportion_ci(confidence, method="wilson")
        rows.append((name, n, k, k / n, float(ci.low), float(ci.high)))
    return pd.DataFrame(rows, columns=["structure", "n", "successes", "estimate", "low", "high"])


# ---------------------------------------------------------------------------
# grouping and pairing


def _check_confidence(confidence: float) -> None:
    if not (0.0 < float(confidence) < 1.0):
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")


def _check_columns(results: pd.DataFrame, columns: Sequence[str]) -> None:
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame, got {type(results).__name__}")
    missing = [c for c in columns if c not in results.columns]
    if missing:
        raise ValueError(
            f"results lack the column(s) {', '.join(missing)} (expected the cascades table "
            "of MODEL.md section 4, e.g. escalate.read_results(DIR))"
        )
    if len(results) == 0:
        raise ValueError("results are empty: no rows to analyse")


def _groups(results: pd.DataFrame) -> list[tuple[str, slice | np.ndarray]]:
    """(structure name, row selector) in a stable order.

    Categorical ``structure``: category order (observed categories only);
    otherwise order of first appearance. Selectors are slices when the rows are
    sorted by structure (as :func:`escalate.read_results` returns them), so
    columns are viewed, not copied.
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
    out: list[tuple[str, slice | np.ndarray]] = []
    if codes.size and np.all(codes[1:] >= codes[:-1]):
        present = np.unique(codes)
        starts = np.searchsorted(codes, present, side="left")
        stops = np.searchsorted(codes, present, side="right")
        out = [
            (names[c], slice(int(a), int(b)))
            for c, a, b in zip(present, starts, stops, strict=True)
        ]
    else:
        order = np.argsort(codes, kind="stable")
        sc = codes[order]
        present = np.unique(sc)
        starts = np.searchsorted(sc, present, side="left")
        stops = np.searchsorted(sc, present, side="right")
        out = [(names[c], order[a:b]) for c, a, b in zip(present, starts, stops, strict=True)]
    if len({n for n, _ in out}) != len(out):
        raise ValueError("two structures have the same name once converted to text")
    return out


def _pair_index(rep_s: np.ndarray, rep_b: np.ndarray, name: str, base: str):
    """Positions (in s, in b) of the common replicates, in replicate order."""
    for r, nm in ((rep_s, name), (rep_b, base)):
        if not (r.size < 2 or np.all(r[1:] > r[:-1])) and np.unique(r).size != r.size:
            raise ValueError(f"structure {nm!r} has a replicate index more than once")
    if rep_s.size == rep_b.size and np.array_equal(rep_s, rep_b):
        return slice(None), slice(None)
    _, i_s, i_b = np.intersect1d(rep_s, rep_b, assume_unique=True, return_indices=True)
    return i_s, i_b


def _rng(seed: int, *labels: str) -> np.random.Generator:
    """Independent, order-free bootstrap stream per (seed, labels)."""
    key = zlib.crc32("\x1f".join(labels).encode())
    return np.random.default_rng(np.random.SeedSequence([int(seed) & (2**63 - 1), key]))


# ---------------------------------------------------------------------------
# value-count bootstrap machinery


def _order_rank(q: float, n: int) -> int:
    """1-based rank of the inverted-CDF q-quantile among n sorted values."""
    qn = q * n
    k = round(qn) if abs(qn - round(qn)) <= 1e-9 * max(1.0, qn) else math.ceil(qn)
    return min(max(int(k), 1), n)


def _quantile_from_counts(values: np.ndarray, counts: np.ndarray, q: float) -> float:
    """Inverted-CDF quantile of a distribution given by sorted values and counts."""
    n = int(counts.sum())
    cum = np.cumsum(counts)
    return float(values[np.searchsorted(cum, _order_rank(q, n), side="left")])


def _quantiles_rows(values: np.ndarray, m: np.ndarray, q: float) -> np.ndarray:
    """Inverted-CDF quantile of each row of a (resamples x values) count matrix."""
    n = int(m[0].sum())
    k = _order_rank(q, n)
    cum = np.cumsum(m, axis=1)
    return values[(cum < k).sum(axis=1)]


def _multinomial_stats(
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
    for start in range(0, n_resamples, _BLOCK):
        m = rng.multinomial(n, p, size=min(_BLOCK, n_resamples - start))
        out.append(stat(m))
    return np.concatenate(out, axis=0)


def _boot_sd(boot: np.ndarray) -> np.ndarray:
    """Standard deviation of bootstrap statistics; exactly 0 when constant."""
    return (boot - boot[:1]).std(axis=0, ddof=1)


def _percentile(boot: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    a = (1.0 - confidence) / 2.0
    return np.quantile(boot, a, axis=0), np.quantile(boot, 1.0 - a, axis=0)


def _is_int(x: np.ndarray) -> bool:
    return bool(np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_)


def _value_counts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values (float64) and their counts."""
    if _is_int(x) and x.size:
        lo, hi = int(x.min()), int(x.max())
        if hi - lo < 10_000_000:
            cnt = np.bincount((x - lo) if lo != 0 else x, minlength=hi - lo + 1)
            keep = np.flatnonzero(cnt)
            return (keep + lo).astype(np.float64), cnt[keep].astype(np.int64)
    values, counts = np.unique(x, return_counts=True)
    return values.astype(np.float64), counts.astype(np.int64)


def _moments(values: np.ndarray, counts: np.ndarray) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1) from value counts."""
    n = float(counts.sum())
    mean = float(counts @ values) / n
    if n < 2:
        return mean, 0.0
    dev = values - mean
    return mean, math.sqrt(max(float(counts @ (dev * dev)), 0.0) / (n - 1.0))


def _grid(lo: float, hi: float, points: int) -> tuple[float, float]:
    step = (hi - lo) / (points - 1) if hi > lo else 1.0
    return lo, step


@dataclass
class _Dist:
    """A variable in one structure: raw summaries plus resampling cells."""

    n: int
    mean: float
    sd: float
    quantiles: dict[float, float]
    raw_values: np.ndarray  # sorted distinct raw values
    values: np.ndarray  # resampling cells (raw values, or grid points if coarse)
    counts: np.ndarray
    coarse: bool


def _dist(x: np.ndarray, qs: Sequence[float], max_categories: int) -> _Dist:
    values, counts = _value_counts(x)
    n = int(counts.sum())
    mean, sd = _moments(values, counts)
    quantiles = {q: _quantile_from_counts(values, counts, q) for q in qs}
    if values.size > max_categories:
        lo, step = _grid(float(values[0]), float(values[-1]), max_categories)
        codes = np.rint((values - lo) / step).astype(np.int64)
        gc = np.bincount(codes, weights=counts, minlength=max_categories).astype(np.int64)
        keep = np.flatnonzero(gc)
        return _Dist(n, mean, sd, quantiles, values, lo + step * keep, gc[keep], True)
    return _Dist(n, mean, sd, quantiles, values, values, counts, False)


def _dist_bootstrap(d: _Dist, qs, n_resamples, rng, confidence):
    """Bootstrap (mean, q...) of one structure: (low, high, boot sd) arrays."""
    v = d.values

    def stat(m):
        cols = [m @ v / d.n] + [_quantiles_rows(v, m, q) for q in qs]
        return np.column_stack(cols)

    boot = _multinomial_stats(d.counts, stat, n_resamples, rng)
    low, high = _percentile(boot, confidence)
    if d.coarse:  # recentre on the raw estimates
        est_grid = stat(d.counts[None, :])[0]
        shift = np.array([d.mean] + [d.quantiles[q] for q in qs]) - est_grid
        low, high = low + shift, high + shift
    return low, high, _boot_sd(boot)


@dataclass
class _Joint:
    """Joint distribution of (structure, baseline) values over paired replicates."""

    xv: np.ndarray
    yv: np.ndarray
    counts: np.ndarray
    coarse: bool

    @property
    def n(self) -> int:
        return int(self.counts.sum())


def _cells(cx: np.ndarray, cy: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct joint codes ``cx * k + cy`` and their counts."""
    if k * k <= 4_000_000:
        key = cx.astype(np.int32) * np.int32(k) + cy.astype(np.int32)
        cnt = np.bincount(key, minlength=k * k)
        cells = np.flatnonzero(cnt)
        return cells, cnt[cells].astype(np.int64)
    key = cx.astype(np.int64) * k + cy
    cells, cnt = np.unique(key, return_counts=True)
    return cells, cnt.astype(np.int64)


def _joint(x: np.ndarray, y: np.ndarray, dx: _Dist, dy: _Dist, max_categories: int) -> _Joint:
    """Joint value counts of paired arrays; ``dx``/``dy`` are their distributions."""
    vocab = np.union1d(dx.raw_values, dy.raw_values)
    if vocab.size <= max_categories:
        if _is_int(x) and _is_int(y) and vocab[-1] - vocab[0] < max_categories:
            lo = int(vocab[0])
            k = int(vocab[-1]) - lo + 1
            cells, cnt = _cells(x - lo if lo else x, y - lo if lo else y, k)
            xv, yv = (cells // k + lo).astype(np.float64), (cells % k + lo).astype(np.float64)
        else:
            index = pd.Index(vocab)
            k = vocab.size
            cells, cnt = _cells(index.get_indexer(x), index.get_indexer(y), k)
            xv, yv = vocab[cells // k], vocab[cells % k]
        if cells.size <= _MAX_JOINT_CELLS:
            return _Joint(xv, yv, cnt, False)
        points = max(16, min(k, max_categories) // 2)
    else:
        points = max_categories
    # too many distinct values or pairs to resample exactly: an even grid
    xf, yf = x.astype(np.float64), y.astype(np.float64)
    while True:
        lo, step = _grid(float(vocab[0]), float(vocab[-1]), points)
        cx = np.rint((xf - lo) / step).astype(np.int64)
        cy = np.rint((yf - lo) / step).astype(np.int64)
        cells, cnt = _cells(cx, cy, points)
        if cells.size <= _MAX_JOINT_CELLS or points <= 16:
            grid = lo + step * np.arange(points)
            return _Joint(grid[cells // points], grid[cells % points], cnt, True)
        points = max(16, points // 2)


def _marginal_sorter(v: np.ndarray):
    order = np.argsort(v, kind="stable")
    sv = v[order]
    starts = np.flatnonzero(np.r_[True, sv[1:] != sv[:-1]])
    return order, starts, sv[starts]


def _paired_bootstrap(j: _Joint, qs, n_resamples, rng, confidence, raw_diffs):
    """Paired bootstrap of (mean diff, quantile diffs): (low, high, sd) arrays."""
    d = j.xv - j.yv
    ox, sx, vx = _marginal_sorter(j.xv)
    oy, sy, vy = _marginal_sorter(j.yv)
    n = j.n

    def stat(m):
        cols = [m @ d / n]
        if qs:
            mx = np.add.reduceat(m[:, ox], sx, axis=1)
            my = np.add.reduceat(m[:, oy], sy, axis=1)
            cols += [_quantiles_rows(vx, mx, q) - _quantiles_rows(vy, my, q) for q in qs]
        return np.column_stack(cols)

    boot = _multinomial_stats(j.counts, stat, n_resamples, rng)
    low, high = _percentile(boot, confidence)
    if j.coarse:
        shift = np.asarray(raw_diffs) - stat(j.counts[None, :])[0]
        low, high = low + shift, high + shift
    return low, high, _boot_sd(boot)


def _binary_joint(x: np.ndarray, y: np.ndarray) -> tuple[int, int, int]:
    """(n, b, c): pairs, outcome only in x, outcome only in y."""
    return int(x.size), int(np.count_nonzero(x & ~y)), int(np.count_nonzero(~x & y))


def _binary_from_joint(j: _Joint, k: float) -> tuple[int, int, int]:
    bx, by = j.xv >= k, j.yv >= k
    return j.n, int(j.counts[bx & ~by].sum()), int(j.counts[~bx & by].sum())


def _signed_rank_counts(dv: np.ndarray, dc: np.ndarray):
    """Wilcoxon signed-rank on value counts of the differences.

    Returns (T+, T-, n_nonzero, p two-sided by the tie-corrected normal
    approximation, identical to ``scipy.stats.wilcoxon(method="approx")``).
    """
    stats = _scipy_stats()
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


def _wilcoxon(dv: np.ndarray, dc: np.ndarray):
    """(T+, rank-biserial r, p) of the paired differences given as value counts."""
    stats = _scipy_stats()
    t_plus, t_minus, n_nz, p = _signed_rank_counts(dv, dc)
    if n_nz == 0:
        return 0.0, 0.0, 1.0
    r = (t_plus - t_minus) / (t_plus + t_minus)
    if n_nz <= _WILCOXON_DIRECT:
        nz = dv != 0
        diffs = np.repeat(dv[nz], dc[nz])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = float(stats.wilcoxon(diffs, zero_method="wilcox").pvalue)
    return t_plus, r, p


def _differences(j: _Joint, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Value counts of the paired differences x - y and their sample sd.

    From the joint cells when they hold the raw values, else from the arrays.
    Floating differences are rounded to 12 decimals so that equal differences
    computed from different pairs form one tie.
    """
    floating = not (_is_int(x) and _is_int(y))
    if not j.coarse:
        d = j.xv - j.yv
        if floating:
            d = np.round(d, 12)
        dv, inv = np.unique(d, return_inverse=True)
        dc = np.bincount(inv, weights=j.counts, minlength=dv.size).astype(np.int64)
    else:
        d = x.astype(np.float64) - y.astype(np.float64)
        dv, dc = _value_counts(np.round(d, 12) if floating else d)
    return dv, dc, _moments(dv, dc)[1]


# ---------------------------------------------------------------------------
# compare


def _metric_specs(
    ks: Sequence[int], qs: Sequence[float]
) -> list[tuple[str, str, str, object, str]]:
    """(metric, kind, variable, parameter, label) in output order."""
    specs: list[tuple[str, str, str, object, str]] = [
        (f"p_{v}", _PROP, v, None, _LABELS[v]) for v in _BINARY
    ]
    specs += [
        (f"p_belligerents_ge_{k}", _PROP, "belligerents", k, f"P(belligerents ≥ {k})") for k in ks
    ]
    specs.append(("p_broken_promise", _PROP, "broken_promises", 1, "P(any broken promise)"))
    for v in _SIZES:
        specs.append((f"mean_{v}", _MEAN, v, None, f"mean {_LABELS[v]}"))
        if v in _QUANTILE_VARS:
            specs += [(f"{_qname(q)}_{v}", _QUANT, v, q, f"{_qlabel(q)} {_LABELS[v]}") for q in qs]
    return specs


def _qname(q: float) -> str:
    return f"q{100 * q:g}"


def _qlabel(q: float) -> str:
    return "median" if q == 0.5 else f"{100 * q:g}th pct."


_COLUMNS = [
    "structure",
    "metric",
    "label",
    "kind",
    "n",
    "estimate",
    "se",
    "low",
    "high",
    "interval",
    "baseline",
    "n_pairs",
    "difference",
    "difference_low",
    "difference_high",
    "se_paired",
    "se_unpaired",
    "se_ratio",
    "test",
    "statistic",
    "p_value",
    "p_holm",
    "effect_size",
]


def compare(
    results: pd.DataFrame,
    baseline: str | None = None,
    *,
    confidence: float = 0.95,
    ks: Sequence[int] = (3, 5, 10),
    seed: int = 0,
    quantiles: Sequence[float] = (0.5, 0.9, 0.99),
    n_resamples: int = 1000,
    max_categories: int = 4096,
) -> pd.DataFrame:
    """Estimates with intervals per structure, and paired tests against a baseline.

    Parameters
    ----------
    results
        Cascades table (MODEL.md section 4) with a ``structure`` column: one row
        per replicate per structure. Structures are paired by ``replicate``
        (inner join): same seed and replicate means same keyed random draws.
    baseline
        Structure the others are compared with (default: the first, in
        category order for a categorical ``structure``, else order of
        appearance).
    confidence
        Level of every interval (default 0.95).
    ks
        Thresholds k of the rows ``P(belligerents >= k)``.
    seed
        Seed of the bootstrap resampling (results are reproducible).
    quantiles
        Quantiles of belligerents and power share (default 0.5, 0.9, 0.99).
    n_resamples
        Bootstrap resamples per interval (default 1000).
    max_categories
        Largest number of distinct values of one variable resampled exactly;
        beyond it the resampling (never the point estimate) uses an even grid.

    Returns
    -------
    pandas.DataFrame
        One tidy row per structure x metric. Columns:

        ``structure, metric, label, kind``
            ``metric`` is a stable identifier (``p_world_war``, ``p_deterred``,
            ``p_vetoed``, ``p_belligerents_ge_K``, ``p_broken_promise``,
            ``mean_X``, ``q50_X``, ``q90_X``, ``q99_X``), ``label`` a readable
            name, ``kind`` one of ``proportion``, ``mean``, ``quantile``.
        ``n, estimate, se, low, high, interval``
            Rows of the structure, the estimate, its standard error and
            interval; ``interval`` names the method (``wilson``,
            ``bootstrap-percentile``).
        ``baseline, n_pairs``
            The baseline's name and the number of replicates present in both.
        ``difference, difference_low, difference_high``
            structure minus baseline over the paired replicates, with its paired
            bootstrap percentile interval (NaN on the baseline's own rows).
        ``se_paired, se_unpaired, se_ratio``
            Standard error of the difference with and without using the
            pairing, and their ratio (0 for identical structures, NaN when both
            are 0).
        ``test, statistic, p_value, p_holm, effect_size``
            ``mcnemar-exact`` (statistic: ``b``, the pairs with the outcome only
            in this structure) for proportions, ``wilcoxon-signed-rank``
            (statistic: T+, the rank sum of positive differences) for means;
            quantile rows carry no test (intervals only). ``p_holm`` is Holm's
            adjustment over every test in the table. ``effect_size`` is the
            matched-pairs rank-biserial correlation in [-1, 1].

        ``DataFrame.attrs`` holds ``baseline``, ``confidence``, ``seed``,
        ``n_resamples``.

    Notes
    -----
    Proportions: Wilson score interval (``scipy.stats.binomtest``). Means and
    quantiles: the nonparametric bootstrap with percentile intervals, computed
    exactly on value counts (a resample of n rows is a multinomial draw of the
    value counts), so the cost does not grow with the number of rows and
    nothing is subsampled; ten million rows per structure take seconds.
    Quantiles are inverted-CDF order statistics (values that occurred). See the
    module docstring for the details of every test and standard error.

    Examples
    --------
    >>> import escalate
    >>> worlds = ["configs/europe_1914.toml", "configs/europe_1914_no_alliances.toml"]
    >>> df = pd.concat(
    ...     [escalate.simulate(w, 100_000, seed=1) for w in worlds]
    ... )  # doctest: +SKIP
    >>> table = compare(df, baseline="europe_1914_no_alliances")  # doctest: +SKIP
    >>> table.query("metric == 'p_world_war'")[  # doctest: +SKIP
    ...     ["structure", "estimate", "low", "high", "difference", "p_holm", "se_ratio"]]
    """
    stats = _scipy_stats()
    _check_confidence(confidence)
    _check_columns(results, REQUIRED_COLUMNS)
    if int(n_resamples) < 100:
        raise ValueError(f"n_resamples must be at least 100, got {n_resamples}")
    if int(max_categories) < 16:
        raise ValueError(f"max_categories must be at least 16, got {max_categories}")
    ks = [int(k) for k in ks]
    qs = [float(q) for q in quantiles]
    if any(not 0.0 < q < 1.0 for q in qs):
        raise ValueError(f"quantiles must be strictly between 0 and 1, got {list(quantiles)}")

    groups = _groups(results)
    names = [g for g, _ in groups]
    if baseline is None:
        baseline = names[0]
    elif str(baseline) not in names:
        import difflib

        close = difflib.get_close_matches(str(baseline), names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"baseline {baseline!r} is not a structure of the results{hint}; "
            f"structures: {', '.join(names)}"
        )
    baseline = str(baseline)
    columns = {c: results[c].to_numpy() for c in REQUIRED_COLUMNS if c != "structure"}
    for c in ("deterred", "vetoed", "world_war"):
        columns[c] = columns[c].astype(bool, copy=False)
    if np.isnan(columns["power_share"]).any():
        raise ValueError("power_share has missing values (NaN)")
    specs = _metric_specs(ks, qs)

    # ---- per structure
    per: dict[str, dict] = {}
    rows: list[dict] = []
    for name, idx in groups:
        data = {c: a[idx] for c, a in columns.items()}
        n = int(data["replicate"].size)
        dists = {
            v: _dist(data[v], qs if v in _QUANTILE_VARS else (), max_categories) for v in _SIZES
        }
        est: dict[str, tuple[float, float, float, float, str]] = {}
        for metric, kind, var, par, _label in specs:
            if kind == _PROP:
                if par is None:
                    k = int(np.count_nonzero(data[var]))
                else:
                    dd = dists[var]
                    k = (
                        int(dd.counts[dd.values >= par].sum())
                        if not dd.coarse
                        else int(np.count_nonzero(data[var] >= par))
                    )
                p = k / n
                ci = stats.binomtest(k, n).proportion_ci(confidence, method="wilson")
                est[metric] = (
                    p,
                    math.sqrt(p * (1 - p) / n),
                    float(ci.low),
                    float(ci.high),
                    "wilson",
                )
        for var in _SIZES:
            dd = dists[var]
            vqs = qs if var in _QUANTILE_VARS else []
            low, high, sd = _dist_bootstrap(
                dd, vqs, n_resamples, _rng(seed, "single", name, var), confidence
            )
            est[f"mean_{var}"] = (
                dd.mean,
                dd.sd / math.sqrt(n),
                float(low[0]),
                float(high[0]),
                "bootstrap-percentile",
            )
            for i, q in enumerate(vqs, start=1):
                est[f"{_qname(q)}_{var}"] = (
                    dd.quantiles[q],
                    float(sd[i]),
                    float(low[i]),
                    float(high[i]),
                    "bootstrap-percentile",
                )
        per[name] = {"data": data, "est": est, "dists": dists, "n": n}

    # ---- paired against the baseline
    paired: dict[tuple[str, str], dict] = {}
    b = per[baseline]
    for name, _ in groups:
        if name == baseline:
            continue
        s = per[name]
        i_s, i_b = _pair_index(s["data"]["replicate"], b["data"]["replicate"], name, baseline)
        full = isinstance(i_s, slice)
        xs = {c: s["data"][c][i_s] for c in columns if c != "replicate"}
        ys = {c: b["data"][c][i_b] for c in columns if c != "replicate"}
        n_pairs = int(xs["world_war"].size)
        if n_pairs == 0:
            warnings.warn(
                f"structure {name!r} shares no replicate index with the baseline "
                f"{baseline!r}: no paired comparison",
                stacklevel=2,
            )
            for metric, *_ in specs:
                paired[(name, metric)] = {"n_pairs": 0}
            continue
        for var in _BINARY:
            _, bb, cc = _binary_joint(xs[var], ys[var])
            paired[(name, f"p_{var}")] = _binary_comparison(
                n_pairs,
                bb,
                cc,
                stats,
                n_resamples,
                _rng(seed, "paired", name, baseline, var),
                confidence,
            )
        for var in _SIZES:
            x, y = xs[var], ys[var]
            vqs = qs if var in _QUANTILE_VARS else []
            if full:
                ex, ey = s["dists"][var], b["dists"][var]
            else:
                ex, ey = _dist(x, vqs, max_categories), _dist(y, vqs, max_categories)
            j = _joint(x, y, ex, ey, max_categories)
            raw = [ex.mean - ey.mean] + [ex.quantiles[q] - ey.quantiles[q] for q in vqs]
            low, high, sd = _paired_bootstrap(
                j, vqs, n_resamples, _rng(seed, "paired", name, baseline, var), confidence, raw
            )
            dv, dc, sd_d = _differences(j, x, y)
            se_p = sd_d / math.sqrt(n_pairs)
            t_plus, r, pval = _wilcoxon(dv, dc)
            paired[(name, f"mean_{var}")] = {
                "n_pairs": n_pairs,
                "difference": raw[0],
                "difference_low": float(low[0]),
                "difference_high": float(high[0]),
                "se_paired": se_p,
                "test": "wilcoxon-signed-rank",
                "statistic": t_plus,
                "p_value": pval,
                "effect_size": r,
            }
            for i, q in enumerate(vqs, start=1):
                paired[(name, f"{_qname(q)}_{var}")] = {
                    "n_pairs": n_pairs,
                    "difference": raw[i],
                    "difference_low": float(low[i]),
                    "difference_high": float(high[i]),
                    "se_paired": float(sd[i]),
                }
            if var == "belligerents":
                for k in ks:
                    _, bb, cc = _binary_from_joint(j, k)
                    paired[(name, f"p_belligerents_ge_{k}")] = _binary_comparison(
                        n_pairs,
                        bb,
                        cc,
                        stats,
                        n_resamples,
                        _rng(seed, "paired", name, baseline, f"ge{k}"),
                        confidence,
                    )
            if var == "broken_promises":
                _, bb, cc = _binary_joint(x > 0, y > 0)
                paired[(name, "p_broken_promise")] = _binary_comparison(
                    n_pairs,
                    bb,
                    cc,
                    stats,
                    n_resamples,
                    _rng(seed, "paired", name, baseline, "any_broken"),
                    confidence,
                )

    # ---- assemble
    for name, _ in groups:
        est = per[name]["est"]
        for metric, kind, _var, _par, label in specs:
            e, se, lo, hi, method = est[metric]
            row = {
                "structure": name,
                "metric": metric,
                "label": label,
                "kind": kind,
                "n": per[name]["n"],
                "estimate": e,
                "se": se,
                "low": lo,
                "high": hi,
                "interval": method,
                "baseline": baseline,
                "test": "",
            }
            if name != baseline:
                pr = paired[(name, metric)]
                row.update(pr)
                if pr.get("n_pairs", 0) > 0:
                    se_b = per[baseline]["est"][metric][1]
                    se_u = math.hypot(se, se_b)
                    row["se_unpaired"] = se_u
                    row["se_ratio"] = pr["se_paired"] / se_u if se_u > 0 else np.nan
            rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=_COLUMNS)
    out["n_pairs"] = out["n_pairs"].astype("Int64")
    out["p_holm"] = holm(out["p_value"].to_numpy(dtype=float))
    out.attrs.update(
        {"baseline": baseline, "confidence": confidence, "seed": seed, "n_resamples": n_resamples}
    )
    return out


def _binary_comparison(n, b, c, stats, n_resamples, rng, confidence) -> dict:
    """Exact McNemar, effect size and paired bootstrap interval of a difference
    of paired proportions from its discordant counts."""
    diff = (b - c) / n
    var = (b + c) / n - diff * diff
    se_p = math.sqrt(max(var, 0.0) / n)
    p = 1.0 if b + c == 0 else float(stats.binomtest(b, b + c, 0.5).pvalue)
    cells = np.array([c, n - b - c, b], np.int64)  # d = -1, 0, +1
    boot = _multinomial_stats(cells, lambda m: ((m[:, 2] - m[:, 0]) / n)[:, None], n_resamples, rng)
    low, high = _percentile(boot, confidence)
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
