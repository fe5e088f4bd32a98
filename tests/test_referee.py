"""The baselines and the referee's scores, on small frames whose answers are known."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from escalate.backtest.baselines import logistic_baseline, pact_rule
from escalate.backtest.features import FEATURES
from escalate.backtest.referee import (
    calibration_bins,
    differences,
    loss_by_ties,
    side_accuracy,
    war_weights,
    within_war_auc,
)


def frame(n: int, seed: int = 0) -> pd.DataFrame:
    """Third parties: those owing a pact to the target (side 2) join it half the time."""
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({c: np.zeros(n) for c in FEATURES})
    f["defense_to_target"] = (rng.random(n) < 0.3).astype(float)
    f["init_side"] = np.where(rng.random(n) < 0.5, 1, 2)
    joins = (f["defense_to_target"] > 0) & (rng.random(n) < 0.5)
    target_side = np.where(f["init_side"] == 1, 2, 1)
    f["joined_side_180"] = np.where(joins, target_side, 0)
    f["war"] = np.arange(n) // 20
    return f


def test_the_pact_rule_predicts_the_training_rate_for_pact_holders():
    train, test = frame(4000, 1), frame(200, 2)
    p1, p2 = pact_rule(train, test, "joined_side_180")
    pact = test["defense_to_target"].to_numpy() > 0
    target_is_2 = test["init_side"].to_numpy() == 1
    on_target = np.where(target_is_2, p2, p1)
    on_init = np.where(target_is_2, p1, p2)
    rate = train["joined_side_180"].gt(0)[train["defense_to_target"] > 0].mean()
    assert np.allclose(on_target[pact], rate) and np.all(on_init[pact] == 0.0)
    assert np.all(on_target[~pact] == 0.0)  # nobody without a pact joined in training


def test_the_logistic_baseline_learns_the_pact_effect():
    pytest.importorskip("sklearn")  # the backtest extra; installed with dev
    train, test = frame(4000, 1), frame(400, 2)
    p1, p2 = logistic_baseline(train, test, "joined_side_180")
    pact = test["defense_to_target"].to_numpy() > 0
    p = p1 + p2
    assert abs(p[pact].mean() - 0.5) < 0.08
    assert p[~pact].mean() < 0.05


def test_within_war_auc_ranks_inside_each_war():
    wars = np.array([1, 1, 1, 2, 2, 2])
    joined = np.array([1, 0, 0, 1, 0, 0], bool)
    # pooled, war 2's joiner is ranked below war 1's non-joiners; within each war, first
    p = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    assert within_war_auc(wars, p, joined) == 1.0


def test_war_weights_count_each_war_once():
    w = war_weights(np.array([5, 5, 5, 9]))
    assert np.allclose(w, [1 / 3, 1 / 3, 1 / 3, 1.0])


def test_side_accuracy_counts_the_larger_side():
    p1 = np.array([0.6, 0.1, 0.3, 0.0])
    p2 = np.array([0.1, 0.5, 0.3, 0.0])
    side = np.array([1, 1, 2, 0])
    assert side_accuracy(p1, p2, side) == {"joiners": 3, "accuracy": (1 + 0 + 0.5) / 3}


def test_differences_are_negative_when_the_first_is_better_and_paired():
    wars = np.repeat(np.arange(20), 10)
    side = np.zeros(200, int)
    side[::10] = 1
    good = (np.where(side == 1, 0.9, 0.01), np.zeros(200))
    bad = (np.full(200, 0.1), np.zeros(200))
    d = differences(wars, side, {"good": good, "bad": bad}, "good", resamples=200, seed=0)
    assert d["bad"]["high"] < 0 and d["bad"]["low"] <= d["bad"]["value"] <= d["bad"]["high"]


def test_a_bootstrap_over_few_wars_warns():
    wars = np.repeat(np.arange(4), 5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        calibration_bins(wars, np.linspace(0, 1, 20), np.arange(20) % 2 == 0, resamples=5, seed=0)
    assert any("fewer than 10" in str(w.message) for w in caught)


def test_calibration_bins_intervals_come_from_wars():
    wars = np.repeat(np.arange(30), 10)
    p = np.full(300, 0.25)
    joined = wars % 4 == 0  # whole wars join: rows are not independent
    rows = calibration_bins(wars, p, joined, resamples=300, seed=1)
    (row,) = rows
    assert row["wars"] == 30 and row["n"] == 300
    # the interval is that of 30 wars, much wider than Wilson's over 300 rows (+-0.05)
    assert row["observed_high"] - row["observed_low"] > 0.2


def test_loss_by_ties_splits_each_prediction_by_whom_the_pact_binds():
    to_i = np.array([1, 1, 0, 0, 1, 0], bool)
    to_t = np.array([0, 0, 1, 0, 1, 0], bool)
    side = np.array([1, 0, 2, 0, 2, 1])  # COW sides joined (0: stayed out)
    init_side = side == 1  # the initiator is on COW side 1 here
    half = (np.full(6, 0.25), np.full(6, 0.25))
    sure = (np.array([0.9, 0.0, 0.0, 0.0, 0.0, 0.5]), np.array([0.0, 0.0, 0.9, 0.0, 0.9, 0.5]))
    by = loss_by_ties(to_i, to_t, init_side, side, {"half": half, "sure": sure})
    assert list(by) == ["initiator", "target", "both", "none"]
    assert [by[k]["third_parties"] for k in by] == [2, 1, 1, 2]
    assert by["initiator"]["joined_initiator_side"] == 1
    assert by["both"]["joined_target_side"] == 1 and by["both"]["joined_initiator_side"] == 0
    assert by["none"]["joined_initiator_side"] == 1
    # each row's -log P(outcome), summed in its class; the classes add up to the total
    assert by["initiator"]["loss"]["half"] == pytest.approx(-np.log(0.25) - np.log(0.5))
    assert by["initiator"]["loss"]["sure"] == pytest.approx(-np.log(0.9) - np.log(1.0))
    assert by["none"]["loss"]["sure"] == pytest.approx(-np.log(0.5))
    # a joiner given 0 costs the clip, -log(0.001)
    gone = loss_by_ties(to_i, to_t, init_side, side, {"zero": (np.zeros(6), np.zeros(6))})
    assert gone["target"]["loss"]["zero"] == pytest.approx(-np.log(1e-3))
    total = sum(by[k]["loss"]["half"] for k in by)
    assert total == pytest.approx(-np.log(0.25) * 4 - np.log(0.5) * 2)  # 4 joiners, 2 stayed
