"""escalate: how alliance structures turn local incidents into world wars.

A numba-jitted Monte Carlo engine: a local incident propagates through alliance
obligations, organizations and war plans, millions of times; results go to
Parquet and alliance structures are compared statistically.

The public names below are imported on first use, so ``import escalate`` is
light (no numba, pandas or pyarrow until a function needs them).

Quick start
-----------
A bundled world loads by name from any directory (or give the path of a world file):

>>> import escalate
>>> world = escalate.load_world("teaching")
>>> world.name, len(world.nations)
('teaching', 7)
>>> df = escalate.simulate(world, replicates=10_000, seed=1)
>>> len(df), df["world_war"].dtype
(10000, dtype('bool'))
>>> bool(0 < df["world_war"].mean() < 1)
True

What the command line does, the library does: :func:`run` and :func:`sweep` write a
results directory, :func:`compare_results` compares its structures, :func:`plot` and
:func:`report` draw its figures and its HTML page, :func:`generate` and :func:`draw`
make and picture worlds.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

#: public name -> module that defines it (the one place to look it up)
_EXPORTS = {
    "World": "escalate.model.entities",
    "WorldError": "escalate.model.entities",
    "dump_world": "escalate.model.dump",
    "load_world": "escalate.model.load",
    "world_from_dict": "escalate.model.load",
    "generate": "escalate.model.generate",
    "import_world": "escalate.importers",
    "Interrupted": "escalate.runner",
    "RunSummary": "escalate.runner",
    "run": "escalate.runner",
    "simulate": "escalate.runner",
    "sweep": "escalate.runner.sweep",
    "ResultsError": "escalate.results.errors",
    "ResultsLocked": "escalate.results.lock",
    "read_results": "escalate.results.read",
    "RepairReport": "escalate.results.repair",
    "repair": "escalate.results.repair",
    "compare": "escalate.analysis.compare",
    "compare_results": "escalate.analysis.compare",
    "backtest": "escalate.backtest",
    "calibrate": "escalate.backtest",
    "trace": "escalate.runner.trace",
    "Story": "escalate.runner.trace",
    "draw": "escalate.viz.draw",
    "plot": "escalate.viz.workflows",
    "report": "escalate.viz.workflows",
}

__all__ = [
    "Interrupted",
    "RepairReport",
    "ResultsError",
    "ResultsLocked",
    "RunSummary",
    "Story",
    "World",
    "WorldError",
    "__version__",
    "backtest",
    "calibrate",
    "compare",
    "compare_results",
    "draw",
    "dump_world",
    "generate",
    "import_world",
    "load_world",
    "plot",
    "read_results",
    "repair",
    "report",
    "run",
    "simulate",
    "sweep",
    "trace",
    "world_from_dict",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .analysis.compare import compare, compare_results
    from .backtest import backtest, calibrate
    from .model.dump import dump_world
    from .model.entities import World, WorldError
    from .model.generate import generate
    from .model.load import load_world, world_from_dict
    from .results.errors import ResultsError
    from .results.lock import ResultsLocked
    from .results.read import read_results
    from .results.repair import RepairReport, repair
    from .runner import Interrupted, RunSummary, run, simulate
    from .runner.sweep import sweep
    from .runner.trace import Story, trace
    from .viz.draw import draw
    from .viz.workflows import plot, report


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'escalate' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
