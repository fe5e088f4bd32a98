"""Calling the kernel: one call at a time per process, on preallocated outputs."""

from __future__ import annotations

import threading
from typing import Any

import numba
import numpy as np

from .compile import CompiledWorld
from .kernel import CascadeOut, ParticipantOut, block_size, run_chunk

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

    Parameters
    ----------
    cw
        The compiled world.
    seed, start, count
        The run seed and the replicates.
    participants
        Whether to fill ``parts``.
    out
        One array of ``count`` entries per cascade column of
        :mod:`escalate.results.schema` (:func:`escalate.results.arrow.allocate_outputs`),
        by column name: the fields of :class:`~escalate.engine.kernel.CascadeOut`.
    parts
        ``count`` x ``cw.n`` participant slots per participant column (or empty
        arrays without participants): the fields of
        :class:`~escalate.engine.kernel.ParticipantOut`.

    Raises
    ------
    ValueError
        If the columns are not those of the kernel, or do not hold ``count`` replicates.
    """
    cascades = _as(CascadeOut, out)
    participant_rows = _as(ParticipantOut, parts)
    if cascades.initiator.size != count:
        raise ValueError(f"outputs hold {cascades.initiator.size} replicates, not {count}")
    with _KERNEL_LOCK:
        run_chunk(
            np.uint64(seed),
            np.int64(start),
            np.int64(count),
            np.int64(block_size(count, numba.get_num_threads())),
            participants,
            cw.arrays,
            cascades,
            participant_rows,
        )


def _as(layout: Any, arrays: dict[str, np.ndarray]) -> Any:
    """``arrays`` as the kernel's output tuple ``layout`` (same names, any order)."""
    if set(arrays) != set(layout._fields):
        raise ValueError(f"the kernel fills the columns {list(layout._fields)}, not {list(arrays)}")
    return layout(**arrays)
