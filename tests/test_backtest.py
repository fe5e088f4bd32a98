"""The backtest on small fixture files in the real formats (tests/data/backtest/wars.csv).

The war file has bare CR line endings, as COW publishes it; the worlds come from the
importer's fixtures (tests/data/importer/). Wars of the fixture:

1. Alpha-Beta (1900-06-15): AAA (initiator, side 1) attacks BBB; EEE joins side 2 five
   days later; FFF joins side 1 on 1901-01-01 (200 days: within 365, not 180).
   WhereFought: AAA 11 (Europe & Middle East), BBB 2, EEE 4, FFF 1.
2. Tied War: two initiators (EEE 500, AAA 100) and two targets (CCC 300, BBB 200)
   entering the same (first) day: all four are incident parties, the lowest ccodes,
   AAA and BBB, named first; not ambiguous.
3. Delta's Early War: its initiator DDD enters the system on 1900-07-01: skipped.
4. Uncoded War: no state has Initiator = 1: skipped.
5. Switching War (day -9: 1 June 1900): BBB (initiator, side 2) attacks AAA; FFF
   joins side 2 after 61 days and later fights on side 1 (side_switch). WhereFought
   13 (W. Hemisphere & Asia) for BBB and AAA.
6. Later War (1905), for the year filters.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import IMPORTER, IMPORTER_FILES

from escalate.backtest import backtest, toml_fragment
from escalate.backtest.calibrate import RULES, calibrate_cases
from escalate.backtest.params import PARAMS, START
from escalate.backtest.predict import DataFiles, no_alliances, prepare
from escalate.backtest.run import base_rates
from escalate.backtest.scores import (
    EPS,
    auc,
    bootstrap_scores,
    brier,
    brier_side,
    calibration_table,
    log_loss,
    log_loss_side,
)
from escalate.backtest.wars import incident_of, read_wars, select_wars
from escalate.cli import main

HERE = Path(__file__).resolve().parent
WARS = HERE / "data" / "backtest" / "wars.csv"
IMP = IMPORTER
FILES = IMPORTER_FILES


def test_the_fixture_has_bare_cr_line_endings() -> None:
    raw = WARS.read_bytes()
    assert b"\r" in raw and b"\n" not in raw


def test_read_wars_keeps_each_state_s_earliest_spell() -> None:
    wars = read_wars(str(WARS))
    assert list(wars) == [1, 2, 3, 4, 5, 6]
    w1 = wars[1]
    assert w1.name == "Alpha-Beta" and w1.start == dt.date(1900, 6, 15)
    assert w1.entry_days() == {100: (0, 1), 200: (0, 2), 500: (5, 2), 600: (200, 1)}
    w5 = wars[5]
    assert w5.start == dt.date(1900, 6, 1)  # day -9: the first of the month
    fff = next(p for p in w5.participants if p.ccode == 600)
    assert (fff.side, fff.start, fff.side_switch) == (2, dt.date(1900, 8, 1), True)
    assert not any(p.side_switch for p in w1.participants)


def test_incident_rule_earliest_initiator_attacks_earliest_on_the_other_side() -> None:
    wars = read_wars(str(WARS))
    inc = incident_of(wars[1])
    assert inc is not None
    assert (inc.initiator.ccode, inc.target.ccode, inc.ambiguity) == (100, 200, ())
    inc5 = incident_of(wars[5])
    assert inc5 is not None and (inc5.initiator.ccode, inc5.target.ccode) == (200, 100)
    assert incident_of(wars[4]) is None


def test_first_day_ties_are_all_parties_the_lowest_ccode_named_first() -> None:
    inc = incident_of(read_wars(str(WARS))[2])
    assert inc is not None
    assert (inc.initiator.ccode, inc.target.ccode) == (100, 200)
    assert [p.ccode for p in inc.initiators] == [100, 500]
    assert [p.ccode for p in inc.targets] == [200, 300]
    assert inc.ambiguity == ()  # the tie leaves no state out of the incident


def test_select_wars_filters_years_ids_and_size() -> None:
    wars = read_wars(str(WARS))
    assert [w.num for w in select_wars(wars, since=1901)] == [6]
    assert [w.num for w in select_wars(wars, until=1900)] == [1, 2, 3, 4, 5]
    assert [w.num for w in select_wars(wars, ids=[5, 1])] == [5, 1]
    assert [w.num for w in select_wars(wars, min_participants=3)] == [1, 2, 5]
    assert [w.num for w in select_wars(wars, min_participants=4)] == [1, 2]
    with pytest.raises(ValueError, match="war 99: no such WarNum"):
        select_wars(wars, ids=[99])


# -- scores against hand-computed values ---------------------------------------------


def test_brier_and_log_loss_by_hand() -> None:
    assert brier([0.2, 0.9], [0, 1]) == pytest.approx((0.04 + 0.01) / 2)
    assert log_loss([0.5, 0.8], [1, 0]) == pytest.approx((-np.log(0.5) - np.log(0.2)) / 2)
    # p = 0 for a joiner costs -log(EPS), p = 1 for a non-joiner the same
    assert log_loss([0.0, 1.0], [1, 0]) == pytest.approx(-np.log(EPS))
    assert log_loss([0.0], [0]) == pytest.approx(-np.log1p(-EPS))
    # weights are repetitions
    assert brier([0.2, 0.9], [0, 1], np.array([2.0, 1.0])) == pytest.approx(
        brier([0.2, 0.2, 0.9], [0, 0, 1])
    )


def test_three_outcome_scores_by_hand() -> None:
    # row 1: P = (out 0.5, side1 0.3, side2 0.2), joined side 1
    # row 2: P = (out 0.9, side1 0.0, side2 0.1), stayed out
    p1, p2, side = np.array([0.3, 0.0]), np.array([0.2, 0.1]), np.array([1, 0])
    b1 = 0.5**2 + 0.7**2 + 0.2**2
    b2 = 0.1**2 + 0.0**2 + 0.1**2
    assert brier_side(p1, p2, side) == pytest.approx((b1 + b2) / 2)
    assert log_loss_side(p1, p2, side) == pytest.approx((-np.log(0.3) - np.log(0.9)) / 2)
    # the wrong side costs as much as staying out would: P(side 2) = 0 -> EPS
    assert log_loss_side(np.array([0.9]), np.array([0.0]), np.array([2])) == pytest.approx(
        -np.log(EPS)
    )


def test_auc_by_hand_and_against_scipy() -> None:
    # positives 0.35, 0.8; negatives 0.1, 0.4: pairs won (0.35>0.1), (0.8>0.1), (0.8>0.4)
    assert auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(3 / 4)
    # a tie counts one half: positive 0.5 against negatives 0.5 and 0.2
    assert auc([0.5, 0.5, 0.2], [1, 0, 0]) == pytest.approx((0.5 + 1) / 2)
    assert np.isnan(auc([0.1, 0.2], [0, 0]))
    from scipy.stats import mannwhitneyu

    rng = np.random.default_rng(12)
    p = rng.integers(0, 5, 200) / 4  # many ties
    y = rng.random(200) < 0.3
    u = mannwhitneyu(p[y], p[~y]).statistic
    assert auc(p, y) == pytest.approx(u / (y.sum() * (~y).sum()))
    w = rng.integers(0, 3, 200).astype(float)
    assert auc(p, y, w) == pytest.approx(
        auc(np.repeat(p, w.astype(int)), np.repeat(y, w.astype(int)))
    )


def test_calibration_table_bins_tenths() -> None:
    rows = calibration_table(np.array([0.0, 0.05, 0.15, 1.0]), np.array([0, 1, 0, 1]))
    assert [(r["low"], r["n"], r["observed"]) for r in rows] == [(0.0, 2, 0.5), (0.1, 1, 0.0),
                                                                   (0.9, 1, 1.0)]  # fmt: skip
    assert rows[0]["mean_p"] == pytest.approx(0.025)
    assert rows[0]["observed_low"] < 0.5 < rows[0]["observed_high"]


def test_bootstrap_is_deterministic_and_pairs_the_predictions() -> None:
    rng = np.random.default_rng(3)
    wars = np.repeat(np.arange(8), 5)
    side = (rng.random(40) < 0.2).astype(int)
    p = rng.random(40) * 0.5
    preds = {"model": (p, p, 0 * p), "nobody": (0 * p, 0 * p, 0 * p)}
    a = bootstrap_scores(wars, side, preds, resamples=50, seed=7)
    b = bootstrap_scores(wars, side, preds, resamples=50, seed=7)
    c = bootstrap_scores(wars, side, preds, resamples=50, seed=8)
    assert a == b
    assert a != c
    s = a["scores"]["model"]["brier"]
    assert s["value"] == pytest.approx(brier(p, side > 0))
    assert s["low"] <= s["value"] <= s["high"]
    sk = a["skill"]["nobody"]["brier"]
    assert sk["value"] == pytest.approx(1 - brier(p, side > 0) / brier(0 * p, side > 0))
    assert "auc" not in a["skill"]["nobody"]


def test_base_rate_leaves_the_war_out() -> None:
    # war 1: 4 third parties, one joined the initiator's side (1); war 2: 2 third
    # parties, one joined the target's side; war 2's initiator is on COW side 2
    frame = pd.DataFrame(
        {
            "war": [1, 1, 1, 1, 2, 2],
            "init_side": [1, 1, 1, 1, 2, 2],
            "s": [1, 0, 0, 0, 1, 0],
        }
    )
    b1, b2 = base_rates(frame, "s")
    # war 1 sees war 2 only: 0 of 2 on the initiator's side, 1 of 2 on the target's
    assert b1[:4] == pytest.approx([0.0] * 4) and b2[:4] == pytest.approx([0.5] * 4)
    # war 2 sees war 1: 1 of 4 on the initiator's side = COW side 2 for war 2
    assert b1[4:] == pytest.approx([0.0] * 2) and b2[4:] == pytest.approx([0.25] * 2)


# -- the backtest on the fixtures ----------------------------------------------------


@pytest.fixture(scope="module")
def result():
    return backtest(WARS, **FILES, replicates=400, seed=5, resamples=30, folds=2,
                    fit_replicates=50, max_evaluations=8)  # fmt: skip


def test_skips_say_why(result) -> None:
    wars = result.wars.set_index("war")
    assert list(wars.index) == [1, 2, 3, 4, 5, 6]
    assert "initiator Deltaland (402)" in wars.loc[3, "skipped"]
    assert "not in the COW state system" in wars.loc[3, "skipped"]
    assert "no initiator coded" in wars.loc[4, "skipped"]
    assert (wars.loc[[1, 2, 5, 6], "skipped"] == "").all()
    assert not wars.loc[[1, 2, 5, 6], "ambiguous"].astype(bool).any()
    assert "Phiania (600)" in wars.loc[5, "side_switch"]
    assert result.summary["wars_scored"] == 4 and result.summary["wars_skipped"] == 2


def test_predictions_columns_windows_and_sides(result) -> None:
    pred = result.predictions
    kinds = {"war": "i", "ccode": "i", "third_party": "b", "p_at_war": "f", "p_side1": "f",
             "p_side2": "f", "joined": "b", "joined_side": "i", "joined_30": "b",
             "joined_365": "b", "p_at_war_no_alliances": "f"}  # fmt: skip
    for col, kind in kinds.items():
        assert pred[col].dtype.kind == kind, col
    assert pred["state"].map(type).eq(str).all()
    w1 = pred[pred["war"] == 1].set_index("state")
    # states in the system on 1900-06-15: AAA, BBB, CCC, EEE, FFF (DDD enters in July)
    assert sorted(w1.index) == ["AAA", "BBB", "CCC", "EEE", "FFF"]
    assert not w1.loc["AAA", "third_party"] and not w1.loc["BBB", "third_party"]
    assert w1.loc["EEE", "joined"] and w1.loc["EEE", "joined_side"] == 2
    assert w1.loc["EEE", "joined_30"]
    assert not w1.loc["FFF", "joined"] and w1.loc["FFF", "joined_side"] == 0
    assert w1.loc["FFF", "joined_365"] and not w1.loc["FFF", "joined_30"]
    assert not w1.loc["CCC", "joined_365"]
    # side mapping: the initiator is on its COW side with certainty, the target on the other
    assert w1.loc["AAA", "p_side1"] == 1.0 and w1.loc["BBB", "p_side2"] == 1.0
    w5 = pred[pred["war"] == 5].set_index("state")  # BBB (COW side 2) initiates
    assert w5.loc["BBB", "p_side2"] == 1.0 and w5.loc["AAA", "p_side1"] == 1.0
    assert w5.loc["FFF", "joined_side"] == 2  # its earliest spell's side
    assert (pred["p_at_war"] - pred["p_side1"] - pred["p_side2"]).abs().max() < 1e-12


def test_scores_of_the_summary_match_the_rows(result) -> None:
    pred = result.predictions
    third = pred[pred["third_party"]]
    s = result.summary["scores"]["180"]
    assert s["third_parties"] == len(third)
    assert s["joiners"] == int(third["joined"].sum())
    assert s["scores"]["model"]["brier"]["value"] == pytest.approx(
        brier(third["p_at_war"], third["joined"])
    )
    assert s["scores"]["nobody"]["brier"]["value"] == pytest.approx(third["joined"].mean())
    # "no_alliances" equals "nobody" under version 3 (unaligned entry off): left out
    names = {"model", "model_cv", "nobody", "base_rate", "pact_rule", "logit"}
    assert set(s["scores"]) == names
    assert set(s["skill"]) == names - {"model"}
    assert not third["p_at_war_no_alliances"].any()
    # the held-out columns are those of the fold's fit, and every difference is of them
    assert s["differences"]["of"] == "model_cv"
    assert set(s["differences"]["log_loss_side"]) == names - {"model_cv"}
    assert set(s["side_accuracy"]) == names
    assert ((third["p_side1_cv"] + third["p_side2_cv"]) == third["p_at_war_cv"]).all()
    assert set(result.summary["scores"]) == {"30", "180", "365"}
    s365 = result.summary["scores"]["365"]
    assert s365["joiners"] == int(third["joined_365"].sum())


def test_write_gives_the_contract_files(result, tmp_path: Path) -> None:
    paths = result.write(tmp_path)
    assert [p.name for p in paths] == ["predictions.parquet", "wars.csv", "summary.json"]
    back = pd.read_parquet(tmp_path / "predictions.parquet")
    pd.testing.assert_frame_equal(back, result.predictions)
    wars = pd.read_csv(tmp_path / "wars.csv", keep_default_na=False)
    assert {"war", "initiator", "target", "joiners", "expected_joiners", "brier",
            "ambiguous", "ambiguity", "skipped"} <= set(wars.columns)  # fmt: skip
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["scores"]["180"]["scores"]["model"]["brier"]["low"] is not None


def test_same_seed_same_predictions() -> None:
    a = backtest(WARS, **FILES, replicates=200, seed=5, resamples=5, war_ids=[1, 5], folds=0)
    b = backtest(WARS, **FILES, replicates=200, seed=5, resamples=5, war_ids=[1, 5], folds=0)
    pd.testing.assert_frame_equal(a.predictions, b.predictions)
    assert a.summary["scores"] == b.summary["scores"]
    # the scores are those of the predictions: Brier over the third parties at 180 days
    third = a.predictions[a.predictions["third_party"]]
    brier_180 = ((third["p_at_war"] - third["joined"]) ** 2).mean()
    assert a.summary["scores"]["180"]["scores"]["model"]["brier"]["value"] == pytest.approx(
        brier_180
    )
    # the seed draws the replicates: another seed, other probabilities, the same wars
    c = backtest(WARS, **FILES, replicates=200, seed=6, resamples=5, war_ids=[1, 5], folds=0)
    observed = ["war", "ccode", "third_party", "entry_day", "joined", "joined_side"]
    pd.testing.assert_frame_equal(a.predictions[observed], c.predictions[observed])
    assert not np.array_equal(third["p_at_war"], c.predictions.loc[third.index, "p_at_war"])
    assert ((a.predictions["p_at_war"] * 200) % 1 == 0).all()  # shares of 200 replicates


def test_no_war_left_is_an_error() -> None:
    with pytest.raises(ValueError, match="no war to score"):
        backtest(WARS, **FILES, replicates=10, war_ids=[3, 4], folds=0)


def test_the_worlds_of_the_wars_have_no_deterrence() -> None:
    wars = read_wars(str(WARS))
    cases, _ = prepare([wars[1], wars[5]], DataFiles(**FILES))
    for case in cases:
        assert no_alliances(case.world).alliances == ()
        assert case.world.dynamics.deterrence == 0.0


def test_calibrate_fits_every_coefficient_and_writes_toml() -> None:
    wars = read_wars(str(WARS))
    cases, _ = prepare(select_wars(wars), DataFiles(**FILES))
    cal = calibrate_cases(cases, replicates=60, predict_replicates=60, seed=2, resamples=2,
                          folds=2, max_evaluations=12)  # fmt: skip
    assert set(cal.fitted) == set(PARAMS)
    assert (cal.entry, cal.decide) in RULES and sorted(cal.fits) == sorted(RULES)
    best = cal.fits[cal.entry, cal.decide]
    assert best.loss <= best.loss_start
    assert best.loss == min(f.loss for f in cal.fits.values())  # the rules chosen by likelihood
    assert sorted(cal.held_out) == sorted(c.war.num for c in cases)
    text = toml_fragment(cal, "escalate calibrate ...")
    parsed = tomllib.loads(text)
    assert parsed["dynamics"]["entry"] == cal.entry
    assert parsed["dynamics"]["decide"] == cal.decide
    honour = parsed["dynamics"]["honour"]
    assert honour["intercept"]["defense"] == pytest.approx(cal.fitted["honour.intercept.defense"],
                                                           rel=1e-5)  # fmt: skip
    assert parsed["dynamics"]["unaligned"]["intercept"] == pytest.approx(
        cal.fitted["unaligned.intercept"], rel=1e-5
    )
    assert "Reproduce: escalate calibrate ..." in text
    assert len(START) == len(PARAMS)


# -- the command line ----------------------------------------------------------------


def _argv(out: Path, *extra: str) -> list[str]:
    flags = [f"--{k}={v}" for k, v in FILES.items()]
    return ["backtest", f"--wars={WARS}", *flags, "-n", "100", "--bootstrap", "5",
            "--folds", "0", "--out", str(out), *extra]  # fmt: skip


def test_cli_backtest_writes_the_files(tmp_path: Path, capsys) -> None:
    pytest.importorskip("matplotlib")
    assert main(_argv(tmp_path / "bt", "--json")) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["wars_scored"] == 4
    names = {p.name for p in (tmp_path / "bt").iterdir()}
    assert {"predictions.parquet", "wars.csv", "summary.json", "report.md",
            "reliability.png", "joiners.png"} <= names  # fmt: skip


def test_cli_backtest_filters_and_prints_the_table(tmp_path: Path, capsys) -> None:
    code = main(_argv(tmp_path / "bt", "--no-figures", "--war-ids", "1,2", "--window", "30"))
    assert code == 0
    out = capsys.readouterr().out
    assert "## Joined within 30 days" in out and "| model (shipped defaults) |" in out
    wars = pd.read_csv(tmp_path / "bt" / "wars.csv")
    assert list(wars["war"]) == [1, 2]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--war-ids", "1,x"], "--war-ids '1,x': expected a list of COW WarNum"),
        (["--war-ids", "99"], "war 99: no such WarNum"),
        (["--war-ids", "3"], "no war to score"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys, extra, message) -> None:
    assert main(_argv(tmp_path / "bt", "--no-figures", *extra)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("escalate: error: ") and message in err and "\n" not in err


def test_cli_missing_file_and_no_alliances(tmp_path: Path, capsys) -> None:
    argv = _argv(tmp_path / "bt")
    argv[1] = f"--wars={tmp_path / 'none.csv'}"
    assert main(argv) == 2
    assert "cannot read the COW Inter-State War Data" in capsys.readouterr().err
    argv = [a for a in _argv(tmp_path / "bt") if not a.startswith(("--atop", "--cow"))]
    assert main(argv) == 2
    assert "give an ATOP file" in capsys.readouterr().err


def test_cli_calibrate_writes_the_fragment(tmp_path: Path) -> None:
    argv = _argv(tmp_path / "cal")
    argv[0] = "calibrate"
    argv = [a for a in argv if a not in ("--bootstrap", "5", "--folds", "0")]
    r = subprocess.run(
        [sys.executable, "-m", "escalate", *argv, "--bootstrap", "1", "--folds", "2",
         "--fit-replicates", "30", "--max-evaluations", "6", "--decide", "treaty"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "[dynamics.honour]" in r.stdout and "calibrate: fold 2/2" in r.stderr
    dynamics = tomllib.loads((tmp_path / "cal" / "fit.toml").read_text())["dynamics"]
    assert dynamics["honour"] and dynamics["decide"] == "treaty"
    cal = json.loads((tmp_path / "cal" / "calibration.json").read_text())
    assert cal["fitted"] and cal["decide"] == "treaty"
    # --decide keeps the rule: both entry rules fitted under it, nothing else
    assert sorted(cal["likelihood_by_rules"]) == [
        "entry = enemies, decide = treaty",
        "entry = side, decide = treaty",
    ]


def test_cli_report_of_a_backtest_directory(tmp_path: Path, capsys) -> None:
    pytest.importorskip("matplotlib")
    assert main(_argv(tmp_path / "bt", "--no-figures")) == 0
    capsys.readouterr()
    assert main(["report", str(tmp_path / "bt")]) == 0
    page = (tmp_path / "bt" / "report.html").read_text()
    assert capsys.readouterr().out.strip().endswith("report.html")
    assert "<h3>Joined within 180 days" in page and "<th>Brier</th>" in page
    assert page.count("data:image/png;base64,") == 2  # reliability diagram, joiners
    assert "<td>model (shipped defaults)</td>" in page
