"""Estimates with intervals per structure, and paired comparisons against a baseline.

Everything here works on the cascades table (docs/model.md): one row per
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

Everything above is computed from counts: per structure, the successes of
the binary outcomes and the value counts of each size; per structure and the
baseline, the discordant pairs of the binary outcomes and the joint value
counts of the (structure, baseline) pairs of each size over the replicates both
have. Counts add up, so :func:`compare_results` reads a run one replicate range
at a time (every structure's part of that range together), adds each range's
counts to the totals and drops its rows: memory is one part per structure plus
the distinct values and pairs, and the table is identical, value for value, to
:func:`compare` of the whole table in memory. Only the exact Wilcoxon p value
(``scipy.stats.wilcoxon`` up to 20,000 non-zero differences) expands the
differences into an array, and only when there are that few. The tail exponents
(``escalate compare --tails``) fit the war sizes themselves and still read those
two columns whole.

The pieces live in their own modules, which this one puts together: value counts
(:mod:`.counts`), the bootstrap (:mod:`.bootstrap`), proportion intervals
(:mod:`.intervals`), paired tests and errors (:mod:`.paired`), metrics (:mod:`.metrics`).
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .bootstrap import bootstrap_distribution, bootstrap_rng, paired_bootstrap
from .common import check_columns, check_confidence, structure_groups
from .counts import (
    Dist,
    distribution_from_counts,
    joint_from_counts,
    paired_differences_from_counts,
)
from .intervals import proportion_se, wilson_interval
from .metrics import (
    BINARY,
    OUTPUT_COLUMNS,
    PROPORTION,
    QUANTILE_VARIABLES,
    REQUIRED_COLUMNS,
    SIZES,
    MetricSpec,
    metric_specs,
    quantile_name,
)
from .paired import (
    binary_comparison,
    discordant_pairs_at,
    holm,
    pair_index,
    se_ratio,
    se_unpaired,
    wilcoxon,
)
from .tally import JointCounts, PairTally, Tally, marginal, run_structures, window_columns

__all__ = ["compare", "compare_results"]

#: ``interval`` of the bootstrap rows
_BOOTSTRAP = "bootstrap-percentile"


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
        Cascades table (docs/model.md) with a ``structure`` column: one row
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
    >>> worlds = ["europe_1914", "europe_1914_no_alliances"]
    >>> df = pd.concat([escalate.simulate(w, 2_000, seed=1) for w in worlds])
    >>> table = compare(df, baseline="europe_1914_no_alliances")
    >>> r = table.query("metric == 'p_world_war' and structure == 'europe_1914'").iloc[0]
    >>> int(r.n), r.interval, r.test, bool(r.low < r.estimate < r.high and r.difference > 0)
    (2000, 'wilson', 'mcnemar-exact', True)
    """
    check_columns(results, REQUIRED_COLUMNS)
    opts = _options(confidence, ks, seed, quantiles, n_resamples, max_categories)
    groups = structure_groups(results)
    names = [g for g, _ in groups]
    columns = _read_columns(results)
    window = {name: {c: a[idx] for c, a in columns.items()} for name, idx in groups}
    return _compare_windows([window], names, baseline, opts)


def compare_results(
    out: str | Path,
    baseline: str | None = None,
    *,
    structures: Iterable[str] | None = None,
    confidence: float = 0.95,
    ks: Sequence[int] = (3, 5, 10),
    seed: int = 0,
    quantiles: Sequence[float] = (0.5, 0.9, 0.99),
    n_resamples: int = 1000,
    max_categories: int = 4096,
    verify: bool = True,
    progress: bool = False,
) -> pd.DataFrame:
    """:func:`compare` of a finished run, streamed part by part in flat memory.

    The run's cascades are read one replicate range at a time, every structure's
    part of that range together (:func:`escalate.results.read.scan_windows`):
    each structure's value counts and each structure's joint value counts with
    the baseline over the replicates both have are added up range by range, and
    the table is computed from those counts. Memory is one part per structure
    plus the counts (distinct values, distinct pairs of values), whatever the
    number of replicates.

    Parameters
    ----------
    out
        The run directory (``out`` of :func:`escalate.run`).
    baseline, confidence, ks, seed, quantiles, n_resamples, max_categories
        As for :func:`compare`.
    structures
        Only these structures, in this order (default: the run's order).
    verify
        Check every part's digest (default; see
        :func:`escalate.results.read.scan_results`).
    progress
        Show a progress bar over the parts on stderr (terminals only).

    Returns
    -------
    pandas.DataFrame
        Identical, value for value, to ``compare(read_results(out), ...)``.

    Raises
    ------
    ResultsError
        The directory is not a complete run or a part is corrupt.
    ValueError
        As :func:`compare`.

    Examples
    --------
    >>> table = compare_results("out", baseline="europe_1914_no_alliances")
    >>> table.query("metric == 'p_world_war'")["structure"].tolist()  # the baseline first
    ['europe_1914_no_alliances', 'europe_1914']
    """
    from ..results.read import scan_windows

    opts = _options(confidence, ks, seed, quantiles, n_resamples, max_categories)
    names = run_structures(out, structures)
    cols = [c for c in REQUIRED_COLUMNS if c != "structure"]
    scan = scan_windows(out, structures=names, columns=cols, verify=verify, progress=progress)
    return _compare_windows(window_columns(scan), names, baseline, opts)


def _compare_windows(
    windows: Iterable[dict[str, dict[str, np.ndarray]]],
    names: list[str],
    baseline: str | None,
    opts: _Options,
) -> pd.DataFrame:
    """:func:`compare` of rows given as windows of replicates.

    Each window maps a structure to its rows' columns; a replicate of a
    structure is in one window only, and pairs are formed within a window.
    Only the counts of each window are kept.
    """
    if not names:
        raise ValueError("results are empty: no rows to analyse")
    base = _resolve_baseline(baseline, names)
    tallies = {name: Tally() for name in names}
    pairs = {name: PairTally() for name in names}
    for window in windows:
        for name, data in window.items():
            tallies[name].add(data)
        b = window.get(base)
        if b is None:
            continue
        for name, data in window.items():
            if name != base:
                i_s, i_b = pair_index(data["replicate"], b["replicate"], name, base)
                pairs[name].add(data, b, i_s, i_b)
        del window, data, b  # hold one window's rows at a time
    names = [n for n in names if tallies[n].n > 0]
    if not names:
        raise ValueError("results are empty: no rows to analyse")
    baseline = _resolve_baseline(baseline, names)
    specs = metric_specs(opts.ks, opts.qs)
    per = {name: _estimate(name, tallies[name], specs, opts) for name in names}
    paired: dict[str, dict[str, dict] | None] = {}
    for name in names:
        if name != baseline:
            integers = {
                v: tallies[name].integers[v] and tallies[baseline].integers[v] for v in SIZES
            }
            paired[name] = _compare_pair(name, pairs[name], integers, baseline, opts)
            if paired[name] is None:
                warnings.warn(
                    f"structure {name!r} shares no replicate index with the baseline "
                    f"{baseline!r}: no paired comparison",
                    stacklevel=3,
                )
    out = _table(sorted(names, key=lambda n: n != baseline), baseline, specs, per, paired)
    out.attrs.update(
        {
            "baseline": baseline,
            "confidence": opts.confidence,
            "seed": opts.seed,
            "n_resamples": opts.n_resamples,
        }
    )
    return out


# ---------------------------------------------------------------------------
# inputs


@dataclass(frozen=True)
class _Options:
    """The settings of one :func:`compare` call, checked."""

    confidence: float
    ks: list[int]
    qs: list[float]
    seed: int
    n_resamples: int
    max_categories: int

    def quantiles_of(self, variable: str) -> list[float]:
        """The quantiles reported for ``variable`` (none for most)."""
        return self.qs if variable in QUANTILE_VARIABLES else []


def _options(
    confidence: float,
    ks: Sequence[int],
    seed: int,
    quantiles: Sequence[float],
    n_resamples: int,
    max_categories: int,
) -> _Options:
    """Check :func:`compare`'s settings."""
    check_confidence(confidence)
    if int(n_resamples) < 100:
        raise ValueError(f"n_resamples must be at least 100, got {n_resamples}")
    if int(max_categories) < 16:
        raise ValueError(f"max_categories must be at least 16, got {max_categories}")
    qs = [float(q) for q in quantiles]
    if any(not 0.0 < q < 1.0 for q in qs):
        raise ValueError(f"quantiles must be strictly between 0 and 1, got {list(quantiles)}")
    return _Options(confidence, [int(k) for k in ks], qs, seed, n_resamples, max_categories)


def _resolve_baseline(baseline: str | None, names: list[str]) -> str:
    """The baseline's name: the first structure by default; a helpful error if unknown."""
    if baseline is None:
        return names[0]
    if str(baseline) not in names:
        close = difflib.get_close_matches(str(baseline), names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"baseline {baseline!r} is not a structure of the results{hint}; "
            f"structures: {', '.join(names)}"
        )
    return str(baseline)


def _read_columns(results: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns :func:`compare` reads, as arrays (binary outcomes as bool)."""
    columns = {c: results[c].to_numpy() for c in REQUIRED_COLUMNS if c != "structure"}
    for c in BINARY:
        columns[c] = columns[c].astype(bool, copy=False)
    return columns


# ---------------------------------------------------------------------------
# per structure

#: (estimate, se, low, high, interval method) of one metric
_Estimate = tuple[float, float, float, float, str]


@dataclass
class _Structure:
    """One structure's size, distributions and estimates."""

    n: int
    dists: dict[str, Dist]
    est: dict[str, _Estimate]


def _estimate(name: str, tally: Tally, specs: list[MetricSpec], opts: _Options) -> _Structure:
    """Every metric of one structure with its standard error and interval."""
    n = tally.n
    dists = {
        v: distribution_from_counts(*tally.counts[v], opts.quantiles_of(v), opts.max_categories)
        for v in SIZES
    }
    est: dict[str, _Estimate] = {}
    for spec in specs:
        if spec.kind == PROPORTION:
            k = _successes(tally, spec.variable, spec.parameter)
            p = k / n
            low, high = wilson_interval(k, n, opts.confidence)
            est[spec.metric] = (p, proportion_se(p, n), low, high, "wilson")
    for var in SIZES:
        est.update(_size_estimates(name, var, dists[var], n, opts))
    return _Structure(n, dists, est)


def _successes(tally: Tally, variable: str, threshold: object) -> int:
    """Rows where ``variable`` is true (no threshold) or ``variable >= threshold``."""
    if threshold is None:
        return tally.successes[variable]
    values, counts = tally.counts[variable]
    return int(counts[values >= threshold].sum())


def _size_estimates(name: str, var: str, d: Dist, n: int, opts: _Options) -> dict[str, _Estimate]:
    """Mean (and quantiles) of a size with bootstrap percentile intervals."""
    qs = opts.quantiles_of(var)
    rng = bootstrap_rng(opts.seed, "single", name, var)
    low, high, sd = bootstrap_distribution(d, qs, opts.n_resamples, rng, opts.confidence)
    out = {f"mean_{var}": (d.mean, d.sd / math.sqrt(n), float(low[0]), float(high[0]), _BOOTSTRAP)}
    for i, q in enumerate(qs, start=1):
        out[f"{quantile_name(q)}_{var}"] = (
            d.quantiles[q],
            float(sd[i]),
            float(low[i]),
            float(high[i]),
            _BOOTSTRAP,
        )
    return out


# ---------------------------------------------------------------------------
# paired against the baseline


def _compare_pair(
    name: str, pairs: PairTally, integers: dict[str, bool], base: str, opts: _Options
) -> dict[str, dict] | None:
    """Paired comparison of every metric of ``name`` with the baseline ``base``.

    Returns ``{metric: columns of the table}``, or None when they share no
    replicate.
    """
    n_pairs = pairs.n
    if n_pairs == 0:
        return None
    out = {}
    for var in BINARY:
        bb, cc = pairs.discordant[var]
        out[f"p_{var}"] = _binary(n_pairs, bb, cc, opts, name, base, var)
    for var in SIZES:
        out.update(_size_comparisons(name, base, var, pairs.joint[var], integers[var], opts))
    return out


def _binary(n: int, b: int, c: int, opts: _Options, *labels: str) -> dict:
    """:func:`binary_comparison` with the bootstrap stream of ``labels``."""
    rng = bootstrap_rng(opts.seed, "paired", *labels)
    return binary_comparison(n, b, c, opts.n_resamples, rng, opts.confidence)


def _size_comparisons(
    name: str, base: str, var: str, joint: JointCounts, integers: bool, opts: _Options
) -> dict[str, dict]:
    """Paired comparison of a size: mean (Wilcoxon), quantiles and derived proportions.

    Everything comes from the joint value counts of the (structure, baseline)
    pairs. The proportions derived from a size are ``P(belligerents >= k)`` and
    ``P(any broken promise)``.
    """
    xv, yv, cnt = joint
    qs, n_pairs = opts.quantiles_of(var), int(cnt.sum())
    ex = distribution_from_counts(*marginal(xv, cnt), qs, opts.max_categories)
    ey = distribution_from_counts(*marginal(yv, cnt), qs, opts.max_categories)
    j = joint_from_counts(xv, yv, cnt, integers, opts.max_categories)
    raw = [ex.mean - ey.mean] + [ex.quantiles[q] - ey.quantiles[q] for q in qs]
    rng = bootstrap_rng(opts.seed, "paired", name, base, var)
    low, high, sd = paired_bootstrap(j, qs, opts.n_resamples, rng, opts.confidence, raw)
    dv, dc, sd_d = paired_differences_from_counts(j, xv, yv, cnt, not integers)
    t_plus, r, pval = wilcoxon(dv, dc)
    out = {
        f"mean_{var}": {
            "n_pairs": n_pairs,
            "difference": raw[0],
            "difference_low": float(low[0]),
            "difference_high": float(high[0]),
            "se_paired": sd_d / math.sqrt(n_pairs),
            "test": "wilcoxon-signed-rank",
            "statistic": t_plus,
            "p_value": pval,
            "effect_size": r,
        }
    }
    for i, q in enumerate(qs, start=1):
        out[f"{quantile_name(q)}_{var}"] = {
            "n_pairs": n_pairs,
            "difference": raw[i],
            "difference_low": float(low[i]),
            "difference_high": float(high[i]),
            "se_paired": float(sd[i]),
        }
    if var == "belligerents":
        for k in opts.ks:
            _, bb, cc = discordant_pairs_at(j, k)
            out[f"p_belligerents_ge_{k}"] = _binary(n_pairs, bb, cc, opts, name, base, f"ge{k}")
    if var == "broken_promises":
        bx, by = xv > 0, yv > 0
        bb, cc = int(cnt[bx & ~by].sum()), int(cnt[~bx & by].sum())
        out["p_broken_promise"] = _binary(n_pairs, bb, cc, opts, name, base, "any_broken")
    return out


# ---------------------------------------------------------------------------
# the table


def _table(
    names: list[str],
    baseline: str,
    specs: list[MetricSpec],
    per: dict[str, _Structure],
    paired: dict[str, dict[str, dict] | None],
) -> pd.DataFrame:
    """One row per structure x metric, Holm's correction over every test."""
    rows: list[dict] = []
    for name in names:
        for spec in specs:
            e, se, lo, hi, method = per[name].est[spec.metric]
            row = {
                "structure": name,
                "metric": spec.metric,
                "label": spec.label,
                "kind": spec.kind,
                "n": per[name].n,
                "estimate": e,
                "se": se,
                "low": lo,
                "high": hi,
                "interval": method,
                "baseline": baseline,
                "test": "",
            }
            if name != baseline:
                pairs = paired[name]
                pr = {"n_pairs": 0} if pairs is None else pairs[spec.metric]
                row.update(pr)
                if pr["n_pairs"] > 0:
                    se_u = se_unpaired(se, per[baseline].est[spec.metric][1])
                    row["se_unpaired"] = se_u
                    row["se_ratio"] = se_ratio(pr["se_paired"], se_u)
            rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=OUTPUT_COLUMNS)
    out["n_pairs"] = out["n_pairs"].astype("Int64")
    out["p_holm"] = holm(out["p_value"].to_numpy(dtype=float))
    return out
