"""How long a run will take: the cascades per second of a world, measured in a moment.

Throughput differs a hundredfold between worlds (a 20-nation world runs millions
of cascades a second, a 190-nation world with organizations tens of thousands),
so no table can tell a user how long their run takes. :func:`measure_rate` runs
a few cascades of the world, timed, and :func:`estimate_seconds` turns the rates
of a sample of worlds into the duration of a run.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from ..model.entities import World

__all__ = ["LONG_RUN_S", "estimate_seconds", "format_duration", "measure_rate"]

#: A run expected to take longer than this (seconds) is announced before it starts.
LONG_RUN_S = 180.0


def _simulate(world: World, n: int, seed: int, participants: bool, threads: int | None) -> None:
    from . import jobs

    if participants:
        jobs.simulate(world, n, seed, participants=True, threads=threads)
    else:
        jobs.simulate(world, n, seed, threads=threads)


def measure_rate(
    world: World | str | Path,
    seed: int = 0,
    *,
    participants: bool = False,
    threads: int | None = None,
    budget_s: float = 0.3,
) -> float:
    """Cascades per second of ``world``, from timed batches of about ``budget_s`` seconds.

    The kernel must be compiled already (:func:`escalate.runner.warm_up`). The
    world is compiled once, then the rate is the slope between a batch of n
    cascades and one of 4n (the fixed cost of a call, which a run pays once, falls
    out), n growing until the difference takes a fair part of the budget.
    """
    from ..engine import compile as compiler
    from ..model.load import load_world

    w = world if isinstance(world, World) else load_world(world)
    compiler.compile_world(w)  # a first compilation fills caches; the batches below pay the rest

    def timed(n: int) -> float:
        t0 = time.perf_counter()
        _simulate(w, n, seed, participants, threads)
        return time.perf_counter() - t0

    n = 256
    while True:
        small, large = timed(n), timed(4 * n)
        extra = large - small
        if extra >= budget_s / 4 or n >= 1 << 18:
            return 3 * n / max(extra, 1e-9)
        n *= 4


def _slow_bound(world: World, seed: int, participants: bool, threads: int | None) -> float:
    """A rate no faster than the true one: one small call, its fixed costs included."""
    t0 = time.perf_counter()
    _simulate(world, 256, seed, participants, threads)
    return 256 / max(time.perf_counter() - t0, 1e-9)


def estimate_seconds(
    worlds: Sequence[World],
    replicates: int,
    seed: int = 0,
    *,
    participants: bool = False,
    threads: int | None = None,
    sample: int = 3,
    above: float | None = None,
) -> tuple[float, float]:
    """(seconds, cascades per second) of running every world ``replicates`` times.

    The rate is measured on at most ``sample`` of the worlds (the first, the last
    and one between: a sweep's variants run at similar rates) and its harmonic
    mean stands for every world. With ``above``, a run that cannot take longer
    than ``above`` seconds even at a pessimistic rate (one small call, fixed costs
    included) is not measured further: the answer is then that upper bound.
    """
    if not worlds:
        return 0.0, 0.0
    total = len(worlds) * replicates
    picks = sorted({0, len(worlds) // 2, len(worlds) - 1})[:sample]
    if above is not None:
        slow = [_slow_bound(worlds[i], seed, participants, threads) for i in picks]
        rate = min(slow)
        if total / rate <= above:
            return total / rate, rate
    rates = [measure_rate(worlds[i], seed, participants=participants, threads=threads)
             for i in picks]  # fmt: skip
    rate = len(rates) / sum(1 / r for r in rates)
    return total / rate, rate


def format_duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3.5 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
