"""Where parts are computed: here (a writer thread beside the kernel) or on Dask."""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba

from .._version import __version__
from ..engine.compile import CompiledWorld, compile_world
from ..model.world import World, world_from_dict
from ..results.store import Manifest, part_path, write_part
from .parts import part_tables

__all__ = ["part_metadata_of", "run_dask", "run_local"]

Part = tuple[World, int, int]  # world, first replicate, stop (exclusive)


def part_metadata_of(w: World, manifest: Manifest, start: int, stop: int) -> dict[str, str]:
    """A part's key-value metadata.

    Enough to check the part against the manifest, and to rebuild the manifest
    from the parts (:func:`escalate.repair`).
    """
    return {
        "escalate.world_name": w.name,
        "escalate.world_hash": w.canonical_hash(),
        "escalate.world_source": w.source,
        "escalate.structure_index": str(list(manifest.worlds).index(w.name)),
        "escalate.seed": str(manifest.seed),
        "escalate.replicate_start": str(start),
        "escalate.replicate_stop": str(stop),
        "escalate.replicates": str(manifest.replicates),
        "escalate.chunk_size": str(manifest.chunk_size),
        "escalate.participants": str(manifest.participants).lower(),
        "escalate.version": __version__,
        "escalate.numba_version": numba.__version__,
        "escalate.world": json.dumps(w.to_dict(), sort_keys=True),
    }


def _write_one(
    out: Path, w: World, meta: dict[str, str], s: int, cascades: Any, people: Any
) -> None:
    """Write one part's tables.

    Participants first, so that a part whose cascades are on disk always has its
    participants too.
    """
    if people is not None:
        write_part(part_path(out, "participants", w.name, s), people, meta)
    write_part(part_path(out, "cascades", w.name, s), cascades, meta)


def run_local(
    todo: list[Part],
    out: Path,
    manifest: Manifest,
    advance: Callable[[int], None],
    written: Callable[[str, int, int], None],
) -> int:
    """Compute parts here and write them in a background thread.

    At most two parts are in memory: the one being written and the one being
    computed.

    Parameters
    ----------
    todo : list of (World, int, int)
        The parts to compute: world, first replicate, stop (exclusive).
    out : pathlib.Path
        The results directory.
    manifest : Manifest
        The job (seed, layout, participants).
    advance : callable
        ``advance(n)`` is called as replicates are done (progress).
    written : callable
        ``written(name, start, stop)`` is called (by the writer thread) after each
        part is on disk.

    Returns
    -------
    int
        The cascade rows computed.
    """
    items: queue.Queue = queue.Queue()
    free = threading.Semaphore(1)  # the writer is free to take a part
    failure: list[BaseException] = []

    def writer() -> None:
        while True:
            item = items.get()
            if item is None:
                return
            try:
                if not failure:
                    w, s, e, cascades, people = item
                    meta = part_metadata_of(w, manifest, s, e)
                    _write_one(out, w, meta, s, cascades, people)
                    written(w.name, s, e)
            except BaseException as exc:  # reported by the main thread
                failure.append(exc)
            finally:
                item = cascades = people = None  # drop the part before waiting for the next one
                free.release()

    t = threading.Thread(target=writer, name="escalate-writer", daemon=True)
    t.start()
    rows = 0
    compiled: dict[str, CompiledWorld] = {}
    try:
        for w, s, e in todo:
            if failure:
                break
            cw = compiled.get(w.name)
            if cw is None:
                cw = compiled[w.name] = compile_world(w)
            cascades, people = part_tables(cw, manifest.seed, s, e, manifest.participants, advance)
            while not free.acquire(timeout=0.2):  # wake up so that signals are seen
                pass
            if failure:
                break
            items.put((w, s, e, cascades, people))
            del cascades, people
            rows += e - s
    finally:
        items.put(None)
        while t.is_alive():
            t.join(timeout=0.2)
    if failure:
        raise failure[0]
    return rows


def _dask_part(
    world_dict: dict,
    source: str,
    out: str,
    meta: dict[str, str],
    seed: int,
    s: int,
    e: int,
    participants: bool,
):
    """One part on a Dask worker: compile, run (all worker threads), write."""
    w = world_from_dict(world_dict, source=source)
    cascades, people = part_tables(compile_world(w), seed, s, e, participants)
    _write_one(Path(out), w, meta, s, cascades, people)
    return e - s


def run_dask(
    todo: list[Part],
    out: Path,
    manifest: Manifest,
    advance: Callable[[int], None],
    written: Callable[[str, int, int], None],
    client: Any,
) -> int:
    """Compute and write parts as tasks of a ``dask.distributed`` cluster.

    Each part is one task: a worker compiles the world, runs the part and writes
    it under ``out``, which every worker must see. Only the caller (the client)
    touches the manifest, through ``written``.

    Parameters
    ----------
    todo : list of (World, int, int)
        The parts to compute: world, first replicate, stop (exclusive).
    out : pathlib.Path
        The results directory, on a filesystem shared with the workers.
    manifest : Manifest
        The job (seed, layout, participants).
    advance : callable
        ``advance(n)`` is called with the rows of each finished part (progress).
    written : callable
        ``written(name, start, stop)`` is called after each part is on disk.
    client : distributed.Client
        The client of the cluster.

    Returns
    -------
    int
        The cascade rows computed.

    Raises
    ------
    ImportError
        If ``distributed`` is not installed.
    """
    try:
        from distributed import as_completed
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("the dask backend needs: pip install 'escalate[dask]'") from None
    # Keys unique per run: a client reuses a live future with the same key.
    token = uuid.uuid4().hex[:12]
    futures = {
        client.submit(
            _dask_part,
            w.to_dict(),
            w.source,
            str(out.resolve()),
            part_metadata_of(w, manifest, s, e),
            manifest.seed,
            s,
            e,
            manifest.participants,
            key=f"escalate-{token}-{w.name}-{s}",
            pure=False,
        ): (w.name, s, e)
        for w, s, e in todo
    }
    rows = 0
    try:
        for fut in as_completed(list(futures)):
            n = fut.result()
            written(*futures[fut])
            rows += n
            advance(n)
    except BaseException:
        client.cancel(list(futures))
        raise
    return rows
