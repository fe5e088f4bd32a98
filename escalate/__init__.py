"""escalate: how alliance structures turn local incidents into world wars.

A numba-jitted Monte Carlo engine: a local incident propagates through alliance
obligations, organizations and war plans, millions of times; results go to
Parquet and alliance structures are compared statistically.

Quick start
-----------
>>> import escalate
>>> world = escalate.load_world("configs/europe_1914.toml")          # doctest: +SKIP
>>> df = escalate.simulate(world, replicates=100_000, seed=1)         # doctest: +SKIP
>>> df["world_war"].mean()                                            # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import ResultsError
from .io import read_results
from .lock import ResultsLocked
from .repair import RepairReport, repair
from .runner import Interrupted, RunSummary, run, simulate
from .world import World, WorldError, dump_world, load_world, world_from_dict

__all__ = [
    "Interrupted",
    "RepairReport",
    "ResultsError",
    "ResultsLocked",
    "RunSummary",
    "World",
    "WorldError",
    "__version__",
    "compare",
    "dump_world",
    "load_world",
    "read_results",
    "repair",
    "run",
    "simulate",
    "world_from_dict",
]


def compare(*args, **kwargs):
    """Compare structures with intervals and paired tests; see :func:`escalate.stats.compare`."""
    from .stats import compare as _compare

    return _compare(*args, **kwargs)
