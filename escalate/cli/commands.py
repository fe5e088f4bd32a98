"""What each ``escalate`` sub-command does: calls into the API, prints, exit codes."""

from __future__ import annotations

import argparse
import functools
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._version import __version__
from .commands_data import cmd_backtest, cmd_calibrate
from .commands_data import load_kernel as _load_kernel
from .parser import EXIT_IO


def _one_line(message: str) -> str:
    """``message`` on one line.

    Line breaks and other unprintable characters (e.g. from a quoted TOML key) are
    shown escaped, as in a Python string.
    """
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode() for c in message.strip()
    )


def fail(code: int, message: str) -> int:
    """Print ``message`` as a one-line ``escalate: error:`` on stderr.

    Parameters
    ----------
    code : int
        The exit code to give back.
    message : str
        What went wrong; unprintable characters are shown escaped.

    Returns
    -------
    int
        ``code``, so that a command can ``return fail(...)``.
    """
    print(f"escalate: error: {_one_line(message)}", file=sys.stderr)
    return code


def plural(n: int, word: str) -> str:
    """``"1 alliance"``, ``"2 alliances"``, ``"0 alliances"``."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def fail_world(e: Exception) -> int:
    """Print every problem of a :class:`~escalate.model.entities.WorldError`, one a line.

    Returns
    -------
    int
        The exit code of bad input (2).
    """
    from .parser import EXIT_INPUT

    for problem in getattr(e, "errors", (e,)):
        fail(EXIT_INPUT, str(problem))
    return EXIT_INPUT


def _client(args: argparse.Namespace):
    if not (args.dask or args.dask_local):
        return None, None
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError("--dask needs the dask extra: pip install 'escalate[dask]'") from None
    from ..runner import warm_up

    warm_up()  # fill the numba cache before workers start, so they load it
    if args.dask:
        return Client(args.dask), None
    cluster = LocalCluster(n_workers=args.dask_local, threads_per_worker=1, processes=True)
    return Client(cluster), cluster


def _cmd_run(args: argparse.Namespace, worlds: list, job: Callable[..., Any] | None = None) -> int:
    """Run ``worlds``; exit code 0, 3 (I/O error), 130/143 (interrupted).

    ``job`` runs them instead of :func:`escalate.run`, with the same arguments but
    the worlds (a sweep of them).
    """
    from ..runner import Interrupted, ignore_signals, run

    if job is None:
        job = functools.partial(run, worlds)

    if not args.quiet and not (args.dask or args.dask_local):
        _load_kernel()  # says so on stderr when it compiles, on a terminal or not
        if not args.resume and (args.overwrite or not _holds_results(args.out)):
            _warn_if_long(args, worlds)  # not before a run that will be refused
    client, cluster = _client(args)
    try:
        summary = job(
            out=args.out,
            replicates=args.replicates,
            seed=args.seed,
            threads=args.threads,
            chunk_size=args.chunk_size,
            participants=args.participants,
            resume=args.resume,
            overwrite=args.overwrite,
            progress=not args.quiet and sys.stderr.isatty(),
            backend="dask" if client is not None else "local",
            client=client,
        )
    except Interrupted as e:
        ignore_signals()  # a second Ctrl-C while exiting ends as the first: exit 130
        argv = [a for a in args.argv if a not in ("--overwrite", "--resume")]
        print(
            f"escalate: interrupted ({e}); finished parts are kept in {args.out}. "
            f"Resume with: escalate {shlex.join(argv)} --resume",
            file=sys.stderr,
        )
        return 128 + e.signum
    except OSError as e:
        where = e.filename or args.out
        return fail(
            EXIT_IO,
            f"{where}: cannot write results ({e.strerror or e}); finished parts are kept "
            "in the output directory: fix the cause, then rerun the same command with --resume",
        )
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    from ..viz.runinfo import record_command

    record_command(args.out, args.argv)  # the command and the date, for the report
    if args.json:
        print(summary.to_json())
    elif not args.quiet:
        print(_summary_line(summary), file=sys.stderr)
    return 0


def _holds_results(out: Path) -> bool:
    from ..results.store import holds_results

    return holds_results(out)


def _warn_if_long(args: argparse.Namespace, worlds: list) -> None:
    """One stderr line before a run that will take minutes, from a measured rate."""
    from ..results.store import MAX_REPLICATES
    from ..runner.parts import check_layout, default_chunk_size
    from ..runner.rate import LONG_RUN_S, estimate_seconds, format_duration

    if not 1 <= args.replicates <= MAX_REPLICATES:
        return  # refused by run(), with its own line
    chunk = args.chunk_size or default_chunk_size(worlds, args.participants)
    try:  # a run its sizes refuse gets the refusal alone, from run()
        check_layout(worlds, args.replicates, chunk, args.participants)
    except ValueError:
        return

    seconds, rate = estimate_seconds(
        worlds,
        args.replicates,
        args.seed,
        participants=args.participants,
        threads=args.threads,
        above=LONG_RUN_S,  # a run surely shorter is not measured further
    )
    if seconds > LONG_RUN_S:
        print(
            f"escalate: this run will take about {format_duration(seconds)} "
            f"({len(worlds) * args.replicates:,} cascades at about {rate:,.0f} cascades/s, "
            "measured on this machine just now); Ctrl-C keeps the finished parts and "
            "--resume continues",
            file=sys.stderr,
        )


def _summary_line(summary) -> str:
    """The run's summary line; for a resumed run with nothing left: that it is complete."""
    if summary.parts_written == 0 and summary.parts_skipped > 0:
        return (
            f"{summary.out}: already complete ({summary.replicates:,} replicates of "
            f"{plural(len(summary.structures), 'structure')}, "
            f"{plural(summary.parts_skipped, 'part')}); nothing to do"
        )
    return summary.line()


def _cmd_check(args: argparse.Namespace) -> int:
    """Validate every world (file or bundled name): summaries on stdout, problems on stderr.

    Every file is checked, and every problem of each; exit code 2 if any file failed.
    """
    from ..model.entities import WorldError
    from ..model.load import load_world
    from ..model.summary import obligation_lines
    from .parser import EXIT_INPUT

    failed = 0
    printed = False
    for path in args.worlds:
        try:
            w = load_world(path)
        except WorldError as e:
            failed += 1
            fail_world(e)
            continue
        if printed:
            print()
        print(w.summary())
        if args.obligations:
            print("\n".join(obligation_lines(w)))
        printed = True
    if failed and len(args.worlds) > 1:
        print(f"escalate check: {failed} of {len(args.worlds)} worlds are invalid", file=sys.stderr)
    return EXIT_INPUT if failed else 0


def _cmd_import(args: argparse.Namespace) -> int:
    """Build a world from COW/ATOP files on a day and write it as TOML."""
    from ..importers import import_world

    if str(args.out) != "-" and args.out.exists() and not args.force:
        raise ValueError(f"{args.out} exists; use --force to overwrite it")
    keys = (
        "states capabilities majors atop cow region overlay incident theatre name power_year "
        "exclude"
    )
    options = {k: getattr(args, k) for k in keys.split()}
    imported = import_world(args.date, **options, output=args.out)
    if str(args.out) == "-":
        sys.stdout.write(imported.text)
    else:
        args.out.write_text(imported.text, encoding="utf-8")
    w = imported.world
    print(
        f"{args.out}: {w.name}, {len(w.nations)} nations, {len(w.alliances)} alliance entries "
        f"({sum(len(a.pairs) for a in w.alliances)} directed obligations), "
        f"{len(w.organizations)} organizations, {len(w.plans)} plans",
        file=sys.stderr,
    )
    if imported.notes:  # each is a comment in the file, beside what it is about
        where = "the world's text" if str(args.out) == "-" else str(args.out)
        print(f"  {plural(len(imported.notes), 'note')} on the data: comments in {where}",
              file=sys.stderr)  # fmt: skip
    return 0


def _cmd_worlds(args: argparse.Namespace) -> int:
    """List the bundled worlds: name, number of nations, description; one a line."""
    from ..model.bundled import bundled_names
    from ..model.load import load_world

    names = bundled_names()
    width = max((len(n) for n in names), default=0)
    for name in names:
        w = load_world(name)
        description = " ".join(w.description.split()) or "-"
        print(f"{name:<{width}}  {len(w.nations):>5} nations  {description}")
    return 0


def _cmd_repair(args: argparse.Namespace) -> int:
    from ..results.repair import repair

    report = repair(args.dir)
    if args.json:
        print(report.to_json())
    else:
        for line in report.lines():
            print(line, file=sys.stderr)
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from ..model.load import load_world
    from ..model.sweep import sweep_worlds
    from ..model.sweep_settings import parse_setting
    from ..runner.sweep import sweep

    base = load_world(args.world)
    settings = [parse_setting(s) for s in args.settings]
    worlds = sweep_worlds(base, settings)  # refused here, before the kernel loads
    return _cmd_run(args, worlds, functools.partial(sweep, base, settings))


def _cmd_generate(args: argparse.Namespace) -> int:
    from ..model.dump import dump_world
    from ..model.generate import STRUCTURES, VETO_KINDS, generate, generated_header
    from ..model.load import load_world

    if args.kind not in STRUCTURES:
        raise ValueError(
            f"unknown structure kind {args.kind!r}; choose from {', '.join(STRUCTURES)}"
        )
    if args.out.exists() and not args.force:
        raise ValueError(f"{args.out} exists; use --force to overwrite it")
    if args.kind != "random":
        given = [
            f for f, v in (("--seed", args.seed), ("--density", args.density)) if v is not None
        ]
        if given:
            raise ValueError(
                f"{' and '.join(given)} apply to the random kind only, not {args.kind}"
            )
    if args.veto and args.kind not in VETO_KINDS:
        raise ValueError(
            f"--veto applies to {' and '.join(VETO_KINDS)} (their organization), not {args.kind}"
        )
    seed = 0 if args.seed is None else args.seed
    density = 0.1 if args.density is None else args.density
    base = load_world(args.nations)
    w = generate(
        args.kind,
        base,
        name=args.name,
        seed=seed,
        density=density,
        veto=args.veto,
        reliability=args.reliability,
    )
    options = {"name": args.name, "veto": args.veto, "reliability": args.reliability}
    if args.kind == "random":
        options.update(seed=seed, density=density)
    header = f"escalate {__version__}\n" + generated_header(args.kind, base, **options)
    args.out.write_text(dump_world(w, header=header))
    print(
        f"wrote {args.out} ({w.name}: {plural(len(w.alliances), 'alliance')}, "
        f"{plural(len(w.organizations), 'organization')})",
        file=sys.stderr,
    )
    return 0


def _cmd_run_files(args: argparse.Namespace) -> int:
    from ..model.load import load_world

    return _cmd_run(args, [load_world(w) for w in args.worlds])


def _cmd_trace(args: argparse.Namespace) -> int:
    from ..runner.trace import trace

    for flag, value in (("--seed", args.seed), ("--replicate", args.replicate)):
        if not 0 <= value < 2**64:  # the kernel's indices are uint64: larger ones would wrap
            raise ValueError(f"{flag} must be between 0 and 2**64 - 1, got {value}")
    story = trace(args.world, args.seed, args.replicate)
    print(story.to_json() if args.json else story.text())
    return 0


def _cmd_draw(args: argparse.Namespace) -> int:
    from ..viz.draw import draw

    print(draw(args.world, args.out, labels=args.labels))  # checks the suffix before loading
    return 0


from .views import _cmd_compare, _cmd_plot, _cmd_report  # noqa: E402

#: sub-command -> what it does (each returns the exit code)
COMMANDS = {
    "trace": _cmd_trace,
    "draw": _cmd_draw,
    "run": _cmd_run_files,
    "check": _cmd_check,
    "import": _cmd_import,
    "worlds": _cmd_worlds,
    "repair": _cmd_repair,
    "compare": _cmd_compare,
    "sweep": _cmd_sweep,
    "generate": _cmd_generate,
    "plot": _cmd_plot,
    "report": _cmd_report,
    "backtest": cmd_backtest,
    "calibrate": cmd_calibrate,
}
