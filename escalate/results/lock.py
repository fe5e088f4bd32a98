"""An exclusive lock on a results directory, held for the whole of a job.

Two jobs writing into one directory would mix their parts and delete each other's
temporary files; a run (fresh, ``resume`` or ``overwrite``) and a repair therefore
take ``DIR/.lock`` first and keep it until they end. The lock is an ``flock`` on
that file: the operating system releases it when its holder exits, however it
exits (``kill -9`` included), so a lock left by a dead process is simply taken
over. The file holds the holder's pid, host, start time and command, to name it
in the refusal of a second job. It is removed when the holder releases it.

``flock`` is advisory and local to one machine on some network file systems:
start the jobs that share a directory from one machine (with Dask, only the
client takes the lock; workers write their parts under it).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import ResultsError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, documented
    fcntl = None  # type: ignore[assignment]

__all__ = ["LOCK", "ResultsLocked", "holder", "lock_results"]

LOCK = ".lock"


class ResultsLocked(ResultsError):  # noqa: N818 - public API name; it is a ResultsError
    """The results directory is in use by another job (its lock is held)."""


def holder(out: str | Path) -> dict[str, object] | None:
    """Who holds (or last held) the lock of ``out``: pid, host, started, command."""
    try:
        data = json.loads((Path(out) / LOCK).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _describe(info: dict[str, object] | None) -> str:
    if not info:
        return "another process (no details recorded)"
    started = info.get("started")
    when = (
        time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started))
        if isinstance(started, int | float)
        else "?"
    )
    return f"pid {info.get('pid', '?')} on {info.get('host', '?')}, started {when}"


@contextlib.contextmanager
def lock_results(out: str | Path) -> Iterator[Path]:
    """Hold the exclusive lock of results directory ``out`` (created if missing).

    Raises
    ------
    ResultsLocked
        If another live process holds it; the message names the holder.
    OSError
        If the directory or its lock file cannot be created.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK
    if fcntl is None:  # pragma: no cover
        yield path
        return
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ResultsLocked(
                f"{out}: in use by another escalate job ({_describe(holder(out))})"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        # The holder we waited on may have removed the file after we opened it:
        # only a lock on the file that is at ``path`` now counts.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.time(),
            "command": " ".join(sys.argv),
        }
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode())
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)
