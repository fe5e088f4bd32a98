"""War-size tails: complementary CDFs and power-law tail exponents.

The exponent of each structure's war size is fitted with the ``powerlaw``
package and shown beside the empirical exponent of interstate war severity
(:data:`CLAUSET_2018`) as context, not as a calibration target.
"""

from __future__ import annotations

import warnings
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from .common import (
    check_columns,
    check_confidence,
    row_weights,
    structure_groups,
)
from .intervals import clopper_pearson, normal_z

__all__ = ["CLAUSET_2018", "VERDICT_LEVEL", "TailReference", "ccdf", "tail_exponents", "verdict"]

#: Significance level of the verdict of the likelihood-ratio test (Clauset, Shalizi &
#: Newman 2009 use 0.1).
VERDICT_LEVEL = 0.1


def verdict(loglik_ratio: float, p: float, level: float = VERDICT_LEVEL) -> str:
    """What the likelihood-ratio test of a power law against an exponential says.

    Parameters
    ----------
    loglik_ratio
        The normalised log-likelihood ratio, power law over exponential (R > 0
        favours the power law).
    p
        The p value of its sign (Vuong's test).
    level
        Below this p value the sign is trusted.

    Returns
    -------
    str
        ``"power law rejected: exponential fits better"``, ``"power law
        favoured over exponential"``, ``"inconclusive"`` (the sign could be
        chance), or ``""`` when there is no test.

    Examples
    --------
    >>> verdict(-12.0, 1e-9)
    'power law rejected: exponential fits better'
    >>> verdict(0.4, 0.6)
    'inconclusive'
    """
    if not (np.isfinite(loglik_ratio) and np.isfinite(p)):
        return ""
    if p >= level:
        return "inconclusive"
    if loglik_ratio < 0:
        return "power law rejected: exponential fits better"
    return "power law favoured over exponential"


class TailReference(TypedDict):
    """An empirical tail exponent, shown beside the fitted ones as context."""

    source: str
    quantity: str
    alpha: float
    sigma: float


#: The empirical tail of interstate war severity, for context: battle deaths of
#: the Correlates of War interstate wars 1823-2003 follow a power law
#: ``p(x) ~ x**-alpha`` in their upper tail with alpha = 1.53 +/- 0.07
#: (A. Clauset, "Trends and fluctuations in the severity of interstate wars",
#: Science Advances 4(2), eaao3580, 2018). It measures deaths, not belligerents: a
#: different quantity, shown side by side, not a calibration target.
CLAUSET_2018: TailReference = {
    "source": "Clauset 2018 (Sci. Adv. 4:eaao3580)",
    "quantity": "battle deaths, COW interstate wars 1823-2003",
    "alpha": 1.53,
    "sigma": 0.07,
}


#: Columns of :func:`ccdf`.
_CCDF_COLUMNS = ["structure", "value", "n_ge", "n", "ccdf", "low", "high"]
#: What a power-law fit of degenerate data raises.
_FIT_ERRORS = (ValueError, ZeroDivisionError, FloatingPointError, IndexError)


def _powerlaw():
    try:
        import powerlaw
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "tail exponents need the powerlaw package: pip install 'escalate[stats]'"
        ) from exc
    return powerlaw


def _war_values(results: pd.DataFrame, column: str, idx, wars_only: bool) -> np.ndarray:
    x = results[column].to_numpy()[idx]
    if wars_only and "deterred" in results.columns:
        x = x[~results["deterred"].to_numpy().astype(bool)[idx]]
    return x


def _war_counts(results: pd.DataFrame, column: str, idx, wars_only: bool):
    """Sorted distinct war sizes, their counts and the number of wars."""
    x = _war_values(results, column, idx, wars_only)
    w = row_weights(results, idx)
    if w is None:
        values, counts = np.unique(x, return_counts=True)
        return values, counts, int(x.size)
    if wars_only and "deterred" in results.columns:  # a table of counts
        w = w[~results["deterred"].to_numpy().astype(bool)[idx]]
    values, inv = np.unique(x, return_inverse=True)
    counts = np.bincount(inv.ravel(), weights=w, minlength=values.size).astype(np.int64)
    return values, counts, int(w.sum())


def ccdf(
    results: pd.DataFrame,
    column: str = "belligerents",
    *,
    wars_only: bool = True,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Empirical complementary CDF ``P(X >= x)`` of a war-size column, per structure.

    Parameters
    ----------
    results
        Cascades table with ``structure`` and ``column``.
    column
        ``belligerents`` (default), ``power_share``, ``majors``, ...
    wars_only
        Drop deterred cascades (no war, size 0) first, so the CCDF is that of
        the size of wars that happened (default).
    confidence
        Level of the pointwise exact binomial (Clopper-Pearson) band, from
        ``scipy.stats.beta``.

    Returns
    -------
    pandas.DataFrame
        ``structure, value, n_ge, n, ccdf, low, high``: one row per distinct
        value, ``ccdf = n_ge / n`` with ``n_ge`` the count of values >= ``value``.
    """
    check_confidence(confidence)
    check_columns(results, ["structure", column])
    frames = []
    for name, idx in structure_groups(results):
        values, counts, n = _war_counts(results, column, idx, wars_only)
        if n == 0:
            continue
        n_ge = np.cumsum(counts[::-1])[::-1]
        low, high = clopper_pearson(n_ge, n, confidence)
        frames.append(
            pd.DataFrame(
                {
                    "structure": name,
                    "value": values,
                    "n_ge": n_ge.astype(np.int64),
                    "n": n,
                    "ccdf": n_ge / n,
                    "low": low,
                    "high": high,
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=_CCDF_COLUMNS)


def tail_exponents(
    results: pd.DataFrame,
    column: str = "belligerents",
    *,
    wars_only: bool = True,
    xmin: float | None = None,
    max_samples: int = 200_000,
    seed: int = 0,
    confidence: float = 0.95,
    reference: bool = True,
) -> pd.DataFrame:
    """Power-law tail exponent of war size per structure, with its uncertainty.

    Fits ``p(x) ~ x**-alpha`` for ``x >= xmin`` with the ``powerlaw`` package
    (Alstott, Bullmore & Plenz 2014; the method of Clauset, Shalizi & Newman
    2009): maximum likelihood alpha, ``xmin`` chosen to minimise the
    Kolmogorov-Smirnov distance unless given. Integer columns are fitted as
    discrete data.

    Parameters
    ----------
    results
        Cascades table with ``structure`` and ``column``.
    column
        War-size column (default ``belligerents``).
    wars_only
        Fit the sizes of wars that happened (drop deterred cascades).
    xmin
        Fix the lower bound of the tail instead of estimating it.
    max_samples
        The fit uses at most this many wars per structure: a uniform random
        subsample without replacement (generator seeded with ``seed``) when
        there are more, so that ten million rows fit in seconds. ``n_fit`` says
        how many were used; the uncertainty refers to them.
    seed
        Seed of that subsample. The fit of ten thousand wars or more is
        already tight; a subsample changes the interval, not the verdict.
    confidence
        Level of ``alpha_low, alpha_high = alpha -/+ z sigma``.
    reference
        Append the empirical exponent of interstate war severity
        (:data:`CLAUSET_2018`) as a last row, for context.

    Returns
    -------
    pandas.DataFrame
        ``structure, quantity, n, n_fit, xmin, n_tail, alpha, sigma,
        alpha_low, alpha_high, ks_distance, loglik_ratio_exp, p_exp, verdict,
        note`` (each described in docs/outputs.md). ``sigma`` is powerlaw's
        asymptotic standard error of alpha (given ``xmin``): a tight interval
        says alpha is well determined *if* the tail is a power law, not that
        it is one. ``loglik_ratio_exp`` > 0 with small ``p_exp`` favours the
        power law over an exponential tail (Vuong test), < 0 rejects it;
        ``verdict`` says which in words (:func:`verdict`, level
        :data:`VERDICT_LEVEL`). A structure whose wars take fewer than three
        distinct sizes has NaN and a ``note``.
        Note that belligerents are bounded by the number of nations, so the
        "tail" is short; read alpha as a description of the decay, not as
        evidence of a power law.
    """
    powerlaw = _powerlaw()
    check_confidence(confidence)
    check_columns(results, ["structure", column])
    z = normal_z(confidence)
    rows = []
    for name, idx in structure_groups(results):
        x = _war_values(results, column, idx, wars_only)
        n = int(x.size)
        discrete = bool(np.issubdtype(x.dtype, np.integer))
        x = x[x > 0]
        if x.size > max_samples:
            x = np.random.default_rng(seed).choice(x, size=max_samples, replace=False)
        row = _empty_row(name, f"{column} (simulated)", n, int(x.size))
        if np.unique(x).size < 3:
            row["note"] = "fewer than 3 distinct sizes: no tail to fit"
        else:
            row.update(_fit_tail(powerlaw, x, discrete, xmin, z))
        rows.append(row)
    if reference:
        rows.append(_reference_row(z))
    out = pd.DataFrame(rows)
    for c in ("n", "n_fit", "n_tail"):
        out[c] = out[c].astype("Int64")
    return out


def _empty_row(structure: str, quantity: str, n: float, n_fit: float) -> dict:
    """A row of :func:`tail_exponents` with nothing fitted."""
    return {
        "structure": structure,
        "quantity": quantity,
        "n": n,
        "n_fit": n_fit,
        "xmin": np.nan,
        "n_tail": 0,
        "alpha": np.nan,
        "sigma": np.nan,
        "alpha_low": np.nan,
        "alpha_high": np.nan,
        "ks_distance": np.nan,
        "loglik_ratio_exp": np.nan,
        "p_exp": np.nan,
        "verdict": "",
        "note": "",
    }


def _fit_tail(powerlaw, x: np.ndarray, discrete: bool, xmin: float | None, z: float) -> dict:
    """Power-law fit of positive sizes ``x``: the fitted columns of a row, or a note."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            fit = powerlaw.Fit(x.astype(np.float64), discrete=discrete, xmin=xmin, verbose=False)
            alpha, sigma = float(fit.power_law.alpha), float(fit.power_law.sigma)
            n_tail = int(np.count_nonzero(x >= fit.xmin))
        except _FIT_ERRORS as exc:
            return {"note": f"power-law fit failed: {exc}"}
        try:
            ratio, p_exp = fit.distribution_compare("power_law", "exponential")
        except _FIT_ERRORS:
            ratio, p_exp = np.nan, np.nan
    out: dict[str, Any] = {
        "xmin": float(fit.xmin),
        "n_tail": n_tail,
        "alpha": alpha,
        "sigma": sigma,
        "alpha_low": alpha - z * sigma,
        "alpha_high": alpha + z * sigma,
        "ks_distance": float(fit.power_law.D),
        "loglik_ratio_exp": float(ratio),
        "p_exp": float(p_exp),
        "verdict": verdict(float(ratio), float(p_exp)),
    }
    if np.unique(x[x >= fit.xmin]).size < 3:
        out["note"] = "tail has fewer than 3 distinct sizes: alpha is poorly determined"
    return out


def _reference_row(z: float) -> dict:
    """The row of :data:`CLAUSET_2018`, for context."""
    ref = CLAUSET_2018
    row = _empty_row(ref["source"], ref["quantity"], np.nan, np.nan)
    row.update(
        n_tail=np.nan,
        alpha=ref["alpha"],
        sigma=ref["sigma"],
        alpha_low=ref["alpha"] - z * ref["sigma"],
        alpha_high=ref["alpha"] + z * ref["sigma"],
        verdict="context: battle deaths, a different quantity",
        note="empirical context, not a target",
    )
    return row
