"""Where parts are computed: here (a writer thread beside the kernel) or on Dask."""

from __future__ import annotations

import json
import os
import queue
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba

from .._version import __version__
from ..engine.compile import CompiledWorld, compile_world
from ..model.entities import World
from ..model.load import world_from_dict
from ..results.arrow import to_tables
from ..results.store import Manifest, part_path, write_part
from .parts import part_arrays, part_tables

__all__ = ["MAX_WRITERS", "default_writers", "part_metadata_of", "run_dask", "run_local"]

#: Upper bound of the default number of writer threads (:func:`default_writers`).
MAX_WRITERS = 8

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


def default_writers() -> int:
    """Writer threads of the local backend: one per core, at most :data:`MAX_WRITERS`.

    Encoding a part (Arrow, digest, zstd) runs outside the GIL, so writers use the
    cores the kernel leaves between its calls, and on a machine with many cores
    keep up with a kernel that uses all of them.
    """
    return max(1, min(MAX_WRITERS, os.cpu_count() or 1))


def run_local(
    todo: list[Part],
    out: Path,
    manifest: Manifest,
    advance: Callable[[int], None],
    written: Callable[[str, int, int], None],
    writers: int | None = None,
    guard: Callable[[], None] | None = None,
) -> int:
    """Compute parts here and write them in a pool of background threads.

    The kernel runs one part at a time in this thread (on every numba thread); each
    finished part's arrays go to the next free writer thread, which turns them into
    Arrow tables, encodes and writes them while the kernel runs the next parts.
    Memory is bounded by the parts in flight: at most ``writers + 1`` parts are in
    memory, ``writers`` being written and the one being computed (which waits for a
    free writer before it is handed over).

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
        ``written(name, start, stop)`` is called (by a writer thread, one call at a
        time) after each part is on disk; parts may finish out of order.
    writers : int, optional
        Writer threads (default :func:`default_writers`).
    guard : callable, optional
        Called before each part is written; what it raises stops the job (the
        directory's lock checks that the directory is still the one locked).

    Returns
    -------
    int
        The cascade rows computed.
    """
    pool = _Writers(
        default_writers() if writers is None else writers, out, manifest, written, guard
    )
    rows = 0
    compiled: dict[str, CompiledWorld] = {}
    try:
        for w, s, e in todo:
            if pool.failure:
                break
            cw = compiled.get(w.name)
            if cw is None:
                cw = compiled[w.name] = compile_world(w)
            arrays = part_arrays(cw, manifest.seed, s, e, manifest.participants, advance)
            if not pool.put((w, cw, s, e, arrays)):
                break
            del arrays
            rows += e - s
    finally:
        pool.close()
    if pool.failure:
        raise pool.failure[0]
    return rows


class _Writers:
    """Writer threads taking finished parts from a queue, one part each at a time."""

    def __init__(
        self,
        n: int,
        out: Path,
        manifest: Manifest,
        written: Callable[[str, int, int], None],
        guard: Callable[[], None] | None = None,
    ) -> None:
        self.out, self.manifest, self.written = out, manifest, written
        self.guard = guard
        self.items: queue.Queue = queue.Queue()
        self.free = threading.Semaphore(n)  # writers free to take a part
        self.failure: list[BaseException] = []
        self.record = threading.Lock()  # one ``written`` call at a time
        self.threads = [
            threading.Thread(target=self._work, name=f"escalate-writer-{i}", daemon=True)
            for i in range(n)
        ]
        for t in self.threads:
            t.start()

    def put(self, item: tuple) -> bool:
        """Hand a part to the next free writer (waiting for one); False after a failure."""
        while not self.free.acquire(timeout=0.2):  # wake up so that signals are seen
            pass
        if self.failure:
            self.free.release()
            return False
        self.items.put(item)
        return True

    def close(self) -> None:
        """Let the writers finish the parts they hold, then stop them."""
        for _ in self.threads:
            self.items.put(None)
        for t in self.threads:
            while t.is_alive():
                t.join(timeout=0.2)

    def _work(self) -> None:
        while True:
            item = self.items.get()
            if item is None:
                return
            try:
                if not self.failure:
                    w, cw, s, e, (out, parts) = item
                    item = None
                    cascades, people = to_tables(
                        cw, s, out, parts, self.manifest.participants, w.ids
                    )
                    out = parts = None
                    meta = part_metadata_of(w, self.manifest, s, e)
                    if self.guard is not None:
                        self.guard()
                    _write_one(self.out, w, meta, s, cascades, people)
                    with self.record:
                        self.written(w.name, s, e)
            except BaseException as exc:  # reported by the main thread
                self.failure.append(exc)
            finally:
                # drop the part before waiting for the next one
                item = out = parts = cascades = people = None
                self.free.release()


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
    cascades, people = part_tables(compile_world(w), seed, s, e, participants, order=w.ids)
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
