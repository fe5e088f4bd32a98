"""Run worlds: in memory (:func:`simulate`) or to a Parquet dataset (:func:`run`).

A run is a list of *parts*: (world, replicate range). The kernel runs one part
at a time on all threads (numba ``prange``) in the calling thread, in slices of
about a quarter of a second so that Ctrl-C/SIGTERM are seen promptly; a single
background thread writes finished parts to Parquet (and records them in the
manifest) while the next part runs, so memory stays flat: at most two parts in
memory, whatever the number of replicates. With ``backend="dask"`` each part is a
task on a ``dask.distributed`` cluster whose workers write their parts to the
(shared) output directory; only the client writes the manifest.

Every draw is keyed by (seed, replicate, decision), so the rows do not depend on
threads, chunk size, backend, or which other worlds are in the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import numba
import numpy as np
import pandas as pd

from . import __version__
from .compile import CompiledWorld, compile_world
from .frames import run_arrays, to_tables
from .io import (
    MAX_PARTS,
    MAX_REPLICATES,
    MAX_SEED,
    TABLES,
    Manifest,
    ResultsError,
    clear_progress,
    clear_results,
    holds_results,
    part_path,
    read_manifest,
    record_progress,
    remove_temporaries,
    scan_parts,
    write_manifest,
    write_part,
)
from .kernel import CascadeColumns, ParticipantColumns, allocate_outputs
from .lock import lock_results
from .world import World, load_world

__all__ = ["RunSummary", "default_chunk_size", "run", "simulate"]

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

Part = tuple[World, int, int]  # world, first replicate, stop (exclusive)


class Interrupted(Exception):
    """Raised inside :func:`run` when SIGINT/SIGTERM asks it to stop."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def default_chunk_size(worlds: Sequence[World], participants: bool) -> int:
    """Replicates per part: 2**20, or fewer with participants to bound memory."""
    if not participants:
        return DEFAULT_CHUNK
    n = max(len(w.nations) for w in worlds)
    per_rep = 12 * n  # bytes of participant slots per replicate
    return max(1024, min(DEFAULT_CHUNK, _PARTICIPANT_BUDGET // per_rep))


def part_bytes(chunk_size: int, nations: int, participants: bool) -> int:
    """Bytes of kernel output columns for one part of ``chunk_size`` replicates
    (participants: one slot per nation per replicate)."""
    per_rep = sum(np.dtype(t).itemsize for t in CascadeColumns.values()) + 8
    if participants:
        per_rep += nations * sum(np.dtype(t).itemsize for t in ParticipantColumns.values())
    return chunk_size * per_rep


def _check_layout(
    worlds: Sequence[World], replicates: int, chunk_size: int, participants: bool
) -> None:
    """Refuse a chunk size whose parts would not fit :data:`MAX_PART_BYTES`, or a
    layout of more than :data:`~escalate.io.MAX_PARTS` parts."""
    _check_int("chunk_size", chunk_size, 1, MAX_REPLICATES)
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


def next_slice(done: int, seconds: float, previous: int) -> int:
    """Replicates for the next kernel call, after ``done`` replicates took ``seconds``
    in the previous call of ``previous`` replicates: about :data:`_SLICE_SECONDS`
    of work, at most :data:`_SLICE_GROWTH` times the previous call, at least one."""
    rate = done / max(seconds, 1e-6)
    return int(max(1, min(rate * _SLICE_SECONDS, previous * _SLICE_GROWTH, DEFAULT_CHUNK)))


def _as_world(w: World | str | Path) -> World:
    return w if isinstance(w, World) else load_world(w)


def _check_int(name: str, value: int, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < lo or (hi is not None and value > hi):
        bound = f">= {lo}" if hi is None else f"between {lo} and {hi}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def _set_threads(threads: int | None) -> None:
    limit = numba.config.NUMBA_NUM_THREADS
    if threads is None:
        numba.set_num_threads(limit)
        return
    _check_int("threads", threads, 1)
    if threads > limit:
        raise ValueError(
            f"threads must be at most {limit} on this machine (NUMBA_NUM_THREADS), got {threads}"
        )
    numba.set_num_threads(threads)


def _part_tables(
    cw: CompiledWorld,
    seed: int,
    start: int,
    stop: int,
    participants: bool,
    advance: Callable[[int], None] | None = None,
):
    """Arrow tables (cascades, participants or None) of replicates ``start .. stop - 1``.

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
    return to_tables(cw, start, out, parts, participants)


@overload
def simulate(
    world: World | str | Path,
    replicates: int,
    seed: int,
    *,
    start: int = ...,
    participants: Literal[False] = ...,
    threads: int | None = ...,
) -> pd.DataFrame: ...
@overload
def simulate(
    world: World | str | Path,
    replicates: int,
    seed: int,
    *,
    start: int = ...,
    participants: Literal[True],
    threads: int | None = ...,
) -> tuple[pd.DataFrame, pd.DataFrame]: ...
def simulate(
    world: World | str | Path,
    replicates: int,
    seed: int,
    *,
    start: int = 0,
    participants: bool = False,
    threads: int | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Run ``replicates`` cascades of one world in memory.

    Parameters
    ----------
    world
        A :class:`~escalate.world.World` or the path of a world file.
    replicates
        Number of cascades (replicates ``start .. start + replicates - 1``).
    seed
        Run seed (0 <= seed < 2**64). Same world and seed give the same rows.
    start
        First replicate index; replicate *i* is the same whatever ``start``.
    participants
        Also return the participants table (one row per belligerent).
    threads
        Numba threads (default: all).

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, pandas.DataFrame)
        The cascades (MODEL.md section 4 columns plus ``structure``), and the
        participants if asked for.

    Examples
    --------
    >>> import escalate
    >>> df = escalate.simulate("configs/europe_1914.toml", 10_000, seed=1)  # doctest: +SKIP
    >>> df["world_war"].mean()  # doctest: +SKIP
    """
    w = _as_world(world)
    _check_int("replicates", replicates, 1)
    _check_int("seed", seed, 0, 2**64 - 1)
    _check_int("start", start, 0)
    _set_threads(threads)
    cw = compile_world(w)
    casc, part = _part_tables(cw, seed, start, start + replicates, participants)
    df = casc.to_pandas()
    df.insert(0, "structure", pd.Categorical([w.name] * len(df)))
    if not participants:
        return df
    pdf = part.to_pandas()
    pdf.insert(0, "structure", pd.Categorical([w.name] * len(pdf)))
    return df, pdf


@dataclass
class RunSummary:
    """What :func:`run` did."""

    out: str
    structures: list[str]
    replicates: int
    rows: int  # cascade rows written by this call (skipped parts excluded)
    parts_written: int
    parts_skipped: int
    seconds: float  # simulating and writing, without compile_seconds
    threads: int
    backend: str
    compile_seconds: float = 0.0  # compiling the kernel, or loading it from numba's cache
    cascades_per_second: float = field(init=False)

    def __post_init__(self) -> None:
        self.cascades_per_second = self.rows / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        """One-line human summary."""
        skipped = f", {self.parts_skipped} parts already done" if self.parts_skipped else ""
        compiled = (
            f"; kernel compiled in {self.compile_seconds:.0f} s, cached for later runs"
            if self.compile_seconds >= 2
            else ""
        )
        return (
            f"wrote {self.rows:,} cascades of {len(self.structures)} structure(s) in "
            f"{self.seconds:.2f} s ({self.cascades_per_second:,.0f} cascades/s{skipped}) "
            f"to {self.out}{compiled}"
        )

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)


def _metadata(w: World, manifest: Manifest, start: int, stop: int) -> dict[str, str]:
    """A part's key-value metadata: enough to check it against the manifest, and to
    rebuild the manifest from the parts (:func:`escalate.repair`)."""
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


def _prepare(
    worlds: list[World],
    out: Path,
    replicates: int,
    seed: int,
    chunk_size: int | None,
    participants: bool,
    resume: bool,
    overwrite: bool,
) -> tuple[Manifest, list[Part], int]:
    """Check ``out``, write the manifest; returns it, the parts to run, the parts done.

    Everything that can refuse the job is checked before anything in ``out`` is
    touched, so a refused run leaves existing results as they were.
    """
    old: Manifest | None = None
    if holds_results(out) and not overwrite:
        if not resume:
            raise ResultsError(
                f"{out}: already holds results; use --resume to continue that run "
                "or --overwrite to replace it",
                repairable=not (out / "manifest.json").exists(),
            )
        try:
            old = read_manifest(out)
        except ResultsError as e:
            raise ResultsError(f"cannot resume: {e}", repairable=e.repairable) from None
    if chunk_size is None:
        chunk_size = old.chunk_size if old else default_chunk_size(worlds, participants)
    _check_layout(worlds, replicates, chunk_size, participants)
    manifest = Manifest(
        seed=seed,
        replicates=replicates,
        chunk_size=chunk_size,
        participants=participants,
        worlds={
            w.name: {"hash": w.canonical_hash(), "source": w.source, "world": w.to_dict()}
            for w in worlds
        },
        numba_version=numba.__version__,
    )
    present: dict[str, dict[str, set[int]]] = {}
    if old is not None:
        why = manifest.same_job(old)
        if why:
            raise ResultsError(
                f"{out}: cannot resume, the directory holds another job: {why}. "
                "Use a new --out, or --overwrite to replace it"
            )
        try:
            present = {t: scan_parts(out, manifest, t, verify=True) for t in TABLES}
        except ResultsError as e:
            raise ResultsError(f"cannot resume: {e}", repairable=True) from None
    try:
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise ValueError(f"{out}: cannot write there ({e.strerror or e})") from None
    if overwrite:
        clear_results(out)
    remove_temporaries(out)
    todo: list[Part] = []
    skipped = 0
    for w in worlds:
        for s, e in manifest.chunks():
            done = s in present.get("cascades", {}).get(w.name, ()) and (
                not participants or s in present["participants"][w.name]
            )
            if done:
                manifest.mark_done(w.name, s, e)
                skipped += 1
            else:
                todo.append((w, s, e))
    clear_progress(out)  # the parts present, checked above, are what is done
    write_manifest(out, manifest)
    return manifest, todo, skipped


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGINT/SIGTERM into :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Interrupted(signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _write_one(out: Path, w: World, meta: dict[str, str], s: int, casc, part) -> None:
    if part is not None:
        write_part(part_path(out, "participants", w.name, s), part, meta)
    write_part(part_path(out, "cascades", w.name, s), casc, meta)


def _run_local(
    todo: list[Part],
    out: Path,
    manifest: Manifest,
    advance: Callable[[int], None],
    written: Callable[[str, int, int], None],
) -> int:
    """Compute parts here, write them in a background thread; returns rows run.

    ``written(name, start, stop)`` is called (by the writer thread) after each
    part is on disk. At most two parts are in memory: the one being written and
    the one being computed.
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
                    w, s, e, casc, part = item
                    _write_one(out, w, _metadata(w, manifest, s, e), s, casc, part)
                    written(w.name, s, e)
            except BaseException as exc:  # reported by the main thread
                failure.append(exc)
            finally:
                item = casc = part = None  # drop the part before waiting for the next one
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
            casc, part = _part_tables(cw, manifest.seed, s, e, manifest.participants, advance)
            while not free.acquire(timeout=0.2):  # wake up so that signals are seen
                pass
            if failure:
                break
            items.put((w, s, e, casc, part))
            del casc, part
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
    from .world import world_from_dict

    w = world_from_dict(world_dict, source=source)
    casc, part = _part_tables(compile_world(w), seed, s, e, participants)
    _write_one(Path(out), w, meta, s, casc, part)
    return e - s


def _run_dask(
    todo: list[Part],
    out: Path,
    manifest: Manifest,
    advance: Callable[[int], None],
    written: Callable[[str, int, int], None],
    client: Any,
) -> int:
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
            _metadata(w, manifest, s, e),
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


def _progress(total: int, enabled: bool) -> tuple[Callable[[int], None], Callable[[], None]]:
    if not enabled or total == 0:
        return (lambda n: None), (lambda: None)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return (lambda n: None), (lambda: None)
    bar = tqdm(total=total, unit="cascade", unit_scale=True, dynamic_ncols=True, file=sys.stderr)
    lock = threading.Lock()

    def advance(n: int) -> None:
        with lock:
            bar.update(n)

    return advance, bar.close


def run(
    worlds: Sequence[World | str | Path],
    out: str | Path,
    replicates: int,
    seed: int,
    *,
    threads: int | None = None,
    chunk_size: int | None = None,
    participants: bool = False,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    backend: Literal["local", "dask"] = "local",
    client: Any = None,
) -> RunSummary:
    """Run every world for ``replicates`` cascades and write a Parquet dataset.

    Parameters
    ----------
    worlds
        Worlds or world-file paths; their names become the ``structure`` column.
    out
        Output directory (see :mod:`escalate.io` for the layout).
    replicates, seed
        Replicates 0 .. replicates - 1 of each world under this seed.
    threads
        Numba threads for the local backend (default: all cores).
    chunk_size
        Replicates per part file (default :func:`default_chunk_size`, or when
        resuming the value of the run being resumed). Rows do not depend on it;
        resuming requires the same value.
    participants
        Also write the participants table.
    resume
        Continue an interrupted run in ``out``: parts already written (and
        checked against the manifest) are kept, temporary files of the
        interrupted run are removed. The directory must hold the same job
        (worlds, seed, replicates, chunk size, participants); an empty or
        missing ``out`` simply starts the run.
    overwrite
        Replace results already in ``out`` (only the manifest and tables).
    progress
        Show a progress bar on stderr (needs ``tqdm``).
    backend
        ``"local"`` (this process) or ``"dask"`` (a ``distributed.Client``
        given as ``client``; ``out`` must be visible to every worker).

    Returns
    -------
    RunSummary

    Raises
    ------
    ValueError
        Bad arguments, or ``out`` holds another job (nothing is touched then;
        :class:`~escalate.io.ResultsError`, a ``ValueError``, for the latter).
    OSError
        Writing failed (e.g. a full disk); parts finished before are kept.
    Interrupted
        SIGINT/SIGTERM arrived (main thread only); finished parts are kept and
        the manifest says ``"interrupted"``: rerun with ``resume=True``.
    escalate.world.WorldError
        An invalid world file.

    Examples
    --------
    >>> import escalate
    >>> escalate.run(["configs/europe_1914.toml"], "out", 100_000, seed=1)  # doctest: +SKIP
    >>> df = escalate.read_results("out")  # doctest: +SKIP
    >>> df.groupby("structure", observed=True)["world_war"].mean()  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    ws = [_as_world(w) for w in worlds]
    if not ws:
        raise ValueError("no worlds to run")
    _check_int("replicates", replicates, 1, MAX_REPLICATES)
    _check_int("seed", seed, 0, MAX_SEED)
    if chunk_size is not None:
        _check_layout(ws, replicates, chunk_size, participants)
    if backend not in ("local", "dask"):
        raise ValueError(f"backend must be 'local' or 'dask', got {backend!r}")
    if backend == "dask" and client is None:
        raise ValueError("backend='dask' needs a distributed.Client as client=")
    names = [w.name for w in ws]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"two worlds are named {dup[0]!r}; structure names must be unique")
    if resume and overwrite:
        raise ValueError("resume and overwrite exclude each other")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out}: exists and is not a directory")
    if backend == "local":
        _set_threads(threads)
    compile_seconds = 0.0
    if backend == "local":
        if progress:
            print(
                "escalate: loading the kernel (the first run on a machine compiles it: "
                "about half a minute)",
                file=sys.stderr,
            )
        tc = time.perf_counter()
        warm_up()
        compile_seconds = time.perf_counter() - tc
    with _signals_raise(), _locked(out):
        manifest, todo, skipped = _prepare(
            ws, out, replicates, seed, chunk_size, participants, resume, overwrite
        )

        def written(name: str, s: int, e: int) -> None:
            record_progress(out, name, s, e)

        advance, close = _progress(sum(e - s for _, s, e in todo), progress)
        try:
            if backend == "local":
                rows = _run_local(todo, out, manifest, advance, written)
            else:
                rows = _run_dask(todo, out, manifest, advance, written, client)
        except BaseException as e:
            _record_stop(out, manifest, e)
            raise
        finally:
            close()
        manifest.status = "complete"
        write_manifest(out, manifest)
    return RunSummary(
        out=str(out),
        structures=[w.name for w in ws],
        replicates=replicates,
        rows=rows,
        parts_written=len(todo),
        parts_skipped=skipped,
        seconds=time.perf_counter() - t0 - compile_seconds,
        threads=numba.get_num_threads() if backend == "local" else 0,
        backend=backend,
        compile_seconds=compile_seconds,
    )


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold the lock of ``out`` (see :mod:`escalate.lock`); a directory this call
    created is removed again if the job is refused before it wrote anything."""
    created = not out.exists()
    try:
        lock = lock_results(out)
        lock.__enter__()
    except OSError as e:
        raise ValueError(f"{out}: cannot write there ({e.strerror or e})") from None
    try:
        yield
    except BaseException:
        lock.__exit__(None, None, None)
        if created:
            with contextlib.suppress(OSError):
                out.rmdir()  # only if empty: nothing was written
        raise
    else:
        lock.__exit__(None, None, None)


def _record_stop(out: Path, manifest: Manifest, e: BaseException) -> None:
    """Write why a job stopped to its manifest: ``interrupted``, or ``failed`` with the
    reason (best effort: the disk may be full)."""
    if isinstance(e, Interrupted | KeyboardInterrupt):
        manifest.status = "interrupted"
    else:
        manifest.status = "failed"
        what = "out of memory" if isinstance(e, MemoryError) else type(e).__name__
        manifest.error = f"{what}: {' '.join(str(e).split())}"[:1000]
    with contextlib.suppress(OSError):
        write_manifest(out, manifest)


def warm_up() -> None:
    """Compile (or load from cache) the kernel once, e.g. before starting workers."""
    from .world import world_from_dict

    w = world_from_dict(
        {
            "name": "warmup",
            "incident": {"initiator": "A", "target": "B"},
            "nations": [{"id": "A", "power": 1.0}, {"id": "B", "power": 1.0}],
        }
    )
    cw = compile_world(w)
    _part_tables(cw, 0, 0, 1, True)
    _part_tables(cw, 0, 0, 1, False)
