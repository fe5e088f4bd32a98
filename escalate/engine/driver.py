"""Calling the kernel: one call at a time per process, on preallocated outputs."""

from __future__ import annotations

import threading

import numpy as np

from .compile import CompiledWorld
from .kernel import run_chunk

__all__ = ["run_kernel"]

#: A parallel numba kernel must not be entered from several Python threads at once
#: (the workqueue threading layer aborts): e.g. a Dask worker running tasks in
#: threads. Calls are serialised per process; each call uses every numba thread.
_KERNEL_LOCK = threading.Lock()


def run_kernel(
    cw: CompiledWorld,
    seed: int,
    start: int,
    count: int,
    participants: bool,
    out: dict[str, np.ndarray],
    parts: dict[str, np.ndarray],
) -> None:
    """Fill ``out`` (and ``parts``) with replicates ``start .. start + count - 1``.

    ``out`` holds one array of ``count`` entries per cascade column and ``parts``
    ``count`` x ``cw.n`` participant slots (or empty arrays without participants),
    in the order of :mod:`escalate.results.schema`.
    """
    if out["initiator"].size != count:
        raise ValueError(f"outputs hold {out['initiator'].size} replicates, not {count}")
    with _KERNEL_LOCK:
        run_chunk(
            np.uint64(seed),
            np.int64(start),
            np.int64(count),
            participants,
            *cw.kernel_args(),
            *out.values(),
            *parts.values(),
        )
