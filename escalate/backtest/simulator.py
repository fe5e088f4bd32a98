"""One war's world compiled once, run at any coefficients: the calibration's inner loop.

Compiling a world costs more than its cascades, and a calibration evaluates thousands
of coefficient vectors; :class:`CaseSimulator` compiles each war's world once and
replaces only the coefficient arrays (:func:`escalate.engine.coefficients.with_dynamics`),
then has the kernel count who joined which side as it runs: no participant rows, no
tables. :func:`counts_of` runs the worlds of many wars in one parallel kernel call
(:func:`escalate.engine.driver.side_counts_worlds`), as an evaluation of the
likelihood needs. The counts equal those of :func:`~escalate.backtest.predict.predict`
on the same world and dynamics (a test checks it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..engine.codes import SIDE_A, SIDE_D
from ..engine.coefficients import with_dynamics
from ..engine.compile import compile_world
from ..engine.driver import side_counts_worlds
from ..model.defaults import DEFAULT_DECIDE
from ..model.entities import Dynamics
from ..results.arrow import allocate_outputs
from .predict import Case

__all__ = ["CaseSimulator", "counts_of"]


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

    def _sides(self, tally: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A kernel tally (``[side code, nation]``) as counts on COW side 1 and side 2."""
        n = len(self.case.ids)
        on_a = np.zeros(n)
        on_d = np.zeros(n)
        on_a[self.to_case] = tally[SIDE_A]
        on_d[self.to_case] = tally[SIDE_D]
        return (on_a, on_d) if self.case.init_side == 1 else (on_d, on_a)


def counts_of(
    sims: Sequence[CaseSimulator], dynamics: Sequence[Dynamics], replicates: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:meth:`CaseSimulator.counts` of several wars, war ``i`` under ``dynamics[i]``.

    In one kernel call (:func:`escalate.engine.driver.side_counts_worlds`): the same
    counts as a call per war.
    """
    cws = [with_dynamics(s.cw, d, s.world) for s, d in zip(sims, dynamics, strict=True)]
    outs = [s._outputs(replicates) for s in sims]
    tallies = side_counts_worlds(cws, seed, replicates, outs)
    return [s._sides(t) for s, t in zip(sims, tallies, strict=True)]
