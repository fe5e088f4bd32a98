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

__all__ = [
    "Labelled",
    "allocate_outputs",
    "output_columns",
    "participant_rows",
    "run_arrays",
    "to_tables",
]


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


#: An id or label column: int32 codes (negative: null) and the labels they index.
Labelled = tuple[np.ndarray, tuple[str, ...]]


def _dictionary(codes: np.ndarray, labels: Sequence[str]) -> pa.DictionaryArray:
    """Codes (int32, negative: null) over ``labels`` as an Arrow dictionary array.

    No string is made per row: the indices are the codes themselves (not copied
    when they have no nulls), and ``labels`` is shared by every row.
    """
    mask = codes < 0
    indices = pa.array(np.where(mask, 0, codes), mask=mask) if mask.any() else pa.array(codes)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(labels), pa.string()))


def _unique_labels(labels: Sequence[str]) -> tuple[tuple[str, ...], np.ndarray]:
    """``labels`` without repeats, and the map from their codes to the new codes.

    A dictionary never repeats a value: duplicates would make Parquet's bytes vary.
    """
    first: dict[str, int] = {}
    remap = np.array([first.setdefault(x, len(first)) for x in labels], dtype=np.int32)
    return tuple(first), remap


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


def nation_codes(cw: CompiledWorld, order: Sequence[str] | None):
    """A function from the kernel's nation codes to ``Labelled`` over ``order``.

    The kernel numbers nations by sorted id; the results label them in
    ``order``, the world file's order (None: sorted), so that a nation column's
    categories are the nations as the user listed them.
    """
    if order is None or tuple(order) == cw.ids:
        return lambda codes: (_int32(codes), cw.ids)
    position = {nid: i for i, nid in enumerate(order)}
    recode = np.array([position[nid] for nid in cw.ids], dtype=np.int32)
    labels = tuple(order)

    def labelled(codes: np.ndarray) -> Labelled:
        codes = _int32(codes)
        return np.where(codes < 0, codes, recode[np.maximum(codes, 0)]), labels

    return labelled


def output_columns(
    cw: CompiledWorld,
    start: int,
    out: dict,
    parts: dict,
    participants: bool,
    order: Sequence[str] | None = None,
) -> tuple[dict[str, np.ndarray | Labelled], dict[str, np.ndarray | Labelled] | None]:
    """The result columns (cascades, participants or None) of raw kernel output.

    In schema order (:mod:`.schema`): numbers are the kernel's arrays (not
    copied), ids and labels are :data:`Labelled` (int32 codes over the world's
    ids, in ``order``: the world file's; or over the labels), so that neither
    Arrow (:func:`to_tables`) nor pandas (:func:`escalate.results.frames.to_frames`)
    makes a Python object per row.
    """
    nations = nation_codes(cw, order)
    count = out["initiator"].size
    replicates = np.arange(start, start + count, dtype=np.int64)
    cascades: dict[str, np.ndarray | Labelled] = {}
    for name in CASCADE_SCHEMA.names:
        if name == "replicate":
            cascades[name] = replicates
        elif name in ("initiator", "target"):
            cascades[name] = nations(out[name])
        elif name == "winner":  # -1 none, 0 A, 1 D
            cascades[name] = (out[name].astype(np.int32) - SIDE_A, SIDE_LABELS)
        else:
            cascades[name] = out[name]
    if not participants:
        return cascades, None
    k = out["belligerents"]
    rows = participant_rows(k, cw.n)
    sources, remap = _unique_labels(cw.sources)

    def flat(name: str) -> np.ndarray:
        return parts[name].reshape(-1).take(rows)

    source = _int32(flat("source"))
    if remap.size:
        source = np.where(source < 0, source, remap[np.maximum(source, 0)])
    people: dict[str, np.ndarray | Labelled] = {
        "replicate": np.repeat(replicates, k.astype(np.int64)),
        "nation": nations(flat("nation")),
        "side": (flat("side").astype(np.int32) - SIDE_A, SIDE_LABELS),
        "round": flat("round"),
        "via": (flat("via").astype(np.int32), VIA_LABELS),
        "source": (source, sources),
    }
    return cascades, people


def _int32(codes: np.ndarray) -> np.ndarray:
    return codes if codes.dtype == np.int32 else codes.astype(np.int32)


def to_tables(
    cw: CompiledWorld,
    start: int,
    out: dict,
    parts: dict,
    participants: bool,
    order: Sequence[str] | None = None,
):
    """Arrow tables (cascades, participants or None) from raw kernel output.

    Ids and labels become dictionary arrays over the world's ids (or the labels)
    built from the kernel's integer codes, and numeric columns share the kernel's
    arrays (:func:`output_columns`): no value is turned into a Python object, so
    the cost does not grow with the length of the labels.
    """
    cascades, people = output_columns(cw, start, out, parts, participants, order)
    ctable = _table(cascades, CASCADE_SCHEMA)
    return ctable, None if people is None else _table(people, PARTICIPANT_SCHEMA)


def _table(columns: dict[str, np.ndarray | Labelled], schema: pa.Schema) -> pa.Table:
    arrays = [
        _dictionary(*col) if isinstance(col, tuple) else pa.array(col, type=schema.field(name).type)
        for name, col in columns.items()
    ]
    return pa.Table.from_arrays(arrays, schema=schema)
