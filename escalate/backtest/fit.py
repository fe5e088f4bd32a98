"""Maximum simulated likelihood of version 3's coefficients over the COW wars.

The objective is the mean negative log-likelihood, per third party, of each third
party's three outcomes at the window (stayed out, joined COW side 1, joined side 2),
over the wars given weight. P(outcome) is simulated: ``replicates`` cascades of the
war's world (:class:`~escalate.backtest.simulator.CaseSimulator`), with one
seed for every evaluation (common random numbers: the keyed draws make two
coefficient vectors run the same cascades, so the objective changes only where a
decision flips). The counts are expected counts
(:func:`escalate.engine.driver.expected_counts_worlds`): where a state's unaligned
decision is taken and no pledge can hold it back, its chances of joining each side
count instead of the draw, so the objective moves smoothly with the unaligned
coefficients. Monte Carlo zeros are smoothed: with counts c1, c2 and c0 = R - c1 - c2,
P(k) = (c_k + 1/2) / (R + 3/2) (Jeffreys' add-one-half), so an outcome never simulated
costs log(2R + 3) nats, not infinity. A state that owes nothing to anyone can only enter
unaligned, so its P(outcome) is not simulated but exact (the logistics of its entry and
side, :func:`escalate.engine.exact.unaligned_alone`), with no Monte Carlo floor.

The fit maximises the likelihood times a normal prior of every coefficient, centred on
its start with standard deviation :data:`~escalate.backtest.params.PRIOR_SCALE`
(a maximum a posteriori fit; the penalty, ``sum((theta - start)^2) / (2 scale^2)``, is
divided by the number of third parties like the log-likelihood). The search is
scipy's bounded Powell method (derivative-free: the simulated objective is a step
function of the honour coefficients, and of the unaligned ones for the states a pledge
can hold back) from the fixed start
:data:`~escalate.backtest.params.START`, never from an earlier fit, with at
most ``max_evaluations`` evaluations; the fit is the best point evaluated (the start
included: bounded Powell's line search can end at a point worse than where it began).
:attr:`Fit.loss` is the likelihood part alone.
An evaluation simulates the worlds of all its wars in one parallel kernel call
(:class:`~escalate.backtest.simulator.CasesBatch`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize

from ..model.defaults import DEFAULT_DECIDE
from .params import BOUNDS, PRIOR_SCALE, START, dynamics_of
from .predict import Case
from .simulator import CasesBatch, CaseSimulator

__all__ = ["MAX_EVALUATIONS", "Fit", "Objective", "fit"]

#: Jeffreys' smoothing of the simulated outcome counts.
ALPHA = 0.5
#: Powell's tolerances: a line search ends within ``XTOL`` of its minimum (a coefficient's
#: interval is about 1 wide), the search when a pass gains less than ``FTOL`` relatively.
XTOL = 0.05
FTOL = 1e-4
#: The default budget of a fit: above the 1,006 evaluations after which the fit on all
#: COW wars ends by its tolerances (docs/backtest.md), so a fit ends by them, not by it.
MAX_EVALUATIONS = 1500


class Objective:
    """Per-war negative log-likelihood sums as a function of the coefficients."""

    def __init__(
        self,
        cases: list[Case],
        entry: str,
        window: int,
        replicates: int,
        seed: int,
        decide: str = DEFAULT_DECIDE,
    ):
        self.cases, self.entry, self.decide = cases, entry, decide
        self.replicates, self.seed = replicates, seed
        self.outcomes = [c.outcome(window)[c.third] for c in cases]
        self.n = np.array([len(o) for o in self.outcomes], float)
        self._sims: dict[int, CaseSimulator] = {}
        self._batches: dict[tuple[tuple[int, ...], int], CasesBatch] = {}
        self.evaluations = 0
        self.seconds = 0.0

    def probabilities_of(
        self,
        wars: Sequence[int],
        theta: np.ndarray,
        replicates: int | None = None,
        seed: int | None = None,
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """P(side 1), P(side 2) of every state of each of ``wars`` at ``theta``.

        Smoothed counts, exact where the engine knows them
        (:func:`~escalate.backtest.simulator.probabilities_of`, by a
        :class:`~escalate.backtest.simulator.CasesBatch`); the worlds of all of
        ``wars`` are simulated in one kernel call.
        """
        if not wars:
            return []
        r = self.replicates if replicates is None else replicates
        key = (tuple(wars), r)
        if wars[0] not in self._sims:
            self._sims[wars[0]] = CaseSimulator(self.cases[wars[0]], self.entry, self.decide)
        # every war's coefficients are theta's (dynamics_of fixes no reliability)
        d = dynamics_of(self._sims[wars[0]].world.dynamics, theta, self.entry, self.decide)
        if key not in self._batches:
            for i in wars:
                if i not in self._sims:
                    self._sims[i] = CaseSimulator(self.cases[i], self.entry, self.decide)
            if len(self._batches) >= 2:  # a fit runs one set of wars: keep the last two
                del self._batches[next(iter(self._batches))]
            self._batches[key] = CasesBatch([self._sims[i] for i in wars], d, r)
        return self._batches[key].probabilities(d, self.seed if seed is None else seed, ALPHA)

    def losses(self, wars: Sequence[int], theta: np.ndarray,
               replicates: int | None = None) -> np.ndarray:  # fmt: skip
        """``-sum log P(outcome)`` over the third parties of each of ``wars``, at ``theta``."""
        out = np.zeros(len(wars))
        for x, (i, (p1, p2)) in enumerate(
            zip(wars, self.probabilities_of(wars, theta, replicates), strict=True)
        ):
            third = self.cases[i].third
            p1, p2 = p1[third], p2[third]
            side = self.outcomes[i]
            p = np.where(side == 1, p1, np.where(side == 2, p2, 1.0 - p1 - p2))
            if not np.all(p > 0.0):  # smoothing keeps every outcome possible
                raise FloatingPointError(f"war {self.cases[i].war.num}: P(outcome) {p.min()}")
            out[x] = -np.log(p).sum()
        return out

    def per_war(self, theta: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``-sum log P(outcome)`` over each war's third parties (0 where weight is 0)."""
        t = time.perf_counter()
        out = np.zeros(len(self.cases))
        wars = [int(i) for i in np.flatnonzero(weights)]
        out[wars] = self.losses(wars, theta)
        self.evaluations += 1
        self.seconds += time.perf_counter() - t
        return out

    def mean(self, theta: np.ndarray, weights: np.ndarray) -> float:
        """Mean negative log-likelihood per third party, war ``i`` counted ``weights[i]`` times."""
        return float((self.per_war(theta, weights) * weights).sum() / (self.n * weights).sum())

    def penalty(self, theta: np.ndarray, weights: np.ndarray) -> float:
        """The prior's negative log density (up to a constant) per third party."""
        d = (np.asarray(theta, float) - START) / PRIOR_SCALE
        return float(0.5 * (d * d).sum() / (self.n * weights).sum())


@dataclass
class Fit:
    """One fit: the coefficients, the objective there and at the start, the cost."""

    theta: np.ndarray
    loss: float
    loss_start: float
    evaluations: int
    seconds: float
    entry: str
    decide: str = DEFAULT_DECIDE
    extra: dict[str, Any] = field(default_factory=dict)


def fit(
    obj: Objective,
    weights: np.ndarray,
    *,
    max_evaluations: int = MAX_EVALUATIONS,
    free: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> Fit:
    """Fit the coefficients to the wars of positive ``weights``, from :data:`START`.

    ``free`` (a boolean mask over :data:`~escalate.backtest.params.PARAMS`)
    fits only those coefficients, the others staying at the start; ``start``
    replaces :data:`START` (for tests of the fit itself, never for a refit).
    """
    t = time.perf_counter()
    n0 = obj.evaluations
    start = START if start is None else np.asarray(start, float)
    free = np.ones(len(start), bool) if free is None else np.asarray(free, bool)
    if not (obj.n * weights).sum() > 0:  # no third party to learn from: the start
        return Fit(start.copy(), math.nan, math.nan, 0, 0.0, obj.entry, obj.decide)

    def full(x: np.ndarray) -> np.ndarray:
        theta = start.copy()
        theta[free] = x
        return theta

    loss_start = obj.mean(start, weights)
    # the best point evaluated: bounded Powell's line search can end worse than it began
    best: dict[str, Any] = {
        "value": loss_start + obj.penalty(start, weights), "theta": start.copy(), "loss": loss_start
    }  # fmt: skip

    def objective(x: np.ndarray) -> float:
        theta = full(x)
        loss = obj.mean(theta, weights)
        value = loss + obj.penalty(theta, weights)
        if value < best["value"]:
            best.update(value=value, theta=theta, loss=loss)
        return value

    minimize(
        objective,
        start[free],
        method="Powell",
        bounds=[b for b, f in zip(BOUNDS, free, strict=True) if f],
        options={"maxfev": max_evaluations, "xtol": XTOL, "ftol": FTOL},
    )
    seconds = time.perf_counter() - t
    evaluations = obj.evaluations - n0
    return Fit(best["theta"], best["loss"], loss_start, evaluations, seconds, obj.entry, obj.decide)
