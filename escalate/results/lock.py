"""An exclusive lock on a results directory, held for the whole of a job.

Two jobs writing into one directory would mix their parts and delete each other's
temporary files; a run (fresh, ``resume`` or ``overwrite``) and a repair therefore
lock the directory first and keep it locked until they end. The lock is an
``flock`` on the directory itself (an inode nobody removes by accident while it
holds results): the operating system releases it when its holder exits, however
it exits (``kill -9`` included), so a lock left by a dead process is simply taken
over, and deleting ``DIR/.lock`` does not let a second job in. ``DIR/.lock`` holds
the holder's pid, host, start time and command, to name it in the refusal of a
second job; it is written without following a link, and removed at the end only
if it is still the file this job wrote. :meth:`Held.check` (called before each
part and manifest is written) fails when the directory was moved or replaced
while the job ran.

``flock`` is advisory and local to one machine on some network file systems:
start the jobs that share a directory from one machine (with Dask, only the
client takes the lock; workers write their parts under it).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import ResultsError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, documented
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "LOCK",
    "Held",
    "ResultsLocked",
    "describe_holder",
    "held_by_another",
    "holder",
    "lock_results",
]

LOCK = ".lock"


class ResultsLocked(ResultsError):  # noqa: N818 - public API name; it is a ResultsError
    """The results directory is in use by another job (its lock is held)."""


def holder(out: str | Path) -> dict[str, object] | None:
    """Who holds (or last held) the lock of ``out``: pid, host, started, command."""
    try:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        with os.fdopen(os.open(Path(out) / LOCK, flags), "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            data = json.loads(f.read(1 << 16))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def describe_holder(info: dict[str, object] | None) -> str:
    """``pid 4242 on ws1, started 2026-11-25 17:40:02`` (what :func:`holder` says)."""
    if not info:
        return "another process (no details recorded)"
    started = info.get("started")
    when = (
        time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started))
        if isinstance(started, int | float)
        else "?"
    )
    return f"pid {info.get('pid', '?')} on {info.get('host', '?')}, started {when}"


def _open_dir(out: Path) -> int:
    return os.open(out, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))


#: The directories (device, inode) whose lock this process holds.
_HELD: set[tuple[int, int]] = set()


def held_by_another(out: str | Path) -> dict[str, object] | None:
    """The holder's details if another process holds the lock of ``out`` now, else None."""
    if fcntl is None:  # pragma: no cover
        return None
    try:
        fd = _open_dir(Path(out))
    except OSError:
        return None
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) in _HELD:
        os.close(fd)
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return holder(out) or {}
    except OSError:
        return None
    finally:
        os.close(fd)  # releases the lock if it was taken here
    return None


class Held:
    """The lock of a results directory, held: :meth:`check` that it still is ours."""

    def __init__(self, out: Path, dir_fd: int, info_fd: int | None) -> None:
        self.out, self.path = out, out / LOCK
        self._dir_fd, self._info_fd = dir_fd, info_fd
        st = os.fstat(dir_fd)
        self._key = (st.st_dev, st.st_ino)
        _HELD.add(self._key)

    def check(self) -> None:
        """Fail if the directory was moved, removed or replaced since it was locked.

        Raises
        ------
        ResultsError
            Naming the directory.
        """
        try:
            same = os.path.samestat(os.fstat(self._dir_fd), os.stat(self.out))
        except OSError:
            same = False
        if not same:
            raise ResultsError(
                f"{self.out}: the results directory was moved, removed or replaced while "
                "this job ran; nothing more is written (find the directory, then rerun "
                "with --resume there)"
            )

    def release(self) -> None:
        """Release the lock; remove ``.lock`` only if it is still the file written here."""
        try:
            if self._info_fd is not None:
                with contextlib.suppress(OSError):
                    if os.path.samestat(os.fstat(self._info_fd), os.lstat(self.path)):
                        self.path.unlink()
                os.close(self._info_fd)
        finally:
            _HELD.discard(self._key)
            os.close(self._dir_fd)


@contextlib.contextmanager
def lock_results(out: str | Path) -> Iterator[Held]:
    """Hold the exclusive lock of results directory ``out`` (created if missing).

    Raises
    ------
    ResultsLocked
        If another live process holds it; the message names the holder.
    ResultsError
        If ``out/.lock`` is a symbolic link or not a file.
    OSError
        If the directory cannot be created or opened.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fd = _open_dir(out)
    if fcntl is None:  # pragma: no cover
        held = Held(out, fd, None)
        try:
            yield held
        finally:
            held.release()
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ResultsLocked(
            f"{out}: in use by another escalate job ({describe_holder(holder(out))})"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    try:
        info_fd = _write_info(out / LOCK)
    except BaseException:
        os.close(fd)
        raise
    held = Held(out, fd, info_fd)
    try:
        yield held
    finally:
        held.release()


def _write_info(path: Path) -> int:
    """Write the holder's details to ``path`` (no link followed); its open descriptor."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0), 0o644)
    except OSError as e:
        why = "a symbolic link" if path.is_symlink() else (e.strerror or str(e))
        raise ResultsError(
            f"{path}: cannot write the lock file ({why}); remove it, then rerun"
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ResultsError(f"{path}: not a regular file; remove it, then rerun")
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.time(),
        "command": " ".join(sys.argv),
    }
    try:
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode())
    except BaseException:  # e.g. a full disk: leave no empty lock file behind
        with contextlib.suppress(OSError):
            if os.path.samestat(os.fstat(fd), os.lstat(path)):
                path.unlink()
        os.close(fd)
        raise
    return fd
