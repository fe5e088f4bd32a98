"""The backtest: every war's prediction, scored against who joined, with baselines.

:func:`backtest` returns a :class:`Backtest` (predictions, one row per war and state;
wars, one row per war; the summary of every score) and :meth:`Backtest.write` writes
``predictions.parquet``, ``wars.csv`` and ``summary.json``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from .baselines import logistic_baseline, pact_rule
from .calibrate import RULES, calibrate_cases, folds_of
from .features import features
from .fit import MAX_EVALUATIONS
from .predict import FORMED_WITHIN, Case, DataFiles, load_cases, no_alliances, predict
from .referee import calibration_bins, differences, loss_by_ties, side_accuracy, within_war_auc
from .scores import EPS, auc, bootstrap_scores, brier, log_loss
from .wars import War

__all__ = ["BASELINES", "WINDOWS", "Backtest", "backtest", "base_rates", "score_frame"]

#: Windows (days after the start) scored besides the chosen one.
WINDOWS = (30, 180, 365)
#: The baselines, in the order of the summary.
BASELINES = ("nobody", "base_rate", "pact_rule", "logit", "no_alliances")


@dataclass
class Backtest:
    """What :func:`backtest` found."""

    #: one row per war and state in the system that day (the columns of the contract)
    predictions: pd.DataFrame
    #: one row per war: incident, counts, scores, ambiguity, or why it was skipped
    wars: pd.DataFrame
    #: every score with its bootstrap interval, per window, model and baseline; skill
    summary: dict[str, Any]
    #: seconds spent: import, simulate, scoring
    timings: dict[str, float] = field(default_factory=dict)

    def write(self, out: str | Path) -> list[Path]:
        """Write ``predictions.parquet``, ``wars.csv`` and ``summary.json`` into ``out``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "predictions.parquet", out / "wars.csv", out / "summary.json"]
        self.predictions.to_parquet(paths[0], index=False)
        self.wars.to_csv(paths[1], index=False)
        paths[2].write_text(json.dumps(_finite(self.summary), indent=1) + "\n", encoding="utf-8")
        return paths


def _finite(obj: Any) -> Any:
    """``obj`` with NaN and infinities as ``None`` (strict JSON)."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def base_rates(frame: pd.DataFrame, side_col: str) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-war-out base rates of joining each side, per row of ``frame``.

    For the rows of war *w*: the share of third parties of every *other* war that
    joined on the initiator's side, and on the target's side, mapped to COW sides 1/2
    by *w*'s initiator. Rows of ``frame`` are third parties; ``init_side`` and
    ``side_col`` (0, 1, 2) are columns.
    """
    on_init = (frame[side_col] == frame["init_side"]) & (frame[side_col] > 0)
    on_target = (frame[side_col] > 0) & ~on_init
    g = pd.DataFrame({"war": frame["war"], "i": on_init, "t": on_target, "n": 1})
    per = g.groupby("war")[["i", "t", "n"]].sum()
    tot = per.sum()
    rest = (tot - per).reindex(frame["war"].to_numpy())
    rate_i = (rest["i"] / rest["n"]).to_numpy()
    rate_t = (rest["t"] / rest["n"]).to_numpy()
    init1 = (frame["init_side"] == 1).to_numpy()
    return np.where(init1, rate_i, rate_t), np.where(init1, rate_t, rate_i)


def _baseline_columns(frame: pd.DataFrame, window: int) -> dict[str, tuple]:
    """The pact rule and the logistic regression, each fold predicted from the others."""
    rows = frame[frame["third_party"]]
    side_col = f"joined_side_{window}"
    out = {k: (np.zeros(len(rows)), np.zeros(len(rows))) for k in ("pact_rule", "logit")}
    for f in np.unique(rows["fold"]):
        test = (rows["fold"] == f).to_numpy()
        train, held = rows[~test], rows[test]
        for name, baseline in (("pact_rule", pact_rule), ("logit", logistic_baseline)):
            p1, p2 = baseline(train, held, side_col)
            out[name][0][test], out[name][1][test] = p1, p2
    return out


def score_frame(frame: pd.DataFrame, window: int, *, resamples: int, seed: int) -> dict[str, Any]:
    """Scores of the model and each baseline over the third parties, for one window.

    ``model`` is the shipped defaults; ``model_cv`` (when the frame has the held-out
    columns) each war predicted by the fit that did not see it. The pact rule and the
    logistic regression are fitted on the same folds.
    """
    rows = frame[frame["third_party"]].copy()
    side_col = f"joined_side_{window}"
    rows[side_col] = np.where(rows["entry_day"] <= window, rows["war_side"], 0)
    frame = frame.assign(**{side_col: np.where(frame["entry_day"] <= window, frame["war_side"], 0)})
    side = rows[side_col].to_numpy()
    b1, b2 = base_rates(rows, side_col)
    zero = np.zeros(len(rows))
    preds = {"model": tuple(rows[c].to_numpy() for c in ("p_at_war", "p_side1", "p_side2"))}
    if "p_side1_cv" in rows:
        preds["model_cv"] = tuple(rows[c].to_numpy() for c in ("p_at_war_cv", "p_side1_cv",
                                                                 "p_side2_cv"))  # fmt: skip
    preds["nobody"] = (zero, zero, zero)
    preds["base_rate"] = (b1 + b2, b1, b2)
    if "fold" in rows:
        for name, (p1, p2) in _baseline_columns(frame, window).items():
            preds[name] = (p1 + p2, p1, p2)
    bare = tuple(rows[f"{c}_no_alliances"].to_numpy() for c in ("p_at_war", "p_side1", "p_side2"))
    if bare[0].any():  # equal to "nobody" where no state ever joins without an alliance
        preds["no_alliances"] = bare
    wars = rows["war"].to_numpy()
    out = bootstrap_scores(wars, side, preds, resamples=resamples, seed=seed)
    out["third_parties"] = len(rows)
    out["joiners"] = int((side > 0).sum())
    first = "model_cv" if "model_cv" in preds else "model"
    out["differences"] = {
        "of": first,
        "log_loss_side": differences(
            wars, side, {k: v[1:] for k, v in preds.items()}, first, resamples=resamples, seed=seed
        ),
    }
    out["within_war_auc"] = {k: within_war_auc(wars, v[0], side > 0) for k, v in preds.items()}
    out["side_accuracy"] = {k: side_accuracy(v[1], v[2], side) for k, v in preds.items()}
    out["loss_by_ties"] = loss_by_ties(
        rows["defense_to_initiator"].to_numpy() > 0, rows["defense_to_target"].to_numpy() > 0,
        side == rows["init_side"].to_numpy(), side, {k: v[1:] for k, v in preds.items()},
    )  # fmt: skip
    out["calibration"] = {
        k: calibration_bins(wars, preds[k][0], side > 0, resamples=resamples, seed=seed)
        for k in ("model", "model_cv")
        if k in preds
    }
    return out


def _per_war(case: Case, frame: pd.DataFrame, window: int) -> dict[str, Any]:
    third = frame[frame["third_party"]]
    y = (third["entry_day"] <= window).to_numpy()
    p = third["p_at_war"].to_numpy()
    inc = case.incident
    return {
        "war": case.war.num,
        "name": case.war.name,
        "start": case.war.start.isoformat(),
        "initiator": case.ids[list(case.ccodes).index(inc.initiator.ccode)],
        "initiator_ccode": inc.initiator.ccode,
        "target": case.ids[list(case.ccodes).index(inc.target.ccode)],
        "target_ccode": inc.target.ccode,
        "initiators": " ".join(case.world.incident.initiator_ids),
        "targets": " ".join(case.world.incident.target_ids),
        "theatre": " ".join(inc.theatre),
        "initiator_side": case.init_side,
        "participants": len(case.war.participants),
        "not_in_system": "; ".join(case.absent),
        "treaties_left_out": " ".join(k.replace(" ", "_") for k in case.left_out),
        "states": len(case.ids),
        "alliance_entries": len(case.world.alliances),
        "third_parties": len(third),
        "joiners_30": int((third["entry_day"] <= 30).sum()),
        "joiners": int(y.sum()),
        "joiners_365": int((third["entry_day"] <= 365).sum()),
        "joiners_ever": int(third["entry_day"].notna().sum()),
        "expected_joiners": float(p.sum()),
        "expected_joiners_no_alliances": float(third["p_at_war_no_alliances"].sum()),
        "brier": brier(p, y),
        "brier_nobody": brier(np.zeros(len(y)), y),
        "log_loss": log_loss(p, y),
        "auc": auc(p, y),
        "ambiguous": bool(inc.ambiguity),
        "ambiguity": "; ".join(inc.ambiguity),
        "side_switch": "; ".join(
            f"{p.name} ({p.ccode})" for p in case.war.participants if p.side_switch
        ),
        "skipped": "",
    }


def backtest(
    wars: str | Path,
    *,
    states: str | Path,
    capabilities: str | Path,
    majors: str | Path | None = None,
    atop: str | Path | None = None,
    cow: str | Path | None = None,
    replicates: int = 10_000,
    seed: int = 1,
    since: int | None = None,
    until: int | None = None,
    war_ids: list[int] | None = None,
    min_participants: int = 2,
    window: int = 180,
    resamples: int = 1000,
    threads: int | None = None,
    folds: int = 10,
    fit_replicates: int = 250,
    max_evaluations: int = MAX_EVALUATIONS,
    rules: tuple[tuple[str, str], ...] = RULES,
    jobs: int = 1,
    progress: Any = None,
) -> Backtest:
    """Predict who joins each COW inter-state war, and score it against who did.

    For each war: the world of the day it began (imported from the data files, no
    overlay), the incident (every state that entered on either side on the war's
    first day is a party), the theatre from COW ``WhereFought``, ``deterrence = 0``;
    ``replicates`` cascades give each state's P(at war on each COW side), at the
    documented defaults and held out (``folds``). Scores pool the third parties of all
    wars, beside baselines on the same rows: "nobody else joins", the base rate, the
    pact rule and a logistic regression (docs/backtest.md).

    Parameters
    ----------
    wars
        The COW Inter-State War Data file (``Inter-StateWarData_v4.0.csv``).
    states, capabilities, majors, atop, cow
        The data files of :func:`escalate.import_world` (ATOP and/or COW alliances).
    replicates, seed
        Cascades per war and world, and the run seed (the same for every world:
        common random numbers between the model and its no-alliance baseline).
    since, until
        Keep the wars that began in these years (inclusive).
    war_ids
        Keep only these COW ``WarNum``.
    min_participants
        Keep the wars with at least this many participant states.
    window
        A state joined if it entered within this many days of the war's start (the
        ``joined`` column); the summary scores 30, 180 and 365 days and ``window``.
    resamples
        Bootstrap resamples of wars for the intervals (seeded by ``seed``).
    threads
        Numba threads (default: all).
    folds
        Each of ``folds`` groups of wars (seeded) is predicted by the fit of version 3's
        coefficients on the others (``p_*_cv`` columns; :func:`escalate.calibrate`), and
        the baselines use the same folds. 0: no held-out fit.
    fit_replicates, max_evaluations, jobs
        Cascades per war and evaluation, evaluations per fit, and worker processes
        (1: this process; the same fits either way) of those fits.
    rules
        The (``entry``, ``decide``) pairs fitted on all wars; the folds use the likeliest.
    progress
        Called with a line of text after each fit.

    Returns
    -------
    Backtest
        Predictions, per-war table, summary; :meth:`Backtest.write` saves them.

    Raises
    ------
    escalate.importers.DataError
        A data file cannot be read or lacks a column.
    ValueError
        No war is left to score, or ``war_ids`` names a war the file lacks.
    """
    if replicates < 1 or window < 0 or resamples < 1 or min_participants < 2:
        raise ValueError(
            "replicates and resamples must be >= 1, window >= 0, min_participants >= 2"
        )
    t0 = time.perf_counter()
    files = DataFiles.of(states, capabilities, majors, atop, cow)
    chosen, cases, skipped = load_cases(wars, files, since=since, until=until, war_ids=war_ids,
                                        min_participants=min_participants)  # fmt: skip
    t1 = time.perf_counter()
    if not cases:
        raise ValueError(
            f"no war to score: {len(chosen)} selected, "
            + (f"all skipped ({'; '.join(sorted(set(skipped.values())))})" if chosen else "none")
        )
    frames = _frames(cases, window, replicates, seed, threads, max(folds, 2))
    t2 = time.perf_counter()
    predictions = pd.concat(frames, ignore_index=True)
    calibration = None
    if folds > 0:
        calibration = calibrate_cases(
            cases, window=window, replicates=fit_replicates, predict_replicates=replicates,
            seed=seed, folds=folds, max_evaluations=max_evaluations, rules=rules, jobs=jobs,
            progress=progress,
        )  # fmt: skip
        _held_out_columns(predictions, cases, calibration.held_out)
    t_fit = time.perf_counter()
    windows = sorted({*WINDOWS, window})
    summary = _summary_head(replicates, seed, window, windows, resamples, len(cases), len(skipped))
    summary |= {"folds": folds, "treaties_left_out": _left_out(cases)}
    if calibration is not None:
        summary["calibration"] = calibration.to_dict()
    for w in windows:
        summary["scores"][str(w)] = score_frame(predictions, w, resamples=resamples, seed=seed)
    t3 = time.perf_counter()
    rows = _wars_rows(chosen, cases, skipped, predictions, window)
    timings = {"import": t1 - t0, "simulate": t2 - t1, "fit": t_fit - t2, "scoring": t3 - t_fit}
    summary["timings_s"] = timings
    return Backtest(predictions, pd.DataFrame(rows), summary, timings)


def _frames(cases: list[Case], window: int, replicates: int, seed: int, threads: int | None,
            folds: int) -> list[pd.DataFrame]:  # fmt: skip
    """Each war's rows: the defaults' predictions, without alliances, its fold, its features."""
    fold_of = folds_of([c.war.num for c in cases], folds, seed)
    frames = []
    for case in cases:
        p, p1, p2 = predict(case, case.world, replicates, seed, threads)
        q, q1, q2 = predict(case, no_alliances(case.world), replicates, seed, threads)
        f = _frame(case, window, (p, p1, p2), (q, q1, q2))
        f["fold"] = fold_of[case.war.num]
        frames.append(pd.concat([f, features(case)], axis=1))
    return frames


def _summary_head(replicates: int, seed: int, window: int, windows: list[int], resamples: int,
                  scored: int, skipped: int) -> dict[str, Any]:  # fmt: skip
    """The settings at the head of ``summary.json``; the scores follow."""
    return {
        "escalate": __version__,
        "replicates": replicates,
        "seed": seed,
        "window": window,
        "windows": windows,
        "resamples": resamples,
        "eps": EPS,
        "wars_scored": scored,
        "wars_skipped": skipped,
        "base_rate": "leave-one-war-out: the share of third parties of the other wars "
        "that joined the initiator's side and the target's side",
        "scores": {},
    }


def _left_out(cases: list[Case]) -> dict[str, Any]:
    """How many treaties formed for their war were left out of the worlds, and the rule."""
    return {
        "rule": f"formed for the war: ATOP wartime = 1 with cowwar = the war, or signed at "
        f"most {FORMED_WITHIN} days before it began (both files)",
        "wars": sum(1 for c in cases if c.left_out),
        "treaties": sum(len(c.left_out) for c in cases),
    }


def _held_out_columns(predictions: pd.DataFrame, cases: list[Case], held_out: dict) -> None:
    """Add ``p_side1_cv``, ``p_side2_cv``, ``p_at_war_cv``: each war from its fold's fit."""
    held = [held_out[c.war.num] for c in cases]
    predictions["p_side1_cv"] = np.concatenate([h[0] for h in held])
    predictions["p_side2_cv"] = np.concatenate([h[1] for h in held])
    predictions["p_at_war_cv"] = predictions["p_side1_cv"] + predictions["p_side2_cv"]


def _wars_rows(
    chosen: list[War],
    cases: list[Case],
    skipped: dict[int, str],
    predictions: pd.DataFrame,
    window: int,
) -> list[dict[str, Any]]:
    """The rows of ``wars.csv``: each scored war, and each skipped one with its reason."""
    by_num = {c.war.num: c for c in cases}
    rows = []
    for war in chosen:
        if war.num in by_num:
            g = predictions[predictions["war"] == war.num]
            rows.append(_per_war(by_num[war.num], g, window))
        else:
            rows.append(
                {
                    "war": war.num,
                    "name": war.name,
                    "start": war.start.isoformat(),
                    "participants": len(war.participants),
                    "skipped": skipped[war.num],
                }
            )
    return rows


def _frame(
    case: Case,
    window: int,
    model: tuple[np.ndarray, np.ndarray, np.ndarray],
    bare: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> pd.DataFrame:
    n = len(case.ids)
    entry = case.entry_day
    ever = ~np.isnan(entry)
    out = pd.DataFrame(
        {
            "war": np.full(n, case.war.num, dtype=np.int64),
            "ccode": case.ccodes.astype(np.int64),
            "state": case.ids,
            "third_party": case.third,
            "p_at_war": model[0],
            "p_side1": model[1],
            "p_side2": model[2],
            "p_at_war_no_alliances": bare[0],
            "p_side1_no_alliances": bare[1],
            "p_side2_no_alliances": bare[2],
            "init_side": np.full(n, case.init_side, dtype=np.int8),
            "war_side": case.war_side.astype(np.int8),
            "entry_day": entry,
        }
    )
    for w, col in ((window, "joined"), (30, "joined_30"), (365, "joined_365")):
        out[col] = ever & (np.nan_to_num(entry, nan=np.inf) <= w)
    out["joined_side"] = np.where(out["joined"], case.war_side, 0).astype(np.int8)
    return out
