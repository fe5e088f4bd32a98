"""Per-kind alliance reliabilities fitted to the COW wars by minimum log loss.

The objective is the three-outcome log loss (joined side 1, joined side 2, stayed
out) over the third parties of every war, at one window. Every evaluation runs the
same seed: the keyed draws (docs/model.md) make the cascades of two parameter
values common random numbers, so the objective changes only where a draw crosses a
reliability. The search is a coordinate search on a grid that is refined (steps 0.2,
0.1, 0.05 by default) from the documented defaults; each war is simulated only when
a reliability of a kind its world holds has changed (a cache by war and those
values), which makes bootstrap refits and cross-validation folds cheap.

Organizations' response probabilities are not fitted: worlds imported from the data
alone have no organizations (membership and the response ladder are an overlay's),
so the data cannot identify them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..._version import __version__
from ...model.defaults import DEFAULT_DYNAMICS
from .predict import Case, DataFiles, Reliable, load_cases
from .scores import EPS, side_log_losses

__all__ = [
    "KINDS",
    "LITERATURE",
    "Calibration",
    "Objective",
    "calibrate",
    "calibrate_cases",
    "toml_fragment",
]

KINDS = ("defense", "offense", "entente", "neutrality")

#: Published reliabilities beside which the fit is reported.
LITERATURE = {
    "defense": "0.41 (Berkemeier & Fuhrmann 2018); 0.745 all kinds (Leeds, Long & Mitchell 2000)",
    "offense": "0.74 (Berkemeier & Fuhrmann 2018); 0.745 all kinds (Leeds, Long & Mitchell 2000)",
    "entente": "none published (ententes carry no military promise)",
    "neutrality": "0.78 (Berkemeier & Fuhrmann 2018)",
}


class Objective:
    """Log loss sums per war as a function of the four reliabilities (cached)."""

    def __init__(self, cases: list[Case], window: int, replicates: int, seed: int) -> None:
        self.cases = cases
        self.replicates, self.seed = replicates, seed
        self.outcomes = [c.outcome(window)[c.third] for c in cases]
        self.n = np.array([len(o) for o in self.outcomes], float)
        self.kinds = [sorted({a.kind for a in c.world.alliances}) for c in cases]
        self._cache: dict[tuple[Any, ...], float] = {}
        self._compiled: dict[int, Reliable] = {}
        self.simulations = 0
        self.seconds = 0.0

    def per_war(self, params: dict[str, float]) -> np.ndarray:
        """The sum over each war's third parties of ``-log P(outcome)``."""
        out = np.empty(len(self.cases))
        for i in range(len(self.cases)):
            key = (i, *(round(params[k], 6) for k in self.kinds[i]))
            if key not in self._cache:
                self._cache[key] = self._loss(i, params)
            out[i] = self._cache[key]
        return out

    def _loss(self, i: int, params: dict[str, float]) -> float:
        case, side = self.cases[i], self.outcomes[i]
        if not self.kinds[i]:  # no alliance: nobody else ever joins
            p1 = p2 = np.zeros(len(side))
        else:
            t = time.perf_counter()
            if i not in self._compiled:
                self._compiled[i] = Reliable(case)
            _, p1, p2 = self._compiled[i].probabilities(params, self.replicates, self.seed)
            p1, p2 = p1[case.third], p2[case.third]
            self.simulations += 1
            self.seconds += time.perf_counter() - t
        return float(side_log_losses(p1, p2, side).sum())

    def mean(self, params: dict[str, float], weights: np.ndarray) -> float:
        """Mean log loss per third party over the wars, war ``i`` counted ``weights[i]`` times."""
        return float((self.per_war(params) * weights).sum() / (self.n * weights).sum())


def _fit(
    obj: Objective, weights: np.ndarray, start: dict[str, float], steps: tuple[float, ...]
) -> dict[str, float]:
    """Coordinate search from ``start``: each kind in turn moves by a step while it helps."""
    best = dict(start)
    best_value = obj.mean(best, weights)
    for step in steps:
        improved = True
        while improved:
            improved = False
            for k in KINDS:
                for direction in (1, -1):
                    while True:
                        value = round(min(1.0, max(0.0, best[k] + direction * step)), 6)
                        if value == best[k]:
                            break
                        trial = {**best, k: value}
                        v = obj.mean(trial, weights)
                        if v < best_value - 1e-12:
                            best, best_value, improved = trial, v, True
                        else:
                            break
    return best


@dataclass
class Calibration:
    """Fitted reliabilities, their bootstrap intervals and the cross-validated skill."""

    fitted: dict[str, float]
    defaults: dict[str, float]
    #: kind -> (low, high), percentile interval of the bootstrap refits
    intervals: dict[str, tuple[float, float]]
    refits: list[dict[str, float]]
    #: in-sample mean log loss (three outcomes) at the defaults and at the fit
    loss_default: float
    loss_fitted: float
    loss_nobody: float
    #: k-fold cross-validation: held-out log loss of the fold's fit, the defaults, nobody
    cv: dict[str, float]
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON)."""
        return {
            "fitted": self.fitted,
            "defaults": self.defaults,
            "intervals": {k: list(v) for k, v in self.intervals.items()},
            "literature": LITERATURE,
            "refits": self.refits,
            "loss_default": self.loss_default,
            "loss_fitted": self.loss_fitted,
            "loss_nobody": self.loss_nobody,
            "cross_validation": self.cv,
            "settings": self.settings,
        }


def calibrate_cases(
    cases: list[Case],
    *,
    window: int = 180,
    replicates: int = 1000,
    seed: int = 1,
    resamples: int = 20,
    folds: int = 5,
    steps: tuple[float, ...] = (0.2, 0.1, 0.05),
) -> Calibration:
    """Fit the four per-kind reliabilities to ``cases`` (see the module's text).

    ``resamples`` bootstrap refits (wars drawn with replacement, seeded by ``seed``)
    give the intervals; ``folds``-fold cross-validation over wars (a seeded shuffle)
    gives the out-of-sample log loss of the fitted values against the defaults and
    against "nobody else joins".
    """
    obj = Objective(cases, window, replicates, seed)
    defaults = {k: float(DEFAULT_DYNAMICS["reliability"][k]) for k in KINDS}
    ones = np.ones(len(cases))
    fitted = _fit(obj, ones, defaults, steps)
    rng = np.random.default_rng(seed)
    refits = []
    for _ in range(resamples):
        w = np.bincount(rng.integers(0, len(cases), len(cases)), minlength=len(cases))
        refits.append(_fit(obj, w.astype(float), fitted, steps[-1:]))
    intervals = {
        k: (
            (
                float(np.quantile([r[k] for r in refits], 0.025)),
                float(np.quantile([r[k] for r in refits], 0.975)),
            )
            if refits
            else (float("nan"), float("nan"))
        )
        for k in KINDS
    }
    order = rng.permutation(len(cases))
    held = {"fitted": 0.0, "default": 0.0, "nobody": 0.0}
    nobody = np.array(  # "nobody else joins": P(out) = 1 for every third party
        [float(side_log_losses(np.zeros(len(o)), np.zeros(len(o)), o).sum()) for o in obj.outcomes]
    )
    k = max(2, min(folds, len(cases)))
    for f in range(k):
        test = np.zeros(len(cases), bool)
        test[order[f::k]] = True
        fold_fit = _fit(obj, (~test).astype(float), fitted, steps[-1:])
        held["fitted"] += float(obj.per_war(fold_fit)[test].sum())
        held["default"] += float(obj.per_war(defaults)[test].sum())
        held["nobody"] += float(nobody[test].sum())
    total = obj.n.sum()
    cv = {f"loss_{k2}": v / total for k2, v in held.items()}
    cv["folds"] = k
    cv["skill_vs_default"] = 1 - held["fitted"] / held["default"] if held["default"] else np.nan
    cv["skill_vs_nobody"] = 1 - held["fitted"] / held["nobody"] if held["nobody"] else np.nan
    return Calibration(
        fitted=fitted,
        defaults=defaults,
        intervals=intervals,
        refits=refits,
        loss_default=obj.mean(defaults, ones),
        loss_fitted=obj.mean(fitted, ones),
        loss_nobody=float(nobody.sum() / total),
        cv=cv,
        settings={
            "escalate": __version__,
            "wars": [c.war.num for c in cases],
            "window": window,
            "replicates": replicates,
            "seed": seed,
            "resamples": resamples,
            "steps": list(steps),
            "objective": "three-outcome log loss over third parties, eps "
            f"{EPS}, common random numbers (one seed)",
            "simulations": obj.simulations,
            "simulate_s": obj.seconds,
        },
    )


def toml_fragment(cal: Calibration) -> str:
    """The fitted reliabilities as ``[dynamics.reliability]``, with their provenance."""
    s = cal.settings
    lines = [
        f"# Fitted by escalate calibrate (escalate {s.get('escalate', __version__)}) on "
        f"{len(s.get('wars', []))} COW inter-state wars,",
        f"# window {s.get('window')} days, {s.get('replicates')} cascades per war, seed "
        f"{s.get('seed')}: minimum three-outcome log loss over third parties",
        f"# (in sample {cal.loss_fitted:.4f} against {cal.loss_default:.4f} at the defaults; "
        f"{cal.cv.get('folds')}-fold held out",
        f"# {cal.cv.get('loss_fitted', float('nan')):.4f} against "
        f"{cal.cv.get('loss_default', float('nan')):.4f}). Intervals: 95% percentile of "
        f"{len(cal.refits)} bootstrap refits over wars.",
        "# Worlds imported from the data alone: no organizations, plans or overlay.",
        "[dynamics.reliability]",
    ]
    for k in KINDS:
        lo, hi = cal.intervals[k]
        lines.append(
            f"{k} = {cal.fitted[k]:g}  # [{lo:g}, {hi:g}]; default {cal.defaults[k]:g}; "
            f"literature: {LITERATURE[k]}"
        )
    return "\n".join(lines) + "\n"


def calibrate(
    wars: str | Path,
    *,
    states: str | Path,
    capabilities: str | Path,
    majors: str | Path | None = None,
    atop: str | Path | None = None,
    cow: str | Path | None = None,
    replicates: int = 1000,
    seed: int = 1,
    since: int | None = None,
    until: int | None = None,
    war_ids: list[int] | None = None,
    min_participants: int = 2,
    window: int = 180,
    resamples: int = 20,
    folds: int = 5,
) -> Calibration:
    """Fit the per-kind reliabilities to the COW wars (the worlds of :func:`backtest`).

    Parameters are those of :func:`escalate.backtest`, plus ``resamples`` bootstrap
    refits over wars for the intervals and ``folds`` for the cross-validated skill.

    Returns
    -------
    Calibration
        The fit; :func:`toml_fragment` writes it as ``[dynamics.reliability]``.
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
    return calibrate_cases(
        cases, window=window, replicates=replicates, seed=seed, resamples=resamples, folds=folds
    )
