"""Many fits of one history at once: in this process, or in worker processes.

A calibration runs independent fits of the same wars (one per rule pair, per fold, per
era, per bootstrap resample). An evaluation is half kernel and half Python (each
war's coefficient arrays, the kernel's typed lists, smoothing), and while Python runs
the kernel's other threads idle. :class:`FitPool` with ``jobs > 1`` runs the fits in
that many worker processes (started with ``spawn``), each with its own simulators
and ``threads`` numba threads (default: the cores shared out), so one worker's Python
overlaps another's kernel. A fit depends only on the likelihood's values, which do not
depend on threads or process (keyed draws, counts summed exactly), so the fits are
the same bits as in one process; the order of the results is the order of the tasks.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import numpy as np

from .fit import Fit, Objective, fit
from .predict import Case

__all__ = ["FitPool", "default_jobs"]

#: A fit to run: the rule pair (entry, decide) and the weight of each war.
Task = tuple[tuple[str, str], np.ndarray]

_WORKER: dict[str, Any] = {}


def default_jobs() -> int:
    """One worker per core (``os.cpu_count()``; 1 if unknown)."""
    return os.cpu_count() or 1


class FitPool:
    """Fits of ``cases`` under any rule pair, each from the fixed start.

    ``jobs``: 1 runs them here, one after another; more runs them in worker processes
    with ``threads`` numba threads each. Use as a context manager, so the workers end.
    """

    def __init__(
        self,
        cases: list[Case],
        window: int,
        replicates: int,
        seed: int,
        *,
        jobs: int = 1,
        threads: int | None = None,
    ) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be >= 1, got {jobs}")
        self.settings = (cases, window, replicates, seed)
        self.objectives: dict[tuple[str, str], Objective] = {}
        self.jobs = jobs
        self._executor: ProcessPoolExecutor | None = None
        if jobs > 1:
            per = threads or max(1, default_jobs() // jobs)
            self._executor = ProcessPoolExecutor(
                jobs,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(*self.settings, per, os.getpid()),
            )

    def objective(self, rule: tuple[str, str]) -> Objective:
        """The likelihood under ``rule`` in the calling process (made once)."""
        return _objective(self.objectives, self.settings, rule)

    def fits(
        self,
        tasks: Sequence[Task],
        *,
        max_evaluations: int,
        free: np.ndarray | None = None,
        done: Callable[[int, Fit], None] | None = None,
    ) -> list[Fit]:
        """The fit of each task, in order; ``done(i, fit)`` as each one ends.

        A single task runs in this process, on all its threads: a worker has only its
        share of the cores.
        """
        say = done or (lambda _i, _f: None)
        if self._executor is None or len(tasks) < 2:
            out = []
            for i, (rule, weights) in enumerate(tasks):
                out.append(fit(self.objective(rule), weights, max_evaluations=max_evaluations,
                               free=free))  # fmt: skip
                say(i, out[-1])
            return out
        futures: list[Future[Fit]] = []
        for i, (rule, weights) in enumerate(tasks):
            f = self._executor.submit(_fit_in_worker, rule, weights, max_evaluations, free)
            f.add_done_callback(functools.partial(_report, say, i))
            futures.append(f)
        return [f.result() for f in futures]

    def close(self, wait: bool = True) -> None:
        """End the workers (``wait``: let the running fits end first)."""
        if self._executor is not None:
            self._executor.shutdown(wait=wait, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> FitPool:
        """The pool itself."""
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        """End the workers; after an error (Ctrl-C), without waiting for their fits."""
        self.close(wait=kind is None)


def _report(say: Callable[[int, Fit], None], i: int, f: Future[Fit]) -> None:
    if f.exception() is None:
        say(i, f.result())


def _objective(
    objectives: dict[tuple[str, str], Objective], settings: tuple, rule: tuple[str, str]
) -> Objective:
    if rule not in objectives:
        cases, window, replicates, seed = settings
        objectives[rule] = Objective(cases, rule[0], window, replicates, seed, decide=rule[1])
    return objectives[rule]


def _start_worker(
    cases: list[Case], window: int, replicates: int, seed: int, threads: int, parent: int
) -> None:
    import numba

    # the parent's pid as the parent saw it: a parent killed while this worker was still
    # starting has left it to init already, which os.getppid() here would take for it
    threading.Thread(target=_end_with, args=(parent,), daemon=True).start()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    _WORKER.update(settings=(cases, window, replicates, seed), objectives={})


def _end_with(parent: int) -> None:
    """End this worker once its parent is gone (killed: no shutdown reaches the workers).

    At once if it is gone already.
    """
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _fit_in_worker(
    rule: tuple[str, str], weights: np.ndarray, max_evaluations: int, free: np.ndarray | None
) -> Fit:
    obj = _objective(_WORKER["objectives"], _WORKER["settings"], rule)
    return fit(obj, weights, max_evaluations=max_evaluations, free=free)
