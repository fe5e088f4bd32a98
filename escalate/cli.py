"""The ``escalate`` command line: a thin layer over the Python API.

Exit codes: 0 success; 2 bad input (invalid world file, bad arguments, an output
directory that holds another job or cannot be created or written, a results
directory that is incomplete or foreign); 3 an I/O error while writing results
(e.g. a full disk; finished parts are kept); 130 interrupted by Ctrl-C (SIGINT);
143 terminated (SIGTERM). Interrupted runs keep every finished part: continue
with the same command plus ``--resume``. Errors are reported as one line on
stderr, without a traceback.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from ._version import __version__
from .results.errors import ResultsError

__all__ = ["build_parser", "main"]

EXIT_INPUT = 2
EXIT_IO = 3

_EPILOG_RUN = """\
examples:
  escalate run configs/europe_1914.toml --replicates 1000000 --seed 1 --out results/1914
  escalate run configs/europe_1914.toml configs/europe_1914_no_alliances.toml \\
      --replicates 1000000 --seed 1 --out results/compare --participants
  escalate run configs/europe_1914.toml --replicates 50000000 --seed 1 --out big --resume

output (read it with escalate.read_results(DIR) or pandas.read_parquet(DIR/"cascades")):
  DIR/manifest.json                          worlds, seed, layout, status
  DIR/cascades/structure=NAME/part-*.parquet one row per replicate
  DIR/participants/structure=NAME/...        one row per belligerent (--participants)

Rows depend only on the worlds, the seed and the replicate index: not on
--threads, --chunk-size, the backend, or the other worlds in the run.
Ctrl-C stops within seconds and keeps finished parts; rerun with --resume.
A job holds DIR's lock while it runs: a second job on the same DIR is refused
(exit 2) with the holder's pid, host and start time.
exit codes: 0 ok, 2 bad input, 3 I/O error, 130 interrupted, 143 terminated.
"""

_EPILOG_REPAIR = """\
examples:
  escalate repair results/big
  escalate run configs/europe_1914.toml -n 50000000 -s 1 -o results/big --resume

what it does (nothing is deleted):
  - reads every part whole, verifying its checksums, rows and metadata;
  - moves unreadable, corrupt or foreign parts (another world or seed, outside the
    run's layout) to DIR/quarantine/, keeping their paths;
  - rebuilds DIR/manifest.json from the part footers if it is missing or invalid;
  - records the remaining parts as done, so that --resume computes exactly the
    missing ones.
Use it when --resume or a reader says a part is corrupt or foreign, or the
manifest is missing. exit codes: 0 repaired, 2 not repairable or in use.
"""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``escalate run: error: ...``) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text.replace("_", ""), 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**64 - 1, got {value}")
    return value


def _add_run_options(p: argparse.ArgumentParser, out_required: bool = True) -> None:
    p.add_argument(
        "--replicates",
        "-n",
        type=_positive_int,
        required=True,
        metavar="N",
        help="cascades per world (underscores allowed: 1_000_000)",
    )
    p.add_argument("--seed", "-s", type=_seed, required=True, metavar="S", help="run seed")
    p.add_argument(
        "--out",
        "-o",
        type=Path,
        required=out_required,
        metavar="DIR",
        help="output directory (Parquet dataset)",
    )
    p.add_argument(
        "--threads",
        "-t",
        type=_positive_int,
        metavar="T",
        help="numba threads (default: all cores)",
    )
    p.add_argument(
        "--chunk-size",
        type=_positive_int,
        metavar="C",
        help="replicates per part file (default 1,048,576; less with --participants)",
    )
    p.add_argument(
        "--participants",
        action="store_true",
        help="also write one row per belligerent per replicate",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run in DIR, keeping finished parts",
    )
    g.add_argument("--overwrite", action="store_true", help="replace results already in DIR")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar, no summary line")
    p.add_argument(
        "--json", action="store_true", help="print a machine-readable JSON summary on stdout"
    )
    d = p.add_mutually_exclusive_group()
    d.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run parts on a dask.distributed scheduler (DIR must be shared)",
    )
    d.add_argument(
        "--dask-local",
        type=_positive_int,
        metavar="WORKERS",
        help="start a local Dask cluster with this many worker processes",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``escalate`` argument parser (all sub-commands)."""
    parser = _Parser(
        prog="escalate",
        description=(
            "Crisis-escalation Monte Carlo: run local incidents through alliance "
            "obligations, organizations and war plans, and compare alliance structures."
        ),
        epilog="Run 'escalate COMMAND --help' for the options and examples of each command.",
    )
    parser.add_argument("--version", action="version", version=f"escalate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    fmt = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser(
        "run",
        help="simulate worlds and write a Parquet dataset",
        epilog=_EPILOG_RUN,
        formatter_class=fmt,
        description="Run every WORLD file for N cascades under seed S and write the results.",
    )
    p.add_argument(
        "worlds",
        nargs="+",
        metavar="WORLD",
        help="world file(s) (TOML) or bundled world name(s), e.g. europe_1914",
    )
    _add_run_options(p)

    p = sub.add_parser(
        "check",
        help="validate world files and print a summary",
        formatter_class=fmt,
        description="Validate world files; print nations, obligations, organizations, plans.",
        epilog=(
            "examples:\n  escalate check configs/*.toml\n  escalate check europe_1914\n\n"
            "The dynamics in effect are listed one a line; values that differ from the\n"
            "defaults are marked *. exit code 2 if any file is invalid."
        ),
    )
    p.add_argument("worlds", nargs="+", metavar="WORLD", help="world file(s) or bundled name(s)")

    p = sub.add_parser(
        "worlds",
        help="list the bundled worlds (usable by name wherever a world file is)",
        formatter_class=fmt,
        description="List the bundled worlds: name, nations, description.",
        epilog="example:\n  escalate worlds\n  escalate run europe_1914 -n 100000 -s 1 -o out",
    )

    p = sub.add_parser(
        "repair",
        help="set corrupt or foreign parts aside and rebuild the manifest, for --resume",
        formatter_class=fmt,
        description=(
            "Make a damaged or interrupted results directory resumable: check every "
            "part, quarantine the bad ones, rebuild the manifest from the parts."
        ),
        epilog=_EPILOG_REPAIR,
    )
    p.add_argument("dir", type=Path, metavar="DIR", help="a results directory")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")

    p = sub.add_parser(
        "compare",
        help="compare structures: intervals and paired tests",
        formatter_class=fmt,
        description=(
            "Per structure: P(world war), P(deterred), P(vetoed), war size, power share... "
            "with 95%% intervals; against the baseline: paired tests (McNemar, Wilcoxon), "
            "Holm-corrected, with the standard-error reduction from pairing."
        ),
        epilog=(
            "examples:\n  escalate compare results/compare --baseline europe_1914_no_alliances\n"
            "  escalate compare results/compare --format csv -o table.csv"
        ),
    )
    p.add_argument("dir", type=Path, metavar="DIR", help="a results directory")
    p.add_argument(
        "--baseline", metavar="NAME", help="structure to compare against (default: first)"
    )
    p.add_argument("--format", choices=("table", "csv", "json", "parquet"), default="table")
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="write to FILE instead of stdout (required for parquet)",
    )
    p.add_argument(
        "--tails",
        action="store_true",
        help="also print tail exponents of war size (needs the powerlaw package)",
    )

    p = sub.add_parser(
        "sweep",
        help="run a grid of variants of one world",
        formatter_class=fmt,
        description=(
            "Run every combination of the --set values as its own structure, in one "
            "dataset; variants share random draws, so they are paired by replicate."
        ),
        epilog=(
            "examples:\n"
            "  escalate sweep configs/europe_1914.toml \\\n"
            "      --set dynamics.reliability.defense=0:1:5 \\\n"
            "      --replicates 200000 --seed 1 --out results/sweep\n"
            "  escalate sweep configs/europe_1914.toml --set dynamics.deterrence=0,0.2,0.5 \\\n"
            "      --set 'alliances[Dual Alliance (1879) defense].reliability=0.5:1:3' \\\n"
            "      -n 100000 -s 1 -o sw\n"
            "\nKEY is a dotted path into the world: dynamics.*, alliances[NAME].reliability,\n"
            "organizations[NAME].response.military, plans[NAME or INDEX].probability,\n"
            "nations[ID].power. VALUES are START:STOP:STEPS (inclusive) or a comma list.\n"
            "The table of variants is written to DIR/variants.csv."
        ),
    )
    p.add_argument("world", metavar="WORLD", help="world file or bundled name")
    p.add_argument(
        "--set",
        dest="settings",
        action="append",
        required=True,
        metavar="KEY=VALUES",
        help="a parameter and its values (repeat for a grid)",
    )
    _add_run_options(p)

    p = sub.add_parser(
        "generate",
        help="write a generated alliance structure over a world's nations",
        formatter_class=fmt,
        description=(
            "Write a new world with the nations, powers, incident and dynamics of "
            "--nations WORLD and a generated alliance structure."
        ),
        epilog=(
            "examples:\n"
            "  escalate generate bipolar --nations configs/europe_1914.toml -o bipolar.toml\n"
            "  escalate generate collective-security --veto --nations configs/europe_1914.toml "
            "-o cs.toml\n"
            "  escalate generate random --density 0.1 --seed 3 --nations configs/europe_1914.toml "
            "-o r.toml"
        ),
    )
    p.add_argument(
        "kind",
        metavar="KIND",
        help="none, bipolar, collective-security, collective-defense, hub, random",
    )
    p.add_argument(
        "--nations",
        required=True,
        metavar="WORLD",
        help="world (file or bundled name) whose nations, incident and dynamics are kept",
    )
    p.add_argument("--output", "-o", type=Path, required=True, metavar="OUT.toml")
    p.add_argument("--name", help="name of the new world (default: WORLD_KIND)")
    p.add_argument("--seed", type=_seed, default=0, help="generation seed (random kind)")
    p.add_argument(
        "--density", type=float, default=0.1, help="pact probability per pair (random kind)"
    )
    p.add_argument(
        "--veto",
        action="store_true",
        help="major powers hold a veto (collective-security, collective-defense)",
    )
    p.add_argument("--reliability", type=float, help="reliability of generated treaties")
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")

    p = sub.add_parser(
        "plot",
        help="draw figures of a results directory",
        formatter_class=fmt,
        description="P(world war) per structure, CCDF of war size, entry curve, heatmap.",
        epilog="example:\n  escalate plot results/compare -o figures",
    )
    p.add_argument("dir", type=Path, metavar="DIR")
    p.add_argument("--output", "-o", type=Path, required=True, metavar="FOLDER")
    p.add_argument("--formats", default="png,svg", help="comma list of png, svg, pdf")

    p = sub.add_parser(
        "report",
        help="write a one-page HTML report of a results directory",
        formatter_class=fmt,
        epilog="example:\n  escalate report results/compare -o report.html",
    )
    p.add_argument("dir", type=Path, metavar="DIR")
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="default: DIR/report.html")
    p.add_argument("--baseline", metavar="NAME")
    return parser


def _one_line(message: str) -> str:
    """``message`` on one line: line breaks and other unprintable characters
    (e.g. from a quoted TOML key) are shown escaped, as in a Python string."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode() for c in message.strip()
    )


def _fail(code: int, message: str) -> int:
    print(f"escalate: error: {_one_line(message)}", file=sys.stderr)
    return code


def _load_kernel() -> None:
    """Load the compiled kernel; say so only if it takes long (it is being compiled)."""
    import threading

    from .runner import warm_up

    note = threading.Timer(
        1.0,
        lambda: print(
            "escalate: compiling the kernel (the first run on a machine takes about half a "
            "minute; it is cached for later runs)",
            file=sys.stderr,
        ),
    )
    note.start()
    try:
        warm_up()
    finally:
        note.cancel()


def _hint(e: ResultsError, args: argparse.Namespace) -> str:
    """What to do about a results error, in flags (the library says it in API words)."""
    where = shlex.quote(str(getattr(args, "dir", None) or getattr(args, "out", None) or "DIR"))
    hints = {
        "resume": "; finish it with `escalate run ... --resume`",
        "resume_or_overwrite": ("; use --resume to continue that run or --overwrite to replace it"),
        "new_out_or_overwrite": "; use a new --out, or --overwrite to replace it",
        "repair": (
            f"; `escalate repair {where}` sets bad parts aside and rebuilds the manifest, "
            "then rerun with --resume"
        ),
    }
    if e.hint is None or (e.hint == "repair" and args.command == "repair"):
        return ""
    return hints[e.hint]


def _client(args: argparse.Namespace):
    if not (args.dask or args.dask_local):
        return None, None
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError("--dask needs the dask extra: pip install 'escalate[dask]'") from None
    from .runner import warm_up

    warm_up()  # fill the numba cache before workers start, so they load it
    if args.dask:
        return Client(args.dask), None
    cluster = LocalCluster(n_workers=args.dask_local, threads_per_worker=1, processes=True)
    return Client(cluster), cluster


def _cmd_run(args: argparse.Namespace, worlds: list) -> int:
    """Run ``worlds``; exit code 0, 3 (I/O error), 130/143 (interrupted)."""
    from .runner import Interrupted, run

    show = not args.quiet and sys.stderr.isatty()
    if show and not (args.dask or args.dask_local):
        _load_kernel()
    client, cluster = _client(args)
    try:
        summary = run(
            worlds,
            args.out,
            args.replicates,
            args.seed,
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
        argv = [a for a in args.argv if a not in ("--overwrite", "--resume")]
        print(
            f"escalate: interrupted ({e}); finished parts are kept in {args.out}. "
            f"Resume with: escalate {shlex.join(argv)} --resume",
            file=sys.stderr,
        )
        return 128 + e.signum
    except OSError as e:
        where = e.filename or args.out
        return _fail(
            EXIT_IO,
            f"{where}: cannot write results ({e.strerror or e}); finished parts are kept "
            "in the output directory: fix the cause, then rerun the same command with --resume",
        )
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    if args.json:
        print(summary.to_json())
    elif not args.quiet:
        print(summary.line(), file=sys.stderr)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    """Validate each world (file or bundled name) and print its summary."""
    from .model.world import load_world

    for i, path in enumerate(args.worlds):
        w = load_world(path)
        if i:
            print()
        print(w.summary())
    return 0


def _cmd_worlds(args: argparse.Namespace) -> int:
    """List the bundled worlds: name, number of nations, description; one a line."""
    from .model.world import bundled_names, load_world

    names = bundled_names()
    width = max((len(n) for n in names), default=0)
    for name in names:
        w = load_world(name)
        description = " ".join(w.description.split()) or "-"
        print(f"{name:<{width}}  {len(w.nations):>5} nations  {description}")
    return 0


def _write_variants(rows: list[dict], path: Path) -> None:
    """Write the rows of ``variant_table`` as CSV (a header line, then one line a variant)."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else [], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _cmd_repair(args: argparse.Namespace) -> int:
    from .results.repair import repair

    report = repair(args.dir)
    if args.json:
        print(report.to_json())
    else:
        for line in report.lines():
            print(line, file=sys.stderr)
    return 0


def _emit(df, args: argparse.Namespace) -> None:
    if args.format == "parquet":
        if args.output is None:
            raise ValueError("--format parquet needs --output FILE")
        df.to_parquet(args.output)
        return
    if args.format == "csv":
        text = df.to_csv(index=False)
    elif args.format == "json":
        text = df.to_json(orient="records", indent=1)
    else:
        text = df.to_string(index=False)
    if args.output is None:
        print(text)
    else:
        args.output.write_text(text + ("\n" if not text.endswith("\n") else ""))


def _cmd_compare(args: argparse.Namespace) -> int:
    from .analysis.stats import compare
    from .analysis.tails import tail_exponents
    from .results.store import read_results
    from .viz.tables import format_text

    results = read_results(args.dir)
    table = compare(results, baseline=args.baseline)
    if args.format == "table":
        text = format_text(table)
        if args.output is None:
            print(text)
        else:
            args.output.write_text(text + "\n")
    else:
        _emit(table, args)
    if args.tails:
        print()
        print(tail_exponents(results).to_string(index=False))
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from .model.sweep import parse_setting, sweep_worlds, variant_table
    from .model.world import load_world

    base = load_world(args.world)
    settings = [parse_setting(s) for s in args.settings]
    worlds = sweep_worlds(base, settings)
    code = _cmd_run(args, worlds)
    if code == 0 or args.out.is_dir():
        _write_variants(variant_table(worlds, settings), args.out / "variants.csv")
    return code


def _cmd_generate(args: argparse.Namespace) -> int:
    from .model.generate import STRUCTURES, generate, generated_header
    from .model.world import dump_world, load_world

    if args.kind not in STRUCTURES:
        raise ValueError(
            f"unknown structure kind {args.kind!r}; choose from {', '.join(STRUCTURES)}"
        )
    if args.output.exists() and not args.force:
        raise ValueError(f"{args.output} exists; use --force to overwrite it")
    base = load_world(args.nations)
    w = generate(
        args.kind,
        base,
        name=args.name,
        seed=args.seed,
        density=args.density,
        veto=args.veto,
        reliability=args.reliability,
    )
    options = {"name": args.name, "veto": args.veto, "reliability": args.reliability}
    if args.kind == "random":
        options.update(seed=args.seed, density=args.density)
    header = f"escalate {__version__}\n" + generated_header(args.kind, base, **options)
    args.output.write_text(dump_world(w, header=header))
    print(
        f"wrote {args.output} ({w.name}: {len(w.alliances)} alliances, "
        f"{len(w.organizations)} organizations)",
        file=sys.stderr,
    )
    return 0


def _participants_or_none(d: Path):
    from .results.store import read_manifest, read_results

    if not read_manifest(d).participants:
        return None
    # the figures use only these: leave via/source (strings) on disk
    return read_results(d, participants=True, columns=["nation", "round"])


def _cmd_plot(args: argparse.Namespace) -> int:
    from .results.store import read_results
    from .viz.plots import plot_results

    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    bad = [f for f in formats if f not in ("png", "svg", "pdf")]
    if bad:
        raise ValueError(f"unknown figure format {bad[0]!r} (png, svg, pdf)")
    paths = plot_results(
        read_results(args.dir),
        args.output,
        participants=_participants_or_none(args.dir),
        formats=formats,
    )
    for p in paths:
        print(p)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .results.store import read_results
    from .viz.report import write_report

    out = args.output or args.dir / "report.html"
    write_report(
        read_results(args.dir), _participants_or_none(args.dir), out, baseline=args.baseline
    )
    print(out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``escalate`` command."""
    from .model.world import WorldError, load_world

    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv  # to print the command line to resume with
    if args.command is None:
        parser.print_help()
        return EXIT_INPUT
    try:
        if args.command == "run":
            return _cmd_run(args, [load_world(w) for w in args.worlds])
        handler = {
            "check": _cmd_check,
            "compare": _cmd_compare,
            "repair": _cmd_repair,
            "sweep": _cmd_sweep,
            "generate": _cmd_generate,
            "plot": _cmd_plot,
            "report": _cmd_report,
            "worlds": _cmd_worlds,
        }[args.command]
        return handler(args)
    except ResultsError as e:
        return _fail(EXIT_INPUT, f"{e}{_hint(e, args)}")
    except (WorldError, ValueError) as e:
        return _fail(EXIT_INPUT, str(e))
    except MemoryError as e:
        return _fail(
            EXIT_IO,
            f"out of memory ({str(e) or 'MemoryError'}); finished parts are kept: free memory "
            "(fewer threads, a smaller --chunk-size for a new run), then rerun with --resume",
        )
    except ImportError as e:
        return _fail(EXIT_INPUT, str(e))
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except BrokenPipeError:
        return 0
    except OSError as e:
        return _fail(EXIT_IO, f"{e.filename or ''}: {e.strerror or e}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
