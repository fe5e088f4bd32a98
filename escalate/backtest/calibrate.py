"""Version 3's coefficients fitted to the COW wars, judged on wars the fit did not see.

:func:`calibrate_cases` fits every coefficient of ``[dynamics.honour]`` and
``[dynamics.unaligned]`` by maximum simulated likelihood times a weakly informative
prior (a maximum a posteriori fit, :mod:`.fit`) on all wars,
under each pair of rules (``entry``: ``enemies`` or ``side``; ``decide``:
``obligation`` or ``treaty``), and keeps the pair of higher likelihood. Out of sample,
always from the same fixed start:

- **folds**: the wars are split into ``folds`` groups (a seeded shuffle); each group is
  predicted by the fit on the others. These held-out predictions are the backtest's
  ``p_side1_cv``/``p_side2_cv`` columns.
- **eras**: fit on the wars that began up to 1945 and predict the later ones, then
  the reverse.
- **bootstrap**: ``resamples`` refits on wars drawn with replacement give percentile
  intervals of the coefficients.

Worlds imported from the data alone have no organizations, so their response
probabilities are not fitted.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..model.schema import DECIDE_RULES, ENTRY_RULES
from .fit import ALPHA, FTOL, MAX_EVALUATIONS, XTOL, Fit, Objective
from .params import PARAMS, PRIOR_SCALE, START, params_dict
from .pool import FitPool
from .predict import Case, DataFiles, load_cases

__all__ = [
    "ERA_SPLIT",
    "RULES",
    "Calibration",
    "calibrate",
    "calibrate_cases",
    "folds_of",
    "toml_fragment",
]

#: The rules compared by likelihood: every (``entry``, ``decide``) pair.
RULES: tuple[tuple[str, str], ...] = tuple((e, d) for d in DECIDE_RULES for e in ENTRY_RULES)
#: The last year of the first era.
ERA_SPLIT = 1945


@dataclass
class Calibration:
    """The fit on all wars, and every out-of-sample fit."""

    entry: str
    decide: str
    theta: np.ndarray
    #: (entry, decide) -> its fit on all wars
    fits: dict[tuple[str, str], Fit]
    #: war number -> (P(side 1), P(side 2)) of every state, from the fit without its fold
    held_out: dict[int, tuple[np.ndarray, np.ndarray]]
    fold_of: dict[int, int]
    fold_thetas: list[np.ndarray]
    #: era split name -> held-out scores and the fit's coefficients
    eras: dict[str, dict[str, Any]]
    #: parameter -> (low, high): percentile interval of the bootstrap refits
    intervals: dict[str, tuple[float, float]]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def fitted(self) -> dict[str, float]:
        """The coefficients of the fit on all wars, by ``[dynamics]`` key."""
        return params_dict(self.theta)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON)."""
        return {
            "entry": self.entry,
            "decide": self.decide,
            "fitted": self.fitted,
            "start": params_dict(START),
            "intervals": {k: list(v) for k, v in self.intervals.items()},
            "likelihood_by_rules": {
                f"entry = {e}, decide = {d}": {
                    "loss": f.loss,
                    "loss_start": f.loss_start,
                    "evaluations": f.evaluations,
                }
                for (e, d), f in self.fits.items()
            },
            "folds": {str(w): f for w, f in self.fold_of.items()},
            "fold_fits": [params_dict(t) for t in self.fold_thetas],
            "eras": self.eras,
            "settings": self.settings,
        }


def folds_of(wars: list[int], folds: int, seed: int) -> dict[int, int]:
    """War number -> fold (0 .. k - 1): a shuffle seeded by ``seed``, dealt in turn.

    The model's calibration and the baselines use the same folds.
    """
    order = np.random.default_rng(seed).permutation(len(wars))
    k = max(2, min(folds, len(wars)))
    return {wars[int(i)]: f % k for f, i in enumerate(order)}


def _held_out_loss(obj: Objective, theta: np.ndarray, wars: np.ndarray, r: int) -> float:
    """Mean held-out log loss per third party of ``wars`` at ``theta`` (``r`` cascades)."""
    idx = [int(i) for i in np.flatnonzero(wars)]
    n = sum(len(obj.outcomes[i]) for i in idx)
    return float(obj.losses(idx, theta, r).sum() / n) if n else float("nan")


def _nobody_loss(obj: Objective, wars: np.ndarray, r: int) -> float:
    """The same mean for "nobody else joins", smoothed as the model (P(join) = 1/2 / (R + 3/2))."""
    joined = sum(int((obj.outcomes[i] > 0).sum()) for i in np.flatnonzero(wars))
    n = sum(len(obj.outcomes[i]) for i in np.flatnonzero(wars))
    p_join = ALPHA / (r + 3 * ALPHA)
    return (-joined * np.log(p_join) - (n - joined) * np.log(1 - 2 * p_join)) / n if n else np.nan


def calibrate_cases(
    cases: list[Case],
    *,
    window: int = 180,
    replicates: int = 250,
    predict_replicates: int = 1000,
    seed: int = 1,
    folds: int = 10,
    resamples: int = 0,
    max_evaluations: int = MAX_EVALUATIONS,
    rules: tuple[tuple[str, str], ...] = RULES,
    free: np.ndarray | None = None,
    jobs: int = 1,
    progress: Any = None,
) -> Calibration:
    """Fit version 3's coefficients to ``cases`` and judge them out of sample.

    ``replicates`` cascades per war and evaluation during a fit (one seed: common
    random numbers), ``predict_replicates`` for the held-out predictions. ``folds``
    groups of wars (a shuffle seeded by ``seed``), both era splits, and ``resamples``
    bootstrap refits for the intervals (0: none). ``free`` fits only those
    coefficients (a mask over :data:`~escalate.backtest.params.PARAMS`; the
    others stay at the start). ``rules``: the (``entry``, ``decide``) pairs fitted on
    all wars; the likeliest is the one of the folds, eras and refits. ``jobs``: worker
    processes for the fits (:class:`~escalate.backtest.pool.FitPool`; 1: this process),
    the same fits either way. ``progress(message)`` is called after each fit.
    """
    if not rules:
        raise ValueError("rules: give at least one (entry, decide) pair")
    t0 = time.perf_counter()
    with FitPool(cases, window, replicates, seed, jobs=jobs) as pool:
        out = _fits(pool, cases, folds, resamples, rules, max_evaluations, free, progress)
    fits, best, fold_of, fold_fits, era_fits, refits = out
    obj = pool.objective(best)
    held_out = {}
    for f, ft in enumerate(fold_fits):
        wars = [i for i, c in enumerate(cases) if fold_of[c.war.num] == f]
        probs = obj.probabilities_of(wars, ft.theta, predict_replicates)
        held_out.update({cases[i].war.num: p for i, p in zip(wars, probs, strict=True)})
    eras = {}
    for (name, train), ft in era_fits:
        test = ~train
        eras[name] = {
            "wars_fit": int(train.sum()),
            "wars_tested": int(test.sum()),
            "loss_model": _held_out_loss(obj, ft.theta, test, predict_replicates),
            "loss_start": _held_out_loss(obj, START, test, predict_replicates),
            "loss_nobody": _nobody_loss(obj, test, predict_replicates),
            "fitted": params_dict(ft.theta),
        }
    every = [*fits.values(), *fold_fits, *(ft for _, ft in era_fits), *refits]
    return Calibration(
        entry=best[0],
        decide=best[1],
        theta=fits[best].theta,
        fits=fits,
        held_out=held_out,
        fold_of=fold_of,
        fold_thetas=[ft.theta for ft in fold_fits],
        eras=eras,
        intervals=_intervals([r.theta for r in refits]),
        settings={
            "escalate": __version__,
            "wars": [c.war.num for c in cases],
            "window": window,
            "replicates": replicates,
            "predict_replicates": predict_replicates,
            "seed": seed,
            "folds": len(fold_fits),
            "resamples": resamples,
            "max_evaluations": max_evaluations,
            "objective": "mean -log P(outcome) per third party, three outcomes at the window; "
            "P from the simulated counts with add-1/2 smoothing; common random numbers",
            "optimizer": "scipy.optimize.minimize, bounded Powell, from the fixed start; "
            f"xtol {XTOL}, ftol {FTOL}; the best point evaluated",
            "prior": f"normal(start, {PRIOR_SCALE}) on every coefficient (a MAP fit)",
            "jobs": jobs,
            "evaluations": sum(f.evaluations for f in every),
            "fit_s": sum(f.seconds for f in every),
            "seconds": time.perf_counter() - t0,
        },
    )


def _fits(
    pool: FitPool,
    cases: list[Case],
    folds: int,
    resamples: int,
    rules: tuple[tuple[str, str], ...],
    max_evaluations: int,
    free: np.ndarray | None,
    progress: Any,
) -> tuple:
    """Every fit of :func:`calibrate_cases`: on all wars by rule, then the folds, eras, refits.

    Returns the fits by rule, the likeliest rule, the folds, the fold fits, the era
    fits (with their name and training mask) and the bootstrap refits.
    """
    say = progress or (lambda _msg: None)
    run = functools.partial(pool.fits, max_evaluations=max_evaluations, free=free)
    ones = np.ones(len(cases))

    def said_rule(i: int, f: Fit) -> None:
        say(f"entry = {rules[i][0]}, decide = {rules[i][1]}: loss {f.loss:.4f} "
            f"(start {f.loss_start:.4f})")  # fmt: skip

    fits = dict(zip(rules, run([(r, ones) for r in rules], done=said_rule), strict=True))
    best = min(fits, key=lambda r: fits[r].loss)
    fold_of = folds_of([c.war.num for c in cases], folds, seed=pool.settings[3])
    k = max(fold_of.values()) + 1
    tests = [np.array([fold_of[c.war.num] == f for c in cases]) for f in range(k)]
    fold_fits = run([(best, (~t).astype(float)) for t in tests],
                    done=lambda i, _f: say(f"fold {i + 1}/{k}: {int(tests[i].sum())} wars held "
                                           "out"))  # fmt: skip
    early = np.array([c.war.start.year <= ERA_SPLIT for c in cases])
    splits = [(f"fit to {ERA_SPLIT}, test after", early),
              (f"fit after {ERA_SPLIT}, test to it", ~early)]  # fmt: skip
    eras = run([(best, train.astype(float)) for _, train in splits],
               done=lambda i, f: say(f"era split {splits[i][0]}: fitted"))  # fmt: skip
    rng = np.random.default_rng(pool.settings[3])
    draws = [np.bincount(rng.integers(0, len(cases), len(cases)), minlength=len(cases))
             for _ in range(resamples)]  # fmt: skip
    refits = run([(best, w.astype(float)) for w in draws],
                 done=lambda i, _f: say(f"bootstrap refit {i + 1}/{resamples}"))  # fmt: skip
    return fits, best, fold_of, fold_fits, list(zip(splits, eras, strict=True)), refits


def _intervals(refits: list[np.ndarray]) -> dict[str, tuple[float, float]]:
    """Each parameter's 95% percentile interval over the bootstrap refits (NaN: none)."""
    if not refits:
        return {p: (float("nan"), float("nan")) for p in PARAMS}
    q = np.quantile(np.array(refits), [0.025, 0.975], axis=0)
    return {p: (float(q[0, j]), float(q[1, j])) for j, p in enumerate(PARAMS)}


_REPRODUCE = "# Reproduce: escalate calibrate (docs/backtest.md)"


def toml_fragment(cal: Calibration, command: str = "") -> str:
    """The fit as ``[dynamics]`` tables, with its intervals and the command that made it."""
    s = cal.settings
    lines = [
        f"# Fitted by escalate calibrate (escalate {s.get('escalate', __version__)}) on "
        f"{len(s.get('wars', []))} COW inter-state wars: maximum simulated likelihood",
        f"# of each third party's outcome at {s.get('window')} days, {s.get('replicates')} "
        f"cascades per war and evaluation, seed {s.get('seed')}, times a normal prior of "
        f"scale {PRIOR_SCALE} around the start (a MAP fit).",
        f"# Reproduce: {command}" if command else _REPRODUCE,
        "# Intervals: 95% percentile of "
        f"{s.get('resamples')} bootstrap refits over wars (nan: none were run).",
        "[dynamics]",
        f'entry = "{cal.entry}"',
        f'decide = "{cal.decide}"',
        "",
    ]
    for table in ("honour", "unaligned"):
        lines.append(f"[dynamics.{table}]")
        for p in PARAMS:
            if p.startswith(f"{table}.") and not p.startswith("honour.intercept."):
                lo, hi = cal.intervals[p]
                lines.append(f"{p.split('.', 1)[1]} = {cal.fitted[p]:.6g}  # [{lo:.3g}, {hi:.3g}]")
        if table == "honour":
            kinds = [(p.rsplit(".", 1)[1], p) for p in PARAMS if p.startswith("honour.intercept.")]
            parts = ", ".join(f"{k} = {cal.fitted[p]:.6g}" for k, p in kinds)
            spans = ", ".join(f"{k} [{lo:.3g}, {hi:.3g}]"
                              for k, p in kinds for lo, hi in [cal.intervals[p]])  # fmt: skip
            lines += [f"intercept = {{ {parts} }}", f"# intercept intervals: {spans}"]
        lines.append("")
    return "\n".join(lines)


def calibrate(
    wars: str | Path,
    *,
    states: str | Path,
    capabilities: str | Path,
    majors: str | Path | None = None,
    atop: str | Path | None = None,
    cow: str | Path | None = None,
    since: int | None = None,
    until: int | None = None,
    war_ids: list[int] | None = None,
    min_participants: int = 2,
    **options: Any,
) -> Calibration:
    """Fit version 3's coefficients to the COW wars (the worlds of :func:`backtest`).

    The data and war selection are those of :func:`escalate.backtest`; ``options`` are
    those of :func:`calibrate_cases` (window, replicates, folds, resamples, ...).

    Returns
    -------
    Calibration
        The fit; :func:`toml_fragment` writes it as ``[dynamics]`` tables.
    """
    _, cases, _ = load_cases(
        wars,
        DataFiles.of(states, capabilities, majors, atop, cow),
        since=since,
        until=until,
        war_ids=war_ids,
        min_participants=min_participants,
    )
    if len(cases) < 2:
        raise ValueError(f"calibrate needs at least 2 wars to score, got {len(cases)}")
    return calibrate_cases(cases, **options)
