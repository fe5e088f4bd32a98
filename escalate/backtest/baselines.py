"""The baselines a political scientist would use, fitted on training wars only.

Both predict, for each third party, P(joined COW side 1) and P(joined side 2), fitted
on the rows of the training wars and applied to the rows of held-out wars (the same
folds as the model's calibration):

- the **pact rule**: a state that owes a defence pact to an incident party joins that
  party's side, with the rate observed among such states in the training wars; a
  state owing one to both sides joins either with half that rate each; every other
  state joins with the training rate among states owing none, split between the
  initiator's and the target's side as observed;
- a **logistic regression** (multinomial: stayed out, joined the initiator's side,
  joined the target's side) on the ties of each kind to each side, major power, log
  power share and region in the theatre (:mod:`.features`), L2-penalised (scikit-learn's
  default C = 1), features standardised on the training rows. Needs scikit-learn
  (``pip install escalate[backtest]``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .features import FEATURES

__all__ = ["logistic_baseline", "pact_rule", "relative_outcome", "to_cow_sides"]


def relative_outcome(rows: pd.DataFrame, side_col: str) -> np.ndarray:
    """0 stayed out, 1 joined the initiator's side, 2 joined the target's side."""
    side = rows[side_col].to_numpy()
    init = rows["init_side"].to_numpy()
    return np.where(side == 0, 0, np.where(side == init, 1, 2))


def to_cow_sides(rows: pd.DataFrame, p_init: np.ndarray, p_target: np.ndarray):
    """(P(side 1), P(side 2)) from P(initiator's side), P(target's side)."""
    init1 = rows["init_side"].to_numpy() == 1
    return np.where(init1, p_init, p_target), np.where(init1, p_target, p_init)


def pact_rule(train: pd.DataFrame, test: pd.DataFrame, side_col: str):
    """The pact rule's (P(side 1), P(side 2)) for ``test``, fitted on ``train``."""
    y = relative_outcome(train, side_col)
    to_i = train["defense_to_initiator"].to_numpy() > 0
    to_t = train["defense_to_target"].to_numpy() > 0
    one = to_i ^ to_t
    # a state owing a pact to one side only: did it join that side?
    owed_side = np.where(to_i, 1, 2)
    rate = ((y == owed_side) & one).sum() / max(one.sum(), 1)
    none = ~(to_i | to_t)
    r_i = ((y == 1) & none).sum() / max(none.sum(), 1)
    r_t = ((y == 2) & none).sum() / max(none.sum(), 1)
    ti = test["defense_to_initiator"].to_numpy() > 0
    tt = test["defense_to_target"].to_numpy() > 0
    p_i = np.where(ti & tt, rate / 2, np.where(ti, rate, np.where(tt, 0.0, r_i)))
    p_t = np.where(ti & tt, rate / 2, np.where(tt, rate, np.where(ti, 0.0, r_t)))
    return to_cow_sides(test, p_i, p_t)


def logistic_baseline(train: pd.DataFrame, test: pd.DataFrame, side_col: str):
    """The logistic regression's (P(side 1), P(side 2)) for ``test``, fitted on ``train``."""
    try:
        from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    except ImportError as e:  # pragma: no cover - the extra is installed in CI
        raise ImportError(
            "the logistic-regression baseline needs scikit-learn: pip install escalate[backtest]"
        ) from e
    x = train[list(FEATURES)].to_numpy(float)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd == 0] = 1.0
    y = relative_outcome(train, side_col)
    if len(np.unique(y)) < 2:  # one outcome in training: its rate, 1 (a regression needs two)
        rates = np.bincount(y, minlength=3) / len(y)
        return to_cow_sides(test, np.full(len(test), rates[1]), np.full(len(test), rates[2]))
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit((x - mu) / sd, y)
    probs = np.zeros((len(test), 3))
    fitted = model.predict_proba((test[list(FEATURES)].to_numpy(float) - mu) / sd)
    for col, cls in enumerate(model.classes_):
        probs[:, int(cls)] = fitted[:, col]
    return to_cow_sides(test, probs[:, 1], probs[:, 2])
