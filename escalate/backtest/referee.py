"""Scores a referee asks for beside the pooled ones: within wars, per war, by difference.

- :func:`within_war_auc`: the mean over wars (with at least one joiner and one
  non-joiner) of the AUC among that war's third parties: does the model rank the
  states of one crisis, not only wars against each other?
- :func:`war_weights`: row weights that count every war once (1 / its third parties).
- :func:`side_accuracy`: among the joiners, the share whose larger predicted side is
  the side they joined.
- :func:`differences`: the three-outcome log loss of one prediction minus each other's,
  per third party, with percentile intervals from resampled wars (paired: the same
  resamples for all).
- :func:`calibration_bins`: observed frequency per bin of predicted probability with
  intervals from resampled wars (rows of one war are not independent).
- :func:`loss_by_ties`: each prediction's log loss summed over the third parties that
  owe a defence pact to the initiator's side, the target's side, both or neither:
  where one predictor gains on another.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .scores import auc, side_log_losses

__all__ = [
    "FEW_WARS",
    "TIE_CLASSES",
    "calibration_bins",
    "differences",
    "loss_by_ties",
    "side_accuracy",
    "war_weights",
    "within_war_auc",
]

#: Below this many wars a bootstrap over wars says little: a warning is issued.
FEW_WARS = 10


def _resamples(wars: np.ndarray, resamples: int, seed: int):
    labels, row_war = np.unique(wars, return_inverse=True)
    if len(labels) < FEW_WARS:
        warnings.warn(
            f"a bootstrap over {len(labels)} wars (fewer than {FEW_WARS}): its intervals "
            "say little",
            RuntimeWarning,
            stacklevel=3,
        )
    rng = np.random.default_rng(seed)
    for _ in range(resamples):
        counts = np.bincount(rng.integers(0, len(labels), len(labels)), minlength=len(labels))
        yield counts[row_war].astype(float)


def within_war_auc(wars: np.ndarray, p: np.ndarray, joined: np.ndarray) -> float:
    """Mean over wars of the AUC within each war (wars with both outcomes only)."""
    values = []
    for w in np.unique(wars):
        m = wars == w
        if joined[m].any() and not joined[m].all():
            values.append(auc(p[m], joined[m]))
    return float(np.mean(values)) if values else float("nan")


def war_weights(wars: np.ndarray) -> np.ndarray:
    """Row weights that give each war the same total weight."""
    _, row_war, counts = np.unique(wars, return_inverse=True, return_counts=True)
    return 1.0 / counts[row_war]


def side_accuracy(p1: np.ndarray, p2: np.ndarray, side: np.ndarray) -> dict[str, float]:
    """Among the joiners, the share placed on the side they joined (ties: half)."""
    j = side > 0
    if not j.any():
        return {"joiners": 0, "accuracy": float("nan")}
    pick = np.where(p1[j] > p2[j], 1.0 * (side[j] == 1), np.where(p2[j] > p1[j],
                    1.0 * (side[j] == 2), 0.5))  # fmt: skip
    return {"joiners": int(j.sum()), "accuracy": float(pick.mean())}


#: The classes of :func:`loss_by_ties`: to whom a third party owes a defence pact.
TIE_CLASSES = ("initiator", "target", "both", "none")


def loss_by_ties(
    to_initiator: np.ndarray,
    to_target: np.ndarray,
    on_initiator_side: np.ndarray,
    side: np.ndarray,
    preds: dict[str, tuple[np.ndarray, np.ndarray]],
) -> dict[str, dict[str, Any]]:
    """Summed three-outcome log loss of each prediction, by :data:`TIE_CLASSES`.

    ``to_initiator``/``to_target``: whether each third party owes a defence pact to an
    incident party of that side; ``on_initiator_side``: whether its joined side (if
    any) is the initiator's; ``preds``: name -> (P(side 1), P(side 2)). Per class: the
    third parties, the joiners of each side and each prediction's nats.
    """
    to_i, to_t = np.asarray(to_initiator, bool), np.asarray(to_target, bool)
    classes = {"initiator": to_i & ~to_t, "target": to_t & ~to_i, "both": to_i & to_t,
               "none": ~(to_i | to_t)}  # fmt: skip
    losses = {k: side_log_losses(p1, p2, side) for k, (p1, p2) in preds.items()}
    joined, init = side > 0, np.asarray(on_initiator_side, bool)
    return {
        name: {
            "third_parties": int(m.sum()),
            "joined_initiator_side": int((m & joined & init).sum()),
            "joined_target_side": int((m & joined & ~init).sum()),
            "loss": {k: float(v[m].sum()) for k, v in losses.items()},
        }
        for name, m in classes.items()
    }


def differences(
    wars: np.ndarray,
    side: np.ndarray,
    predictions: dict[str, tuple[np.ndarray, np.ndarray]],
    first: str,
    *,
    resamples: int,
    seed: int,
) -> dict[str, dict[str, float]]:
    """Mean log loss of ``first`` minus each other prediction, with 95% war-bootstrap bounds.

    Negative: ``first`` is better. Each entry: ``value``, ``low``, ``high``, and the
    same difference with every war weighted equally (``value_per_war``).
    """
    losses = {k: side_log_losses(p1, p2, side) for k, (p1, p2) in predictions.items()}
    ww = war_weights(wars)
    draws: dict[str, list[float]] = {k: [] for k in predictions if k != first}
    for w in _resamples(wars, resamples, seed):
        for k in draws:
            draws[k].append(float(((losses[first] - losses[k]) * w).sum() / w.sum()))
    out = {}
    for k, values in draws.items():
        d = losses[first] - losses[k]
        arr = np.asarray(values)
        out[k] = {
            "value": float(d.mean()),
            "low": float(np.quantile(arr, 0.025)) if len(arr) else float("nan"),
            "high": float(np.quantile(arr, 0.975)) if len(arr) else float("nan"),
            "value_per_war": float((d * ww).sum() / ww.sum()),
        }
    return out


def calibration_bins(
    wars: np.ndarray, p: np.ndarray, joined: np.ndarray, *, resamples: int, seed: int,
    bins: int = 10,
) -> list[dict[str, Any]]:  # fmt: skip
    """Observed joining frequency per tenth of predicted probability, war-bootstrap bounds."""
    idx = np.minimum((p * bins).astype(int), bins - 1)
    boots = list(_resamples(wars, resamples, seed))
    rows = []
    for b in range(bins):
        m = idx == b
        if not m.any():
            continue
        obs = []
        for w in boots:
            wm = w[m]
            if wm.sum() > 0:
                obs.append(float((wm * joined[m]).sum() / wm.sum()))
        rows.append(
            {
                "low": b / bins,
                "high": (b + 1) / bins,
                "n": int(m.sum()),
                "wars": len(np.unique(wars[m])),
                "mean_p": float(p[m].mean()),
                "observed": float(joined[m].mean()),
                "observed_low": float(np.quantile(obs, 0.025)) if obs else float("nan"),
                "observed_high": float(np.quantile(obs, 0.975)) if obs else float("nan"),
            }
        )
    return rows
