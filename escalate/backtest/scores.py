"""Scores of probabilistic predictions over third parties, and their bootstrap over wars.

Every score takes optional row ``weights`` (a bootstrap resample of wars gives each
row the number of times its war was drawn), so that a resample is a weighted score
of the same rows. Scores pool the rows of every war (a war with more third parties
weighs more); :func:`bootstrap_scores` resamples whole wars with replacement.

Definitions (``y`` = 1 if the state joined, ``p`` its predicted probability):

* ``brier``: mean of ``(p - y)**2``;
* ``log_loss``: mean of ``-(y log p + (1 - y) log(1 - p))`` with ``p`` clipped to
  ``[EPS, 1 - EPS]``;
* ``brier_side``: the three-outcome Brier score, mean of
  ``sum_k (P_k - Y_k)**2`` over the outcomes joined side 1, joined side 2, stayed
  out (0 to 2);
* ``log_loss_side``: mean of ``-log P(outcome)``, ``P`` clipped below at ``EPS``;
* ``auc``: the probability that a joiner is ranked above a non-joiner (ties count
  one half): the Mann-Whitney statistic by average ranks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..analysis.intervals import wilson_interval

__all__ = [
    "EPS",
    "SCORES",
    "auc",
    "bootstrap_scores",
    "brier",
    "brier_side",
    "calibration_table",
    "log_loss",
    "log_loss_side",
    "score_rows",
    "side_log_losses",
]

#: Probabilities are clipped to ``[EPS, 1 - EPS]`` in log losses: a Monte Carlo
#: estimate of 0 from 10,000 cascades means "below about 1e-4", and "nobody else
#: joins" predicts exactly 0. With EPS = 0.001 one surprise joiner costs at most
#: -log(0.001) = 6.9 nats.
EPS = 1e-3

#: The scores of :func:`score_rows`, and whether lower is better.
SCORES = {
    "brier": True,
    "log_loss": True,
    "brier_side": True,
    "log_loss_side": True,
    "auc": False,
}


def _w(weights: np.ndarray | None, n: int) -> np.ndarray:
    return np.ones(n) if weights is None else np.asarray(weights, dtype=float)


def _mean(values: np.ndarray, w: np.ndarray) -> float:
    total = w.sum()
    return float((values * w).sum() / total) if total > 0 else float("nan")


def brier(p: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Mean squared error of ``p`` against the 0/1 outcomes ``y``."""
    p, y = np.asarray(p, float), np.asarray(y, float)
    return _mean((p - y) ** 2, _w(weights, len(p)))


def log_loss(p: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Mean negative log likelihood of ``y`` under ``p`` (clipped to ``[EPS, 1 - EPS]``)."""
    q = np.clip(np.asarray(p, float), EPS, 1 - EPS)
    y = np.asarray(y, float)
    return _mean(-(y * np.log(q) + (1 - y) * np.log1p(-q)), _w(weights, len(q)))


def _three(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    p1, p2 = np.asarray(p1, float), np.asarray(p2, float)
    return np.column_stack([np.clip(1 - p1 - p2, 0.0, 1.0), p1, p2])


def brier_side(
    p1: np.ndarray, p2: np.ndarray, side: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """Three-outcome Brier score; ``side`` is 1, 2 (joined that side) or 0 (stayed out)."""
    probs = _three(p1, p2)
    side = np.asarray(side, dtype=np.int64)
    onehot = np.zeros_like(probs)
    onehot[np.arange(len(side)), side] = 1.0
    return _mean(((probs - onehot) ** 2).sum(axis=1), _w(weights, len(side)))


def log_loss_side(
    p1: np.ndarray, p2: np.ndarray, side: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """Mean ``-log P(outcome)`` over the three outcomes, ``P`` clipped below at ``EPS``."""
    return _mean(side_log_losses(p1, p2, side), _w(weights, len(side)))


def side_log_losses(p1: np.ndarray, p2: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Each row's ``-log P(outcome)`` of :func:`log_loss_side` (1, 2: that side; 0: out)."""
    probs = _three(p1, p2)
    side = np.asarray(side, dtype=np.int64)
    return -np.log(np.maximum(probs[np.arange(len(side)), side], EPS))


def auc(p: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Area under the ROC curve of ``p`` for the 0/1 outcomes ``y`` (ties count 1/2).

    NaN when the (weighted) rows hold no joiner or no non-joiner.

    Examples
    --------
    >>> auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    0.75
    """
    p, y = np.asarray(p, float), np.asarray(y, bool)
    w = _w(weights, len(p))
    levels, group = np.unique(p, return_inverse=True)
    pos = np.bincount(group, weights=w * y, minlength=len(levels))
    neg = np.bincount(group, weights=w * ~y, minlength=len(levels))
    wp, wn = pos.sum(), neg.sum()
    if wp <= 0 or wn <= 0:
        return float("nan")
    below = np.cumsum(neg) - neg
    return float((pos * (below + 0.5 * neg)).sum() / (wp * wn))


def score_rows(
    p: np.ndarray,
    p1: np.ndarray,
    p2: np.ndarray,
    side: np.ndarray,
    weights: np.ndarray | None = None,
) -> dict[str, float]:
    """Every score of :data:`SCORES` for one set of predictions.

    ``p`` is P(at war), ``p1``/``p2`` P(at war on COW side 1/2), ``side`` the
    outcome (0 stayed out, 1 or 2 the side joined).
    """
    side = np.asarray(side, dtype=np.int64)
    y = side > 0
    return {
        "brier": brier(p, y, weights),
        "log_loss": log_loss(p, y, weights),
        "brier_side": brier_side(p1, p2, side, weights),
        "log_loss_side": log_loss_side(p1, p2, side, weights),
        "auc": auc(p, y, weights),
    }


def bootstrap_scores(
    wars: np.ndarray,
    side: np.ndarray,
    predictions: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    *,
    resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Scores of each set of predictions with percentile intervals over resampled wars.

    Parameters
    ----------
    wars
        The war of each row (any hashable labels).
    side
        The outcome of each row: 0 stayed out, 1 or 2 the side joined.
    predictions
        name -> (P(at war), P(side 1), P(side 2)) of each row.
    resamples, seed, confidence
        Bootstrap resamples (whole wars, with replacement; the same resamples for
        every prediction, so skill intervals are paired), their seed and the level.

    Returns
    -------
    dict
        ``{"scores": {name: {score: {"value", "low", "high"}}}, "skill": {baseline:
        {score: {"value", "low", "high"}}}}``. Skill is ``1 - score / score_baseline``
        of the first name (the model) against each other name, for the scores where
        lower is better.
    """
    labels, row_war = np.unique(np.asarray(wars), return_inverse=True)
    rng = np.random.default_rng(seed)
    names = list(predictions)
    point = {k: score_rows(*predictions[k], side) for k in names}
    draws: dict[str, dict[str, list[float]]] = {k: {s: [] for s in SCORES} for k in names}
    for _ in range(resamples):
        counts = np.bincount(rng.integers(0, len(labels), len(labels)), minlength=len(labels))
        w = counts[row_war].astype(float)
        for k in names:
            for s, v in score_rows(*predictions[k], side, w).items():
                draws[k][s].append(v)
    lo, hi = (1 - confidence) / 2, 1 - (1 - confidence) / 2

    def interval(value: float, values: list[float]) -> dict[str, float]:
        arr = np.asarray(values, float)
        arr = arr[np.isfinite(arr)]
        if not len(arr) or not np.isfinite(value):
            return {"value": value, "low": float("nan"), "high": float("nan")}
        return {
            "value": value,
            "low": float(np.quantile(arr, lo)),
            "high": float(np.quantile(arr, hi)),
        }

    scores = {k: {s: interval(point[k][s], draws[k][s]) for s in SCORES} for k in names}
    model = names[0]
    skill: dict[str, dict[str, dict[str, float]]] = {}
    for base in names[1:]:
        skill[base] = {}
        for s, lower_better in SCORES.items():
            if not lower_better:
                continue
            with np.errstate(divide="ignore", invalid="ignore"):
                values = 1 - np.asarray(draws[model][s]) / np.asarray(draws[base][s])
                value = 1 - point[model][s] / point[base][s] if point[base][s] else float("nan")
            skill[base][s] = interval(float(value), list(values))
    return {"scores": scores, "skill": skill}


def calibration_table(
    p: np.ndarray, y: np.ndarray, *, bins: int = 10, confidence: float = 0.95
) -> list[dict[str, float]]:
    """Observed frequency of joining per bin of predicted probability.

    The bins are tenths of probability (``[0, 0.1)``, ..., ``[0.9, 1]``), not
    quantiles: most predictions are near 0, and a reliability diagram needs the
    whole range. Empty bins are left out. Each row: ``low``, ``high`` (the bin),
    ``n``, ``mean_p``, ``observed``, and the Wilson interval ``observed_low``,
    ``observed_high``.
    """
    p, y = np.asarray(p, float), np.asarray(y, bool)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        m = idx == b
        n = int(m.sum())
        if not n:
            continue
        k = int(y[m].sum())
        low, high = wilson_interval(k, n, confidence)
        rows.append(
            {
                "low": b / bins,
                "high": (b + 1) / bins,
                "n": n,
                "mean_p": float(p[m].mean()),
                "observed": k / n,
                "observed_low": low,
                "observed_high": high,
            }
        )
    return rows
