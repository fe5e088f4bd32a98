"""Files of a results directory: written atomically, opened without following links.

Everything escalate writes in a results directory is written under a hidden
temporary name (created with ``O_NOFOLLOW``), synced and renamed over its final
name, so that a symbolic link planted there is replaced, never written through.
Parts are opened for reading with ``O_NOFOLLOW | O_NONBLOCK`` and must be regular
files (a FIFO or a device in place of a part would block or lie).
:func:`refuse_links` refuses a results directory in which any of escalate's
paths is a symbolic link, and :func:`foreign_files` lists what ``--overwrite``
must not delete.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import ResultsError

__all__ = [
    "OWNED",
    "STAGING",
    "atomic_path",
    "atomic_write_bytes",
    "clear_staging",
    "figures_folder",
    "foreign_files",
    "open_append",
    "open_regular",
    "read_text",
    "refuse_links",
    "remove_tree",
    "swap_in",
    "write_csv",
]

#: The names escalate writes directly inside a results directory (the tables,
#: manifest, progress, lock, figures and report of ``escalate plot``/``report``, the
#: variants of a sweep, the quarantine of ``escalate repair``, the staging area of
#: ``--overwrite``).
OWNED = (
    "manifest.json",
    "progress.jsonl",
    ".lock",
    "cascades",
    "participants",
    "figures",
    "report.html",
    "variants.csv",
    "quarantine",
    ".staging",
)
_FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _tmp_name(path: Path) -> Path:
    """A hidden temporary sibling of ``path``, unique per process and thread."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")


def create_new(path: Path) -> BinaryIO:
    """Open ``path`` for writing (created or truncated), refusing a symbolic link there."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW | _CLOEXEC, 0o644)
    return os.fdopen(fd, "wb")


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Write to the yielded hidden temporary path, which becomes ``path`` on success.

    It becomes ``path`` only if the block succeeds (fsync, then rename) and is
    removed if it fails. A symbolic link at ``path`` is replaced, not followed.
    """
    tmp = _tmp_name(path)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (:func:`atomic_path`)."""
    with atomic_path(path) as tmp, create_new(tmp) as f:
        f.write(data)


def open_append(path: Path) -> BinaryIO:
    """Open ``path`` for appending (created if missing), refusing a symbolic link there."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _CLOEXEC, 0o644)
    return os.fdopen(fd, "ab")


def open_regular(path: str | Path) -> BinaryIO:
    """Open a part for reading: a regular file, not through a symbolic link.

    Nothing blocks: a FIFO or device in place of a part is refused before it is read.

    Raises
    ------
    ResultsError
        Naming the file, if it is a link, not a regular file, or cannot be opened.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC)
    except OSError as e:
        why = "a symbolic link" if os.path.islink(path) else (e.strerror or str(e))
        raise ResultsError(f"{path}: unreadable part ({why})", repairable=True) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise ResultsError(f"{path}: not a part file (not a regular file)", repairable=True)
    return os.fdopen(fd, "rb")


def read_text(path: Path, limit: int = 1 << 30) -> str:
    """The text of a small file of escalate's (a manifest): no link, a regular file.

    Raises
    ------
    FileNotFoundError
        If it is missing.
    OSError
        If it is a link, not a regular file, larger than ``limit`` or unreadable.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as e:
        if os.path.islink(path):
            raise OSError(errno.ELOOP, "a symbolic link") from None
        raise e from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if st.st_size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit:,} bytes")
        return f.read().decode("utf-8")


def refuse_links(out: Path) -> None:
    """Refuse a results directory where one of escalate's paths is a symbolic link.

    The directory itself may be a link; inside it, escalate never follows or
    replaces links (a job would write or delete through them).

    Raises
    ------
    ResultsError
        Naming the first link found.
    """
    for name in OWNED:
        top = out / name
        if top.is_symlink():
            _link_error(top)
        if name not in ("cascades", "participants", "figures", "quarantine", ".staging"):
            continue
        if top.is_dir():
            for dirpath, dirnames, filenames in os.walk(top):
                for n in dirnames + filenames:
                    p = Path(dirpath) / n
                    if p.is_symlink():
                        _link_error(p)


def _link_error(p: Path) -> None:
    raise ResultsError(
        f"{p}: a symbolic link inside a results directory; escalate neither follows nor "
        "replaces links there: put the file or folder itself in its place"
    )


def foreign_files(out: Path) -> list[Path]:
    """What ``--overwrite`` would delete in ``out`` that escalate did not write.

    Escalate's own: part files and hidden temporaries in the tables'
    ``structure=<name>`` folders, figures (``.png``, ``.svg``, ``.pdf``) in
    ``figures/``, and the staging area of an earlier ``--overwrite``.
    """
    found: list[Path] = []
    for table in ("cascades", "participants"):
        root = out / table
        if root.exists() and not root.is_dir():
            found.append(root)
            continue
        for d in sorted(root.iterdir()) if root.is_dir() else []:
            if not (d.is_dir() and d.name.startswith("structure=")):
                found.append(d)
                continue
            found += [
                f
                for f in sorted(d.iterdir())
                if not (f.is_file() and (f.name.startswith(".part-") or _is_part_name(f.name)))
            ]
    figures = out / "figures"
    if figures.exists() and not figures.is_dir():
        found.append(figures)
    for f in sorted(figures.iterdir()) if figures.is_dir() else []:
        if not (f.is_file() and f.suffix in _FIGURE_SUFFIXES):
            found.append(f)
    return found


def _is_part_name(name: str) -> bool:
    return name.startswith("part-") and name.endswith(".parquet")


#: Where ``--overwrite`` writes the new run until it is complete.
STAGING = ".staging"
#: What :func:`swap_in` moves away from the results directory (escalate's files of
#: the run replaced: its tables, manifest, progress, figures, report and variants).
REPLACED = (
    "manifest.json",
    "progress.jsonl",
    "cascades",
    "participants",
    "figures",
    "report.html",
    "variants.csv",
)


def swap_in(out: Path, staged: Path) -> None:
    """Replace the run in ``out`` by the complete run in ``staged`` (under the lock).

    The old manifest goes first and the new one comes last, so a reader sees
    the old run, then no manifest, then the new run. The old files are
    removed only once the new run is in place.
    """
    trash = out / f".replaced-{os.getpid()}"
    trash.mkdir()
    for name in REPLACED:
        p = out / name
        if p.exists() or p.is_symlink():
            os.rename(p, trash / name)
    for name in ("cascades", "participants", "progress.jsonl", "manifest.json"):
        if (staged / name).exists():
            os.rename(staged / name, out / name)
    _sync_dir(out)
    remove_tree(trash)
    remove_tree(staged)


def _sync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_tree(path: Path) -> None:
    """Remove a file or folder escalate made (links are removed, never followed)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def clear_staging(out: Path) -> Path:
    """An empty staging folder for ``--overwrite`` (an earlier one is removed)."""
    staged = out / STAGING
    remove_tree(staged)
    staged.mkdir()
    return staged


@contextlib.contextmanager
def figures_folder(results: Path, output: Path | None) -> Iterator[Path]:
    """Where ``escalate plot`` draws: ``output``, or a hidden folder moved into ``DIR/figures``.

    The figures of a results directory are drawn in a hidden folder inside it,
    then each is renamed into ``DIR/figures``: a reader never sees half a figure,
    and a link there is refused (:func:`refuse_links`), never written through.
    """
    if output is not None:
        yield output
        return
    refuse_links(results)
    tmp = results / f".figures-tmp-{os.getpid()}"
    remove_tree(tmp)
    tmp.mkdir()
    try:
        yield tmp
        final = results / "figures"
        final.mkdir(exist_ok=True)
        for f in sorted(tmp.iterdir()):
            os.replace(f, final / f.name)
    finally:
        remove_tree(tmp)


def write_csv(path: Path, rows: list[dict]) -> None:
    """Write ``rows`` as CSV (a header line, then one line a row), atomically.

    A link at ``path`` is replaced, never written through (a sweep's ``variants.csv``).
    """
    import csv
    import io

    f = io.StringIO(newline="")
    writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else [], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_bytes(path, f.getvalue().encode("utf-8"))
