"""One war's world compiled once, run at any coefficients: the calibration's inner loop.

Compiling a world costs more than its cascades, and a calibration evaluates thousands
of coefficient vectors; :class:`CaseSimulator` compiles each war's world once and
replaces only the coefficient arrays (:func:`escalate.engine.coefficients.with_dynamics`),
then has the kernel count who joined which side as it runs
(:func:`escalate.engine.driver.side_counts`): no participant rows, no tables. The
counts equal those of :func:`~escalate.backtest.predict.predict`
on the same world and dynamics (a test checks it).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..engine.codes import SIDE_A, SIDE_D
from ..engine.coefficients import with_dynamics
from ..engine.compile import compile_world
from ..engine.driver import side_counts
from ..model.defaults import DEFAULT_DECIDE
from ..model.entities import Dynamics
from ..results.arrow import allocate_outputs
from .predict import Case

__all__ = ["CaseSimulator"]


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
        cw = with_dynamics(self.cw, d, self.world)
        if len(self._out.get("initiator", ())) != replicates:
            self._out = allocate_outputs(replicates, cw.n, False)[0]
        tally = side_counts(cw, seed, 0, replicates, self._out)
        n = len(self.case.ids)
        on_a = np.zeros(n)
        on_d = np.zeros(n)
        on_a[self.to_case] = tally[SIDE_A]
        on_d[self.to_case] = tally[SIDE_D]
        return (on_a, on_d) if self.case.init_side == 1 else (on_d, on_a)
