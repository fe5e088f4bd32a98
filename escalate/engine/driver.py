"""Calling the kernel: one call at a time per process, on preallocated outputs."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numba
import numpy as np
from numba.typed import List

from .compile import CompiledWorld
from .kernel import (
    EXPECTED_ROW,
    TALLY_ROWS,
    CascadeOut,
    ParticipantOut,
    block_size,
    run_chunk,
    run_worlds,
)
from .outputs import CASCADE_DTYPES, PARTICIPANT_DTYPES
from .state import FIXED_ONE

__all__ = [
    "KernelWorlds", "expected_counts_worlds", "run_kernel", "side_counts", "side_counts_worlds",
]  # fmt: skip


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
        If the columns are not those of the kernel, or an array is not one the kernel
        can fill: its dtype, its shape (``count`` entries; ``count`` x ``cw.n`` slots
        with participants) or its layout (C-contiguous and writeable). One line,
        naming the column, what it should be and what it is.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    cascades = _cascade_out(out, count)
    participant_rows = _as(ParticipantOut, parts)
    for name, dtype in PARTICIPANT_DTYPES.items():
        slots = (count, cw.n) if participants else None
        _check(f"participant column {name!r}", parts[name], dtype, 2, slots)
    block = block_size(count, numba.get_num_threads())
    with _KERNEL_LOCK:
        run_chunk(
            np.uint64(seed),
            np.int64(start),
            np.int64(count),
            np.int64(block),
            participants,
            cw.arrays,
            cascades,
            participant_rows,
        )


#: Participant columns the kernel does not fill (``participants=False``), made once.
_NO_PARTS = {name: np.zeros((0, 0), dt) for name, dt in PARTICIPANT_DTYPES.items()}


def side_counts(cw: CompiledWorld, seed: int, count: int, out: dict[str, np.ndarray]) -> np.ndarray:
    """How often each nation was at war on each side in replicates ``0 .. count - 1``.

    The kernel counts while it runs and builds no participant rows: what a likelihood
    needs (a calibration evaluates thousands of these). ``out`` are cascade columns
    for ``count`` replicates, as :func:`run_kernel`'s, filled as a side effect. One
    world of :func:`side_counts_worlds`.

    Returns
    -------
    numpy.ndarray
        int64 ``[side code, nation]`` (row 0, ``NO_SIDE``, is zero), by nation index.
    """
    return side_counts_worlds([cw], seed, count, [out])[0]


def side_counts_worlds(
    cws: Sequence[CompiledWorld], seed: int, count: int, outs: Sequence[dict[str, np.ndarray]]
) -> list[np.ndarray]:
    """:func:`side_counts` of every world, in one kernel call.

    The calibration's evaluation: every war's world at one seed. The blocks of all the
    worlds share the threads (:func:`escalate.engine.kernel.run_worlds`), and each
    world's counts equal those of :func:`side_counts` on it alone. ``outs[i]`` are
    cascade columns for ``count`` replicates of world ``i``, filled as a side effect.

    Returns
    -------
    list of numpy.ndarray
        Per world, int64 ``[side code, nation]`` by nation index.

    Raises
    ------
    ValueError
        If the worlds and the outputs differ in number, or an output column is not one
        the kernel can fill (as :func:`run_kernel`).
    """
    return KernelWorlds(cws, count, outs).side_counts(seed)


def expected_counts_worlds(
    cws: Sequence[CompiledWorld], seed: int, count: int, outs: Sequence[dict[str, np.ndarray]]
) -> list[np.ndarray]:
    """:func:`side_counts_worlds` with the unaligned entries replaced by their chances.

    A nation whose unaligned decision is taken in a cascade (docs/model.md, "Unaligned
    entry") and that owes no neutrality pledge, so that nothing can hold it back, joins
    side A with probability ``p (1 - q)`` and side D with ``p q``, where ``p`` and
    ``q`` are known when the decision is taken; if it does not join there, the cascade
    goes on without it. So its count on each side is estimated without bias, and with
    less variance, by adding up those chances over the cascades where the decision was
    taken, plus the cascades where it went to war in another way (a conditional
    expectation: the Rao-Blackwell estimator of the same probabilities). Other
    nations' counts are those of :func:`side_counts_worlds`. Unlike a count, the
    estimate moves smoothly with the unaligned coefficients at a fixed seed, which a
    likelihood's optimizer needs. The sums are exact in fixed point (1 / 2**32 per
    cascade), so they do not depend on the block size or the thread count.

    Returns
    -------
    list of numpy.ndarray
        Per world, float64 ``[side code, nation]`` by nation index.
    """
    return KernelWorlds(cws, count, outs).expected_counts(seed)


class KernelWorlds:
    """Worlds and their cascade columns, as the kernel's typed lists: built once, run often.

    Building the typed lists unboxes every array of every world, which costs more
    than a calibration's short run of a world. A calibration sets the worlds'
    coefficient arrays in place (:class:`~escalate.engine.coefficients.CoefficientBatch`)
    and runs the same KernelWorlds at each of its evaluations.

    Parameters
    ----------
    cws
        The compiled worlds.
    count
        Replicates of each world per run (replicates ``0 .. count - 1``).
    outs
        Per world, cascade columns for ``count`` replicates, filled by each run.

    Raises
    ------
    ValueError
        As :func:`side_counts_worlds`.
    """

    def __init__(
        self, cws: Sequence[CompiledWorld], count: int, outs: Sequence[dict[str, np.ndarray]]
    ) -> None:
        if count < 0:
            raise ValueError(f"count must be >= 0, got {count}")
        if len(outs) != len(cws):
            raise ValueError(f"{len(cws)} worlds but {len(outs)} sets of output columns")
        self.count = count
        # about 4 blocks a thread per world; the counts do not depend on it
        self._block = block_size(count, numba.get_num_threads())
        blocks = -(-count // self._block)
        self._tallies = [np.zeros((blocks, TALLY_ROWS, cw.n), np.int64) for cw in cws]
        self._worlds, self._cascades, self._counts = List(), List(), List()
        for cw, out, tally in zip(cws, outs, self._tallies, strict=True):
            self._worlds.append(cw.arrays)
            self._cascades.append(_cascade_out(out, count))
            self._counts.append(tally)

    def side_counts(self, seed: int) -> list[np.ndarray]:
        """Per world, how often each nation was at war on each side (:func:`side_counts_worlds`)."""
        return [t[:EXPECTED_ROW] for t in self._run(seed)]

    def expected_counts(self, seed: int) -> list[np.ndarray]:
        """Per world, the expected counts of :func:`expected_counts_worlds`."""
        return [t[:EXPECTED_ROW] + t[EXPECTED_ROW:] / float(FIXED_ONE) for t in self._run(seed)]

    def _run(self, seed: int) -> list[np.ndarray]:
        """The kernel's tallies of every world, summed over blocks: int64 ``[TALLY_ROWS, n]``."""
        if not self._tallies:
            return []
        for t in self._tallies:
            t.fill(0)
        with _KERNEL_LOCK:
            run_worlds(np.uint64(seed), np.int64(0), np.int64(self.count),
                       np.int64(self._block), self._worlds, self._cascades,
                       _as(ParticipantOut, _NO_PARTS), self._counts)  # fmt: skip
        return [t.sum(axis=0) for t in self._tallies]


def _cascade_out(out: dict[str, np.ndarray], count: int) -> Any:
    """``out`` as the kernel's :class:`CascadeOut`, each column checked for ``count`` rows."""
    cascades = _as(CascadeOut, out)
    for name, dtype in CASCADE_DTYPES.items():
        _check(f"output column {name!r}", out[name], dtype, 1, (count,))
    return cascades


def _as(layout: Any, arrays: dict[str, np.ndarray]) -> Any:
    """``arrays`` as the kernel's output tuple ``layout`` (same names, any order)."""
    if set(arrays) != set(layout._fields):
        raise ValueError(f"the kernel fills the columns {list(layout._fields)}, not {list(arrays)}")
    return layout(**arrays)


def _check(
    what: str, array: Any, dtype: np.dtype, ndim: int, shape: tuple[int, ...] | None
) -> None:
    """Raise a one-line ValueError unless ``array`` is one the kernel may fill.

    ``shape`` None: any shape of ``ndim`` dimensions (participant columns that the
    kernel does not fill).
    """
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{what}: expected a numpy array, got {type(array).__name__}")
    if array.dtype != dtype:
        raise ValueError(f"{what}: expected dtype {dtype}, got {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(f"{what}: expected {ndim} dimension(s), got shape {array.shape}")
    if shape is not None and array.shape != shape:
        raise ValueError(f"{what}: expected shape {shape}, got {array.shape}")
    if not array.flags.c_contiguous:
        raise ValueError(f"{what}: expected a C-contiguous array, got strides {array.strides}")
    if not array.flags.writeable:
        raise ValueError(f"{what}: expected a writeable array, got a read-only one")
