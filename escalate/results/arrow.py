"""Kernel output arrays: allocated from the column schema, turned into Arrow tables."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from ..engine.codes import SIDE_A, SIDE_LABELS, VIA_LABELS
from ..engine.compile import CompiledWorld
from ..engine.driver import run_kernel
from .schema import (
    CASCADE_COLUMNS,
    CASCADE_SCHEMA,
    PARTICIPANT_COLUMNS,
    PARTICIPANT_SCHEMA,
    kernel_dtypes,
)

__all__ = ["allocate_outputs", "participant_rows", "run_arrays", "to_tables"]


def allocate_outputs(
    count: int, n: int, participants: bool
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Preallocate the kernel's output columns (:mod:`.schema`) for ``count`` replicates.

    Participants are stored per replicate in ``n`` slots (slot k = the k-th
    nation to enter); rows beyond ``belligerents`` are unused.
    """
    out: dict[str, np.ndarray] = {
        c: np.empty(count, dt) for c, dt in kernel_dtypes(CASCADE_COLUMNS).items()
    }
    shape = (count, n) if participants else (0, 0)
    parts: dict[str, np.ndarray] = {
        c: np.empty(shape, dt) for c, dt in kernel_dtypes(PARTICIPANT_COLUMNS).items()
    }
    return out, parts


def run_arrays(
    cw: CompiledWorld,
    seed: int,
    start: int,
    count: int,
    participants: bool,
    outputs: tuple[dict, dict] | None = None,
) -> tuple[dict, dict]:
    """Run the kernel on replicates ``start .. start+count-1``; returns raw output arrays.

    ``outputs`` may pass buffers from :func:`allocate_outputs` (for ``count``
    replicates) to be filled again, e.g. by benchmarks.
    """
    out, parts = outputs if outputs is not None else allocate_outputs(count, cw.n, participants)
    run_kernel(cw, seed, start, count, participants, out, parts)
    return out, parts


def _dictionary(codes: np.ndarray, labels: pa.Array) -> pa.DictionaryArray:
    """Integer codes (negative: null) as an Arrow dictionary array over ``labels``.

    No string is made per row: the indices are the codes themselves (int32, not
    copied when they are int32 already and have no nulls), and ``labels`` is shared
    by every row.
    """
    idx = codes if codes.dtype == np.int32 else codes.astype(np.int32)
    mask = idx < 0
    indices = pa.array(np.where(mask, 0, idx), mask=mask) if mask.any() else pa.array(idx)
    return pa.DictionaryArray.from_arrays(indices, labels)


def _unique_labels(labels: Sequence[str]) -> tuple[pa.Array, np.ndarray]:
    """``labels`` without repeats, and the map from their codes to the new codes.

    A dictionary never repeats a value: duplicates would make Parquet's bytes vary.
    """
    first: dict[str, int] = {}
    remap = np.array([first.setdefault(x, len(first)) for x in labels], dtype=np.int32)
    return pa.array(list(first), pa.string()), remap


def _column(values: np.ndarray, arrow: pa.DataType) -> pa.Array:
    """A kernel array as an Arrow array of its schema type (numbers are not copied)."""
    return pa.array(values, type=arrow)


def participant_rows(belligerents: np.ndarray, n: int) -> np.ndarray:
    """Flat indices of the used participant slots, replicate by replicate.

    Slot ``k`` of replicate ``i`` is cell ``i * n + k`` of a ``count`` x ``n``
    array; the first ``belligerents[i]`` slots are used.
    """
    k = belligerents.astype(np.int64)
    total = int(k.sum())
    starts = np.arange(k.size, dtype=np.int64) * n
    # each used cell is its replicate's first cell plus its rank within the replicate
    first = np.repeat(starts - np.concatenate(([0], np.cumsum(k)[:-1])), k)
    return first + np.arange(total, dtype=np.int64)


def to_tables(cw: CompiledWorld, start: int, out: dict, parts: dict, participants: bool):
    """Arrow tables (cascades, participants or None) from raw kernel output.

    Ids and labels become dictionary arrays over the world's ids (or the labels)
    built from the kernel's integer codes, and numeric columns share the kernel's
    arrays: no value is turned into a Python object, so the cost does not grow
    with the length of the labels.
    """
    count = out["initiator"].size
    ids = pa.array(list(cw.ids), pa.string())
    sides = pa.array(list(SIDE_LABELS), pa.string())
    replicates = np.arange(start, start + count, dtype=np.int64)
    cols: list[pa.Array] = []
    for field in CASCADE_SCHEMA:
        name = field.name
        if name == "replicate":
            cols.append(pa.array(replicates))
        elif name in ("initiator", "target"):
            cols.append(_dictionary(out[name], ids))
        elif name == "winner":  # -1 none, 0 A, 1 D
            cols.append(_dictionary(out[name].astype(np.int32) - SIDE_A, sides))
        else:
            cols.append(_column(out[name], field.type))
    cascades = pa.Table.from_arrays(cols, schema=CASCADE_SCHEMA)
    if not participants:
        return cascades, None
    k = out["belligerents"]
    rows = participant_rows(k, cw.n)
    sources, remap = _unique_labels(cw.sources)

    def flat(name: str) -> np.ndarray:
        return parts[name].reshape(-1).take(rows)

    source = flat("source")
    if remap.size:
        source = np.where(source < 0, source, remap[np.maximum(source, 0)])
    ptable = pa.Table.from_arrays(
        [
            pa.array(np.repeat(replicates, k.astype(np.int64))),
            _dictionary(flat("nation"), ids),
            _dictionary(flat("side").astype(np.int32) - SIDE_A, sides),
            pa.array(flat("round")),
            _dictionary(flat("via").astype(np.int32), pa.array(list(VIA_LABELS), pa.string())),
            _dictionary(source, sources),
        ],
        schema=PARTICIPANT_SCHEMA,
    )
    return cascades, ptable
