"""Turn kernel output arrays into pandas/Arrow tables with the MODEL.md columns."""

from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa

from .compile import VIA, CompiledWorld
from .kernel import allocate_outputs, run_chunk

__all__ = ["CASCADE_SCHEMA", "PARTICIPANT_SCHEMA", "run_arrays", "to_tables"]

CASCADE_SCHEMA = pa.schema(
    [
        ("replicate", pa.int64()),
        ("initiator", pa.string()),
        ("target", pa.string()),
        ("deterred", pa.bool_()),
        ("belligerents", pa.int16()),
        ("side_a", pa.int16()),
        ("side_d", pa.int16()),
        ("majors", pa.int16()),
        ("rounds", pa.int16()),
        ("broken_promises", pa.int32()),
        ("sanctions", pa.int32()),
        ("diplomacy", pa.int32()),
        ("power_share", pa.float64()),
        ("vetoed", pa.bool_()),
        ("winner", pa.string()),
        ("world_war", pa.bool_()),
    ]
)
PARTICIPANT_SCHEMA = pa.schema(
    [
        ("replicate", pa.int64()),
        ("nation", pa.string()),
        ("side", pa.string()),
        ("round", pa.int16()),
        ("via", pa.string()),
        # Treaty and organization names repeat on every row, and may be long: they
        # stay dictionary-encoded from the kernel's codes to the Parquet file.
        ("source", pa.dictionary(pa.int32(), pa.string())),
    ]
)


#: A parallel numba kernel must not be entered from several Python threads at once
#: (the workqueue threading layer aborts): e.g. a Dask worker running tasks in
#: threads. Calls are serialised per process; each call uses every numba thread.
_KERNEL_LOCK = threading.Lock()


def run_arrays(
    cw: CompiledWorld,
    seed: int,
    start: int,
    count: int,
    participants: bool,
    outputs: tuple[dict, dict] | None = None,
):
    """Run the kernel on replicates ``start .. start+count-1``; returns raw output arrays.

    ``outputs`` may pass buffers from :func:`escalate.kernel.allocate_outputs`
    (for ``count`` replicates) to be filled again, e.g. by benchmarks.
    """
    out, parts = outputs if outputs is not None else allocate_outputs(count, cw.n, participants)
    if out["initiator"].size != count:
        raise ValueError(f"outputs hold {out['initiator'].size} replicates, not {count}")
    with _KERNEL_LOCK:
        _run_locked(cw, seed, start, count, participants, out, parts)
    return out, parts


def _run_locked(cw, seed, start, count, participants, out, parts) -> None:
    run_chunk(
        np.uint64(seed),
        np.int64(start),
        np.int64(count),
        participants,
        *cw.kernel_args(),
        *out.values(),
        *parts.values(),
    )


def _labels(codes: np.ndarray, labels: np.ndarray, decode: bool = True) -> pa.Array:
    """Map integer codes (-1 = null) to strings via a dictionary, decoded unless
    ``decode`` is false."""
    mask = codes < 0
    codes = np.where(mask, 0, codes)
    if not decode:  # a dictionary of unique values (duplicates make Parquet's bytes vary)
        first = {}
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
    winner = out["winner"].astype(np.int32) - 1  # -1 none, 0 A, 1 D
    cols = {
        "replicate": pa.array(np.arange(start, start + count, dtype=np.int64)),
        "initiator": _labels(out["initiator"], ids),
        "target": _labels(out["target"], ids),
    }
    for name in CASCADE_SCHEMA.names[3:]:
        if name == "winner":
            cols[name] = _labels(winner, np.array(["A", "D"], dtype=object))
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
            "side": _labels(parts["side"][mask].astype(np.int32) - 1, np.array(["A", "D"], object)),
            "round": pa.array(parts["round"][mask]),
            "via": _labels(parts["via"][mask].astype(np.int32), np.array(VIA, dtype=object)),
            "source": _labels(parts["source"][mask], sources, decode=False),
        },
        schema=PARTICIPANT_SCHEMA,
    )
    return cascades, ptable
