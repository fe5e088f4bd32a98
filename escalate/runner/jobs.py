"""Run worlds: in memory (:func:`simulate`) or to a Parquet dataset (:func:`run`).

A run is a list of *parts*: (world, replicate range). The kernel runs one part
at a time on all threads (numba ``prange``) in the calling thread, in slices of
about a quarter of a second so that Ctrl-C/SIGTERM are seen promptly; a pool of
background threads encodes and writes finished parts to Parquet (and records them
in the manifest) while the next parts run, so memory stays flat: at most
``writers + 1`` parts in memory, whatever the number of replicates. With
``backend="dask"`` each part is a task on a ``dask.distributed`` cluster whose
workers write their parts to the (shared) output directory; only the client
writes the manifest.

Every draw is keyed by (seed, replicate, decision), so the rows do not depend on
threads, chunk size, backend, or which other worlds are in the run.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import numba
import pandas as pd

from ..engine.compile import compile_world
from ..model.entities import World
from ..model.load import load_world
from ..results.files import STAGING, clear_staging, foreign_files, refuse_links, swap_in
from ..results.frames import to_frames
from ..results.lock import Held, lock_results
from ..results.store import (
    MANIFEST,
    MAX_REPLICATES,
    MAX_SEED,
    TABLES,
    Manifest,
    ResultsError,
    clear_progress,
    holds_results,
    read_manifest,
    record_progress,
    remove_temporaries,
    scan_parts,
    write_manifest,
)
from .backends import Part, run_dask, run_local
from .parts import check_int, check_layout, default_chunk_size, part_arrays, warm_up

__all__ = ["Interrupted", "RunSummary", "run", "simulate"]


class Interrupted(KeyboardInterrupt):
    """Raised inside :func:`run` when SIGINT/SIGTERM asks it to stop.

    A :class:`KeyboardInterrupt`: code that catches ``Exception`` (a read error)
    does not catch it.
    """

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _as_world(w: World | str | Path) -> World:
    return w if isinstance(w, World) else load_world(w)


@contextlib.contextmanager
def _threads(threads: int | None) -> Iterator[int]:
    """Use ``threads`` numba threads (default: all) for the block.

    The caller's setting is restored after it: the library never changes numba's
    thread count for good.
    """
    # numba.config sets its options at import time from the environment, where a type
    # checker cannot see them
    limit: int = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    if threads is None:
        threads = limit
    check_int("threads", threads, 1)
    if threads > limit:
        raise ValueError(
            f"threads must be at most {limit} on this machine (NUMBA_NUM_THREADS), got {threads}"
        )
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        yield threads
    finally:
        numba.set_num_threads(before)


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
        A :class:`~escalate.model.World` or the path of a world file.
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
        The cascades (docs/model.md columns plus ``structure``), and the
        participants if asked for.

    Examples
    --------
    >>> import escalate
    >>> df = escalate.simulate("europe_1914", 10_000, seed=1)
    >>> len(df), bool(0 < df["world_war"].mean() < 1)
    (10000, True)
    >>> again = escalate.simulate("europe_1914", 10_000, seed=1)
    >>> bool((again["belligerents"] == df["belligerents"]).all())  # same seed, same rows
    True
    """
    w = _as_world(world)
    check_int("replicates", replicates, 1)
    check_int("seed", seed, 0, 2**64 - 1)
    check_int("start", start, 0)
    cw = compile_world(w)
    with _threads(threads):
        out, parts = part_arrays(cw, seed, start, start + replicates, participants)
    df, people = to_frames(cw, w.name, start, out, parts, participants, w.ids)
    if people is None:
        return df
    return df, people


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
        """Derive :attr:`cascades_per_second` from the rows and seconds."""
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
        """The summary as a JSON object (every field, keys sorted)."""
        return json.dumps(self.__dict__, sort_keys=True)


def _prepare(
    worlds: list[World],
    out: Path,
    replicates: int,
    seed: int,
    chunk_size: int | None,
    participants: bool,
    resume: bool,
    overwrite: bool,
) -> tuple[Manifest, list[Part], int, Path]:
    """Check ``out``, write the manifest; returns it, the parts to run and done, the folder.

    Everything that can refuse the job is checked before anything in ``out`` is
    touched, so a refused run leaves existing results as they were. A job that
    replaces results (``overwrite``) writes in ``out/.staging`` and is swapped in
    when complete; ``resume`` continues such a job there.
    """
    refuse_links(out)
    old, work = _old_job(out, resume, overwrite)
    if chunk_size is None:
        chunk_size = old.chunk_size if old else default_chunk_size(worlds, participants)
    check_layout(worlds, replicates, chunk_size, participants)
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
        if why:  # resuming cannot help: say so before anyone is told to try
            raise ResultsError(
                f"{out}: {'cannot resume, the directory' if resume else 'already'} holds "
                f"another job: {why}",
                hint="new_out_or_overwrite",
            )
        if not resume:
            raise ResultsError(f"{out}: already holds results", hint="resume_or_overwrite")
        try:
            present = {t: scan_parts(work, manifest, t, verify=True) for t in TABLES}
        except ResultsError as e:
            raise ResultsError(f"cannot resume: {e.message}", repairable=True) from None
    if overwrite and holds_results(out):
        _refuse_foreign(out)
    _probe(out)
    if overwrite and holds_results(out):
        work = clear_staging(out)
    remove_temporaries(out)
    if work != out:
        remove_temporaries(work)
    todo: list[Part] = []
    skipped = 0
    for w in worlds:
        for start, stop in manifest.chunks():
            done = start in present.get("cascades", {}).get(w.name, ()) and (
                not participants or start in present["participants"][w.name]
            )
            if done:
                manifest.mark_done(w.name, start, stop)
                skipped += 1
            else:
                todo.append((w, start, stop))
    clear_progress(work)  # the parts present, checked above, are what is done
    write_manifest(work, manifest)
    return manifest, todo, skipped, work


def _old_job(out: Path, resume: bool, overwrite: bool) -> tuple[Manifest | None, Path]:
    """The job a resume continues (None: a new job), and where it writes."""
    staged = out / STAGING
    if resume and (staged / MANIFEST).exists():  # an --overwrite that did not finish
        with contextlib.suppress(ResultsError):
            return read_manifest(staged), staged
    if holds_results(out) and not overwrite:
        try:  # the caller says whether it is this job (resume) or another one
            return read_manifest(out), out
        except ResultsError as e:
            if not resume:
                raise ResultsError(f"{out}: already holds results", hint=e.hint) from None
            raise ResultsError(f"cannot resume: {e.message}", hint=e.hint) from None
    return None, out


def _refuse_foreign(out: Path) -> None:
    """Refuse ``--overwrite`` where it would delete files escalate did not write."""
    foreign = foreign_files(out)
    if foreign:
        more = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
        raise ResultsError(
            f"{foreign[0]}{more}: not written by escalate; --overwrite replaces only "
            f"escalate's files (parts, manifest, progress, figures): move it out of {out}, "
            "then rerun"
        )


def _probe(out: Path) -> None:
    """Check that ``out`` can be written (a full disk is an I/O error, exit 3)."""
    probe = out / f".write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        with contextlib.suppress(OSError):
            probe.unlink()
        if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS):
            raise OSError(e.errno, e.strerror, str(out)) from None
        raise ValueError(f"{out}: cannot write there ({e.strerror or e})") from None


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGINT/SIGTERM into :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    stopping: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        # the first signal stops the job; one that comes while it stops (a second
        # Ctrl-C) must not break off the cleanup (temporaries, manifest, threads)
        if stopping:
            return
        stopping.append(signum)
        raise Interrupted(signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def ignore_signals() -> None:
    """Ignore SIGINT and SIGTERM from now on (for a command line that is stopping)."""
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)


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
    writers: int | None = None,
) -> RunSummary:
    """Run every world for ``replicates`` cascades and write a Parquet dataset.

    Parameters
    ----------
    worlds, out
        Worlds, world files or bundled names (their names become the ``structure``
        column); the output directory (:mod:`escalate.results.store` has the layout).
    replicates, seed
        Replicates 0 .. replicates - 1 of each world under this seed.
    threads
        Numba threads for the local backend (default: all cores).
    chunk_size
        Replicates per part file (default :func:`default_chunk_size`, or that of
        the run resumed). Rows do not depend on it.
    participants
        Also write the participants table.
    resume
        Continue an interrupted run (or ``overwrite``) in ``out``, the same job
        (worlds, seed, replicates, chunk size, participants): checked parts are
        kept, temporaries removed; an empty or missing ``out`` simply starts it.
    overwrite
        Replace the results in ``out``: the new run is written in
        ``out/.staging`` and swapped in when complete (the old one stays readable
        until then); refused if ``out`` holds files escalate did not write.
    progress
        Show a progress bar on stderr (``tqdm``).
    backend
        ``"local"`` (this process) or ``"dask"`` (a ``distributed.Client``
        given as ``client``; ``out`` must be visible to every worker).
    writers
        Writer threads of the local backend, writing finished parts while the kernel
        runs the next (default: one per core, at most 8; ``writers + 1`` parts in memory).

    Returns
    -------
    RunSummary

    Raises
    ------
    ValueError
        Bad arguments, or ``out`` holds another job, or was moved while the job
        ran (:class:`~escalate.results.errors.ResultsError`, a ``ValueError``).
    OSError
        Writing failed (e.g. a full disk); parts finished before are kept.
    Interrupted
        SIGINT/SIGTERM (main thread; a :class:`KeyboardInterrupt`): finished parts are kept.
    escalate.model.WorldError
        An invalid world file.

    Examples
    --------
    >>> import escalate
    >>> summary = escalate.run(["europe_1914"], "new", 5_000, seed=1)
    >>> len(escalate.read_results("new"))
    5000
    """
    t0 = time.perf_counter()
    ws = [_as_world(w) for w in worlds]
    if not ws:
        raise ValueError("no worlds to run")
    check_int("replicates", replicates, 1, MAX_REPLICATES)
    check_int("seed", seed, 0, MAX_SEED)
    if chunk_size is not None:
        check_layout(ws, replicates, chunk_size, participants)
    if backend not in ("local", "dask"):
        raise ValueError(f"backend must be 'local' or 'dask', got {backend!r}")
    if backend == "dask" and client is None:
        raise ValueError("backend='dask' needs a distributed.Client as client=")
    if writers is not None:
        check_int("writers", writers, 1, 1024)
    names = [w.name for w in ws]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(
            f"two worlds are named {dup[0]!r}; structure names must be unique: give each "
            "its own `name` (escalate generate --name NAME)"
        )
    if resume and overwrite:
        raise ValueError("resume and overwrite exclude each other")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out}: exists and is not a directory")
    local = backend == "local"
    with _threads(threads if local else None) as used, _signals_raise():
        compile_seconds = 0.0
        if local:
            tc = time.perf_counter()
            warm_up()
            compile_seconds = time.perf_counter() - tc
        rows, skipped, done = _run_locked(ws, out, replicates, seed, chunk_size, participants,
                                         resume, overwrite, progress, backend, client,
                                         writers)  # fmt: skip
    return RunSummary(
        out=str(out),
        structures=[w.name for w in ws],
        replicates=replicates,
        rows=rows,
        parts_written=done,
        parts_skipped=skipped,
        seconds=time.perf_counter() - t0 - compile_seconds,
        threads=used if local else 0,
        backend=backend,
        compile_seconds=compile_seconds,
    )


def _run_locked(
    ws: list[World],
    out: Path,
    replicates: int,
    seed: int,
    chunk_size: int | None,
    participants: bool,
    resume: bool,
    overwrite: bool,
    progress: bool,
    backend: str,
    client: Any,
    writers: int | None = None,
) -> tuple[int, int, int]:
    """The job under the directory's lock; returns rows run, parts skipped, parts run."""
    with _locked(out) as held:
        manifest, todo, skipped, work = _prepare(
            ws, out, replicates, seed, chunk_size, participants, resume, overwrite
        )

        def written(name: str, s: int, e: int) -> None:
            held.check()
            record_progress(work, name, s, e)

        advance, close = _progress(sum(e - s for _, s, e in todo), progress)
        try:
            if backend == "local":
                rows = run_local(todo, work, manifest, advance, written, writers, held.check)
            else:
                rows = run_dask(todo, work, manifest, advance, written, client)
        except BaseException as e:
            _record_stop(work, manifest, e, held)
            if isinstance(e, OSError):
                held.check()  # a write failed because the directory went away: say so
            raise
        finally:
            close()
        held.check()
        manifest.status = "complete"
        write_manifest(work, manifest)
        if work != out:
            swap_in(out, work)
    return rows, skipped, len(todo)


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[Held]:
    """Hold the lock of ``out`` (see :mod:`escalate.results.lock`).

    A directory this call created is removed again if the job is refused before it
    wrote anything.
    """
    created = not out.exists()

    def undo() -> None:
        if created:
            with contextlib.suppress(OSError):
                out.rmdir()  # only if empty: nothing was written

    try:
        lock = lock_results(out)
        held = lock.__enter__()
    except ResultsError:
        undo()
        raise
    except OSError as e:
        undo()
        if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS):
            raise OSError(e.errno, e.strerror, e.filename or str(out)) from None
        raise ValueError(f"{out}: cannot write there ({e.strerror or e})") from None
    try:
        yield held
    except BaseException:
        lock.__exit__(None, None, None)
        undo()
        raise
    else:
        lock.__exit__(None, None, None)


def _record_stop(out: Path, manifest: Manifest, e: BaseException, held: Held) -> None:
    """Write why a job stopped to its manifest.

    ``interrupted``, or ``failed`` with the reason (best effort: the disk may be
    full); nothing when the directory is no longer the one locked.
    """
    if isinstance(e, Interrupted | KeyboardInterrupt):
        manifest.status = "interrupted"
    else:
        manifest.status = "failed"
        what = "out of memory" if isinstance(e, MemoryError) else type(e).__name__
        manifest.error = f"{what}: {' '.join(str(e).split())}"[:1000]
    with contextlib.suppress(OSError, ResultsError):
        held.check()
        write_manifest(out, manifest)
