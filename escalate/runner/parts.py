"""A part of a run: its size, its bounds, and its computation in time slices.

The kernel fills a part's output arrays slice by slice, returning to the
interpreter in between so that a signal handler can run (Ctrl-C stops within
about a second, whatever the world) and progress can be reported. Slices are
sized from the rate measured so far (:func:`next_slice`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa

from ..engine.compile import CompiledWorld, compile_world
from ..model.entities import World
from ..model.load import world_from_dict
from ..results.arrow import allocate_outputs, run_arrays, to_tables
from ..results.schema import CASCADE_COLUMNS, PARTICIPANT_COLUMNS, kernel_dtypes
from ..results.store import MAX_PARTS, MAX_REPLICATES

__all__ = [
    "DEFAULT_CHUNK",
    "MAX_PART_BYTES",
    "check_int",
    "check_layout",
    "default_chunk_size",
    "next_slice",
    "part_arrays",
    "part_bytes",
    "part_tables",
    "warm_up",
]

#: Default replicates per part without participants (about 40 MB of columns).
DEFAULT_CHUNK = 1 << 20
#: Memory budget for the per-replicate participant slots of one part.
_PARTICIPANT_BUDGET = 64 << 20
#: Upper bound of the memory of one part's output columns (see :func:`part_bytes`).
MAX_PART_BYTES = 2 << 30
#: Target duration of one kernel call: signals are only handled between calls.
_SLICE_SECONDS = 0.25
#: The first kernel call of a part is this small, whatever the world (a replicate of
#: a 20,000-nation world can take milliseconds); later calls are sized by the rate
#: measured so far, growing at most :data:`_SLICE_GROWTH`-fold from one to the next.
_FIRST_SLICE = 16
_SLICE_GROWTH = 8


def default_chunk_size(worlds: Sequence[World], participants: bool) -> int:
    """Replicates per part: 2**20, or fewer with participants to bound memory.

    Parameters
    ----------
    worlds : sequence of World
        The worlds of the run; the one with the most nations sets the bound.
    participants : bool
        Whether the run writes the participants table.

    Returns
    -------
    int
        The chunk size, at least 1024.
    """
    if not participants:
        return DEFAULT_CHUNK
    n = max(len(w.nations) for w in worlds)
    per_rep = 12 * n  # bytes of participant slots per replicate
    return max(1024, min(DEFAULT_CHUNK, _PARTICIPANT_BUDGET // per_rep))


def part_bytes(chunk_size: int, nations: int, participants: bool) -> int:
    """Bytes of kernel output columns for one part of ``chunk_size`` replicates.

    With ``participants``, one slot per nation per replicate is added.
    """
    per_rep = sum(np.dtype(t).itemsize for t in kernel_dtypes(CASCADE_COLUMNS).values()) + 8
    if participants:
        cell = sum(np.dtype(t).itemsize for t in kernel_dtypes(PARTICIPANT_COLUMNS).values())
        per_rep += nations * cell
    return chunk_size * per_rep


def check_layout(
    worlds: Sequence[World], replicates: int, chunk_size: int, participants: bool
) -> None:
    """Refuse a chunk size whose parts would not fit, or that makes too many parts.

    A part must fit :data:`MAX_PART_BYTES`, and a layout have at most
    :data:`~escalate.results.store.MAX_PARTS` parts.
    """
    check_int("chunk_size", chunk_size, 1, MAX_REPLICATES)
    n = max(len(w.nations) for w in worlds)
    need = part_bytes(chunk_size, n, participants)
    if need > MAX_PART_BYTES:
        most = max(1, chunk_size * MAX_PART_BYTES // need)
        raise ValueError(
            f"chunk_size {chunk_size:,} needs {need / 2**30:,.1f} GiB of memory per part "
            f"(limit {MAX_PART_BYTES / 2**30:.0f} GiB): use at most {most:,}"
        )
    parts = -(-replicates // chunk_size)
    if parts > MAX_PARTS:
        raise ValueError(
            f"{replicates:,} replicates in parts of {chunk_size:,} make {parts:,} parts per "
            f"world (limit {MAX_PARTS:,}): use a chunk size of at least "
            f"{-(-replicates // MAX_PARTS):,}"
        )


def check_int(name: str, value: int, lo: int, hi: int | None = None) -> int:
    """``value`` if it is a whole number in [lo, hi], else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < lo or (hi is not None and value > hi):
        bound = f">= {lo}" if hi is None else f"between {lo} and {hi}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def next_slice(done: int, seconds: float, previous: int) -> int:
    """Replicates for the next kernel call.

    After ``done`` replicates took ``seconds`` in the previous call of ``previous``
    replicates: about :data:`_SLICE_SECONDS` of work, at most :data:`_SLICE_GROWTH`
    times the previous call, at least one.
    """
    rate = done / max(seconds, 1e-6)
    return int(max(1, min(rate * _SLICE_SECONDS, previous * _SLICE_GROWTH, DEFAULT_CHUNK)))


def part_arrays(
    cw: CompiledWorld,
    seed: int,
    start: int,
    stop: int,
    participants: bool,
    advance: Callable[[int], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The kernel's output arrays (cascades, participant slots) of replicates ``start .. stop - 1``.

    The kernel fills the part's output arrays slice by slice (each call about
    :data:`_SLICE_SECONDS`), returning to the interpreter in between so that a
    signal handler can run, and ``advance(n)`` can report progress.
    """
    count = stop - start
    out, parts = allocate_outputs(count, cw.n, participants)
    a, step = 0, _FIRST_SLICE
    while a < count:
        b = min(count, a + step)
        t = time.perf_counter()
        views = (
            {k: v[a:b] for k, v in out.items()},
            {k: (v[a:b] if participants else v) for k, v in parts.items()},
        )
        run_arrays(cw, seed, start + a, b - a, participants, outputs=views)
        step = next_slice(b - a, time.perf_counter() - t, step)
        if advance is not None:
            advance(b - a)
        a = b
    return out, parts


def part_tables(
    cw: CompiledWorld,
    seed: int,
    start: int,
    stop: int,
    participants: bool,
    advance: Callable[[int], None] | None = None,
    order: Sequence[str] | None = None,
) -> tuple[pa.Table, pa.Table | None]:
    """Arrow tables (cascades, participants or None) of replicates ``start .. stop - 1``.

    :func:`part_arrays`, then :func:`escalate.results.arrow.to_tables`.
    """
    out, parts = part_arrays(cw, seed, start, stop, participants, advance)
    return to_tables(cw, start, out, parts, participants, order)


def warm_up() -> None:
    """Compile (or load from cache) the kernel once, e.g. before starting workers."""
    w = world_from_dict(
        {
            "name": "warmup",
            "incident": {"initiator": "A", "target": "B"},
            "nations": [{"id": "A", "power": 1.0}, {"id": "B", "power": 1.0}],
        }
    )
    cw = compile_world(w)
    part_tables(cw, 0, 0, 1, True)
    part_tables(cw, 0, 0, 1, False)
