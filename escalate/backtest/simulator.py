"""One war's world compiled once, run at any coefficients: the calibration's inner loop.

Compiling a world costs more than its cascades, and a calibration evaluates thousands
of coefficient vectors; :class:`CaseSimulator` compiles each war's world once and
replaces only the coefficient arrays (:func:`escalate.engine.coefficients.with_dynamics`),
then has the kernel count who joined which side as it runs: no participant rows, no
tables. :func:`counts_of` runs the worlds of many wars in one parallel kernel call
(:func:`escalate.engine.driver.side_counts_worlds`), as an evaluation of the
likelihood needs. The counts equal those of :func:`~escalate.backtest.predict.predict`
on the same world and dynamics (a test checks it). :func:`probabilities_of` turns
expected counts (:func:`escalate.engine.driver.expected_counts_worlds`: a state's
unaligned entry counted as its chances, where nothing can hold it back) into
probabilities: smoothed, and exact for the states that only unaligned entry can take
to war (:func:`escalate.engine.exact.unaligned_alone`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..engine.codes import SIDE_A, SIDE_D
from ..engine.coefficients import CoefficientBatch, with_dynamics
from ..engine.compile import CompiledWorld, compile_world
from ..engine.driver import KernelWorlds, expected_counts_worlds, side_counts_worlds
from ..engine.exact import unaligned_alone
from ..model.defaults import DEFAULT_DECIDE
from ..model.entities import Dynamics
from ..results.arrow import allocate_outputs
from .predict import Case

__all__ = [
    "EXACT_FLOOR", "CaseSimulator", "CasesBatch", "counts_of", "probabilities_of", "smoothed",
]  # fmt: skip

#: The least exact probability of an outcome: a joiner given 0 (unaligned entry
#: disabled) costs -log(1e-12) = 27.6 nats, not infinity.
EXACT_FLOOR = 1e-12


class CaseSimulator:
    """The world of ``case`` under model 3, ``entry`` and ``decide``, compiled once."""

    def __init__(self, case: Case, entry: str, decide: str = DEFAULT_DECIDE) -> None:
        self.case = case
        dyn = dataclasses.replace(
            case.world.dynamics, model=3, entry=entry, decide=decide, deterrence=0.0
        )
        self.world = dataclasses.replace(case.world, dynamics=dyn)
        self.cw = compile_world(self.world)
        where = {nid: i for i, nid in enumerate(case.ids)}
        self.to_case = np.array([where[i] for i in self.cw.ids], dtype=np.int64)
        self._out: dict[str, np.ndarray] = {}

    def counts(self, d: Dynamics, replicates: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """How often each of ``case.ids`` joined COW side 1 and side 2, in ``replicates``."""
        return counts_of([self], [d], replicates, seed)[0]

    def _outputs(self, replicates: int) -> dict[str, np.ndarray]:
        """Cascade columns for ``replicates`` rows, kept between calls."""
        if len(self._out.get("initiator", ())) != replicates:
            self._out = allocate_outputs(replicates, self.cw.n, False)[0]
        return self._out

    def _sides(self, tally: np.ndarray, fill: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """A kernel tally (``[side code, nation]``) on COW side 1 and side 2 (``fill``: none)."""
        n = len(self.case.ids)
        on_a = np.full(n, fill)
        on_d = np.full(n, fill)
        on_a[self.to_case] = tally[SIDE_A]
        on_d[self.to_case] = tally[SIDE_D]
        return (on_a, on_d) if self.case.init_side == 1 else (on_d, on_a)

    def _exact(self, cw: CompiledWorld) -> tuple[np.ndarray, np.ndarray]:
        """:func:`~escalate.engine.exact.unaligned_alone` on COW side 1 and side 2 (NaN: none)."""
        t = np.full((3, cw.n), np.nan)
        t[SIDE_A], t[SIDE_D] = unaligned_alone(cw)
        return self._sides(t, np.nan)


def counts_of(
    sims: Sequence[CaseSimulator], dynamics: Sequence[Dynamics], replicates: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:meth:`CaseSimulator.counts` of several wars, war ``i`` under ``dynamics[i]``.

    In one kernel call (:func:`escalate.engine.driver.side_counts_worlds`): the same
    counts as a call per war.
    """
    cws = [with_dynamics(s.cw, d, s.world) for s, d in zip(sims, dynamics, strict=True)]
    return _counts(sims, cws, replicates, seed)


def _counts(sims: Sequence[CaseSimulator], cws: list[CompiledWorld], replicates: int, seed: int):
    outs = [s._outputs(replicates) for s in sims]
    tallies = side_counts_worlds(cws, seed, replicates, outs)
    return [s._sides(t) for s, t in zip(sims, tallies, strict=True)]


def probabilities_of(
    sims: Sequence[CaseSimulator],
    dynamics: Sequence[Dynamics],
    replicates: int,
    seed: int,
    alpha: float,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """P(COW side 1), P(side 2) of every state of each war, war ``i`` under ``dynamics[i]``.

    Simulated and smoothed (:func:`smoothed`): expected counts of ``replicates``
    (:func:`escalate.engine.driver.expected_counts_worlds`, which count a state's
    unaligned entry as its chances where no pledge can hold it back, so that they move
    smoothly with the unaligned coefficients). Exact for the states that only unaligned
    entry can take to war (:func:`~escalate.engine.exact.unaligned_alone`), each floored
    at :data:`EXACT_FLOOR`, as is their chance of staying out.
    """
    cws = [with_dynamics(s.cw, d, s.world) for s, d in zip(sims, dynamics, strict=True)]
    outs = [s._outputs(replicates) for s in sims]
    expected = expected_counts_worlds(cws, seed, replicates, outs)
    return _probabilities(sims, cws, expected, replicates, alpha)


class CasesBatch:
    """The worlds of several wars under one dynamics at a time: :func:`probabilities_of`, cheaper.

    A fit evaluates its wars at thousands of coefficient vectors, each the same for
    every war. The batch sets the coefficient arrays of all the worlds in place
    (:class:`~escalate.engine.coefficients.CoefficientBatch`) and runs kernel lists
    built once (:class:`~escalate.engine.driver.KernelWorlds`): the same
    probabilities as :func:`probabilities_of` with ``d`` for every war (a test checks
    the bits), without rebuilding every world's arrays at each evaluation.

    Parameters
    ----------
    sims
        The wars.
    d
        A first dynamics (the model and entry rule of every later one).
    replicates
        Cascades per war and evaluation.
    """

    def __init__(self, sims: Sequence[CaseSimulator], d: Dynamics, replicates: int) -> None:
        self.sims, self.replicates = list(sims), replicates
        self._coef = CoefficientBatch([s.cw for s in sims], [s.world for s in sims], d)
        cws = self._coef.compiled
        outs = [allocate_outputs(replicates, cw.n, False)[0] for cw in cws]
        self._kernel = KernelWorlds(cws, replicates, outs)

    def probabilities(
        self, d: Dynamics, seed: int, alpha: float
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """:func:`probabilities_of` of every war, each under ``d``."""
        self._coef.set(d)
        expected = self._kernel.expected_counts(seed)
        return _probabilities(self.sims, self._coef.compiled, expected, self.replicates, alpha)


def _probabilities(
    sims: Sequence[CaseSimulator],
    cws: Sequence[CompiledWorld],
    expected: Sequence[np.ndarray],
    replicates: int,
    alpha: float,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Smoothed expected counts, exact where :func:`unaligned_alone` knows them, per war."""
    out = []
    for s, cw, tally in zip(sims, cws, expected, strict=True):
        p1, p2 = smoothed(*s._sides(tally), replicates, alpha)
        e1, e2 = s._exact(cw)
        known = ~np.isnan(e1)
        e1, e2 = np.maximum(e1[known], EXACT_FLOOR), np.maximum(e2[known], EXACT_FLOOR)
        fit_in = np.minimum(1.0, (1.0 - EXACT_FLOOR) / (e1 + e2))  # staying out >= the floor
        p1[known], p2[known] = e1 * fit_in, e2 * fit_in
        out.append((p1, p2))
    return out


def smoothed(
    c1: np.ndarray, c2: np.ndarray, replicates: int, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """P(side 1), P(side 2) from (expected) counts c1, c2 of ``replicates`` cascades.

    P(k) = (c_k + alpha) / (replicates + 3 alpha), staying out likewise from
    ``replicates - c1 - c2``. Expected counts can add up to more than ``replicates``
    (a state's chances count in every cascade where its unaligned decision is taken,
    and where it did not join it may still be pulled in later), though their
    expectation cannot: such a pair is first scaled down to ``replicates``, so that
    staying out keeps at least ``alpha / (replicates + 3 alpha)``.
    """
    total = c1 + c2
    scale = np.where(total > replicates, replicates / np.where(total > 0, total, 1.0), 1.0)
    p1 = (c1 * scale + alpha) / (replicates + 3 * alpha)
    p2 = (c2 * scale + alpha) / (replicates + 3 * alpha)
    return p1, p2
