"""Kernel output arrays: allocated from the column schema, turned into Arrow tables."""

from __future__ import annotations

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

__all__ = ["allocate_outputs", "run_arrays", "to_tables"]


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


def _labels(codes: np.ndarray, labels: np.ndarray, decode: bool = True) -> pa.Array:
    """Integer codes (-1 = null) as strings, through a dictionary.

    The dictionary array is decoded unless ``decode`` is false.
    """
    mask = codes < 0
    codes = np.where(mask, 0, codes)
    if not decode:  # a dictionary of unique values (duplicates make Parquet's bytes vary)
        first: dict[str, int] = {}
        remap = np.array([first.setdefault(x, len(first)) for x in labels], dtype=np.int32)
        labels = np.array(list(first), dtype=object)
        codes = remap[codes] if codes.size else codes
    idx = pa.array(codes.astype(np.int32), mask=mask)
    arr = pa.DictionaryArray.from_arrays(idx, pa.array(labels, pa.string()))
    return arr.dictionary_decode() if decode else arr


def to_tables(cw: CompiledWorld, start: int, out: dict, parts: dict, participants: bool):
    """Arrow tables (cascades, participants or None) from raw kernel output."""
    count = out["initiator"].size
    ids = np.array(cw.ids, dtype=object)
    sides = np.array(SIDE_LABELS, dtype=object)
    winner = out["winner"].astype(np.int32) - SIDE_A  # -1 none, 0 A, 1 D
    cols = {
        "replicate": pa.array(np.arange(start, start + count, dtype=np.int64)),
        "initiator": _labels(out["initiator"], ids),
        "target": _labels(out["target"], ids),
    }
    for name in CASCADE_SCHEMA.names[3:]:
        if name == "winner":
            cols[name] = _labels(winner, sides)
        else:
            cols[name] = pa.array(out[name])
    cascades = pa.Table.from_pydict(cols, schema=CASCADE_SCHEMA)
    if not participants:
        return cascades, None
    k = out["belligerents"].astype(np.int64)
    mask = np.arange(cw.n)[None, :] < k[:, None]
    rep = np.repeat(np.arange(start, start + count, dtype=np.int64), k)
    sources = np.array(cw.sources, dtype=object)
    ptable = pa.Table.from_pydict(
        {
            "replicate": pa.array(rep),
            "nation": _labels(parts["nation"][mask], ids),
            "side": _labels(parts["side"][mask].astype(np.int32) - SIDE_A, sides),
            "round": pa.array(parts["round"][mask]),
            "via": _labels(parts["via"][mask].astype(np.int32), np.array(VIA_LABELS, object)),
            "source": _labels(parts["source"][mask], sources, decode=False),
        },
        schema=PARTICIPANT_SCHEMA,
    )
    return cascades, ptable
