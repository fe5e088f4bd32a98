"""What the command line tells a user to do about a results error: hints that work.

Every hint names a command that can be run as printed: the exact ``escalate run``
to resume with when the directory's worlds are files that still hold them, the
directory to repair only when there is something to repair, and no repair at
all for a directory that does not exist or holds no results.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from ..results.errors import ResultsError

__all__ = ["hint", "resume_command"]


def resume_command(out: Path) -> str | None:
    """The ``escalate run ... --resume`` that finishes the run in ``out``, or None.

    None when it cannot be told exactly: no readable manifest, a sweep (its
    variants are not files), or a world whose source no longer holds it.
    """
    from ..model.bundled import bundled_names
    from ..model.load import load_world
    from ..results.store import read_manifest

    if (out / "variants.csv").exists():
        return None
    try:
        m = read_manifest(out)
        sources = []
        for info in m.worlds.values():
            source = info.get("source")
            if not source or load_world(source).canonical_hash() != info["hash"]:
                return None
            name = Path(source).stem  # a bundled world by its name, as it was given
            bundled = name in bundled_names() and load_world(name).canonical_hash() == info["hash"]
            sources.append(name if bundled else str(source))
    except (ValueError, OSError):
        return None
    argv = ["escalate", "run", *sources, "-n", str(m.replicates), "-s", str(m.seed)]
    argv += ["--chunk-size", str(m.chunk_size), "-o", str(out)]
    argv += ["--participants"] if m.participants else []
    return shlex.join([*argv, "--resume"])


def _rerun(out: Path, args: argparse.Namespace) -> str:
    """How to resume the run in ``out``: the exact command if known."""
    exact = resume_command(out)
    if exact:
        return f"`{exact}`"
    if args.command in ("run", "sweep"):
        return "the same command with --resume"
    return f"the `escalate run` (or `sweep`) that wrote {shlex.quote(str(out))} with --resume"


def _not_results(where: Path) -> str:
    """What to say of a directory that holds no results (repair could not help)."""
    if not where.exists():
        return f"; {where} does not exist: give the directory an `escalate run --out` wrote"
    inside = sorted(p.parent for p in where.glob("*/manifest.json"))
    if inside:
        names = ", ".join(shlex.quote(str(p)) for p in inside[:3])
        more = f" (and {len(inside) - 3} more)" if len(inside) > 3 else ""
        return f"; it holds results directories: {names}{more}"
    return "; give the directory an `escalate run --out` wrote"


def hint(e: ResultsError, args: argparse.Namespace) -> str:
    """What to do about a results error, in flags (the library says it in API words)."""
    from ..results.store import holds_results

    where = Path(getattr(args, "dir", None) or getattr(args, "out", None) or ".")
    if e.hint == "repair" and not holds_results(where):
        return "" if args.command == "run" else _not_results(where)
    if e.hint is None or (e.hint == "repair" and args.command == "repair"):
        return ""
    if e.hint == "resume":
        return f"; finish it with {_rerun(where, args)}"
    if e.hint == "resume_or_overwrite":
        return "; use --resume to continue that run or --overwrite to replace it"
    if e.hint == "new_out_or_overwrite":
        return "; use a new --out, or --overwrite to replace it"
    return (
        f"; `escalate repair {shlex.quote(str(where))}` sets bad parts aside and rebuilds "
        f"the manifest, then run {_rerun(where, args)}"
    )
