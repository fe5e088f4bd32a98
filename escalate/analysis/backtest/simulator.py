"""One war's world compiled once, run at any coefficients: the calibration's inner loop.

Compiling a world costs more than its cascades, and a calibration evaluates thousands
of coefficient vectors; :class:`CaseSimulator` compiles each war's world once and
replaces only the coefficient arrays (:func:`escalate.engine.coefficients.with_dynamics`),
then counts who joined which side from the kernel's participant arrays without building
tables. The counts equal those of :func:`~escalate.analysis.backtest.predict.predict`
on the same world and dynamics (a test checks it).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ...engine.codes import SIDE_A
from ...engine.coefficients import with_dynamics
from ...engine.compile import compile_world
from ...model.entities import Dynamics
from ...results.arrow import run_arrays
from .predict import Case

__all__ = ["CaseSimulator"]


class CaseSimulator:
    """The world of ``case`` under model 3 and ``entry``, compiled once."""

    def __init__(self, case: Case, entry: str) -> None:
        self.case = case
        dyn = dataclasses.replace(case.world.dynamics, model=3, entry=entry, deterrence=0.0)
        self.world = dataclasses.replace(case.world, dynamics=dyn)
        self.cw = compile_world(self.world)
        where = {nid: i for i, nid in enumerate(case.ids)}
        self.to_case = np.array([where[i] for i in self.cw.ids], dtype=np.int64)
        self._out: tuple[dict, dict] | None = None

    def counts(self, d: Dynamics, replicates: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """How often each of ``case.ids`` joined COW side 1 and side 2, in ``replicates``."""
        cw = with_dynamics(self.cw, d, self.world)
        if self._out is None or len(self._out[0]["initiator"]) != replicates:
            self._out = None
        out, parts = run_arrays(cw, seed, 0, replicates, True, outputs=self._out)
        self._out = (out, parts)
        k = out["belligerents"].astype(np.int64)
        mask = np.arange(cw.n)[None, :] < k[:, None]
        nation = self.to_case[parts["nation"][mask].astype(np.int64)]
        side_a = parts["side"][mask] == SIDE_A
        n = len(self.case.ids)
        on_a = np.bincount(nation[side_a], minlength=n).astype(float)
        on_d = np.bincount(nation[~side_a], minlength=n).astype(float)
        return (on_a, on_d) if self.case.init_side == 1 else (on_d, on_a)
