"""What the sub-commands that read a results directory do: compare, plot, report."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def table_path(output: Path, name: str) -> Path:
    """Where ``compare -o FILE`` writes its table ``name``.

    FILE itself for ``compare``, else ``FILE_<name>`` with FILE's suffix
    (``FILE_tails``, ``FILE_sweep``).
    """
    return output if name == "compare" else output.with_name(f"{output.stem}_{name}{output.suffix}")


def _render(df, fmt: str, text) -> str:
    """``df`` as ``fmt`` (table: ``text(df)``; csv; json records)."""
    if fmt == "csv":
        return df.to_csv(index=False)
    if fmt == "json":
        return df.to_json(orient="records", indent=1)
    return text(df)


def _write_tables(tables: dict, args: argparse.Namespace) -> None:
    """Write every table of ``compare`` in ``--format``: to stdout, or one file per table.

    ``tables`` maps a name (``compare``, ``tails``) to (frame, text formatter).
    On stdout several tables are text tables one after the other, or one JSON
    object with a key per table; CSV and Parquet hold one table, so several
    need ``-o``.
    """
    import json

    fmt, output = args.format, args.out
    if output is None:
        if fmt == "parquet":
            raise ValueError("--format parquet needs --out FILE")
        if fmt == "csv" and len(tables) > 1:
            extra = [name for name in tables if name != "compare"]
            flags = " and ".join(f"--{name}" for name in extra)
            files = ", ".join(f"FILE_{name}.csv" for name in extra)
            raise ValueError(
                f"--format csv holds one table and {flags} add{'s' if len(extra) == 1 else ''} "
                f"more: give -o FILE (the comparison goes to FILE, the others to {files}), "
                "or use --format json (one object with every table)"
            )
        if fmt == "json" and len(tables) > 1:
            print(
                json.dumps(
                    {k: json.loads(_render(df, fmt, text)) for k, (df, text) in tables.items()},
                    indent=1,
                )
            )
            return
        print("\n\n".join(_render(df, fmt, text).rstrip("\n") for df, text in tables.values()))
        return
    paths = []
    for name, (df, text) in tables.items():
        path = table_path(output, name)
        if fmt == "parquet":
            df.to_parquet(path)
        else:
            body = _render(df, fmt, text)
            path.write_text(body + ("" if body.endswith("\n") else "\n"), encoding="utf-8")
        paths.append(str(path))
    if len(paths) > 1:
        print(f"wrote {', '.join(paths)}", file=sys.stderr)


def _shared(directory: Path, baseline: str) -> dict:
    """The nations each structure shares with the baseline; one stderr line if few do."""
    from ..results.store import read_manifest
    from ..viz.runinfo import few_shared, manifest_pairing

    shared = manifest_pairing(read_manifest(directory).worlds, baseline)
    few = [name for name, c in shared.items() if few_shared(c)]
    if few:
        c = shared[few[0]]
        more = f" (and {len(few) - 1} more structures)" if len(few) > 1 else ""
        print(
            f"escalate compare: {few[0]}{more} shares only {c.shared:,} of {c.nations:,} "
            f"nations with "
            f"{baseline}: pairing shares random draws only through shared nations, so the "
            "paired differences gain little over unpaired ones",
            file=sys.stderr,
        )
    return shared


def _cmd_compare(args: argparse.Namespace) -> int:
    from ..analysis.compare import compare_results
    from ..analysis.tails import tail_exponents
    from ..results.read import read_results
    from ..results.variants import VARIANTS_FILE, read_variants
    from ..viz.sweep import format_sweep, sweep_table
    from ..viz.tables import format_tails, format_text

    variants = read_variants(args.dir)
    if args.sweep and variants is None:
        raise ValueError(
            f"{args.dir} is not a sweep (no {VARIANTS_FILE}; escalate sweep writes it): "
            "leave out --sweep"
        )
    # the statistics are added up part by part (flat memory); the tail fit needs
    # the war sizes themselves, so --tails reads those two columns whole
    table = compare_results(args.dir, baseline=args.baseline, verify=True, progress=True)
    shared = _shared(args.dir, table.attrs["baseline"])
    tables: dict[str, tuple[Any, Callable[[Any], str]]] = {
        "compare": (table, lambda df: format_text(df, shared))
    }
    if args.tails:
        cols = ["structure", "belligerents", "deterred"]
        # every part's digest was checked by the comparison above
        tails = tail_exponents(read_results(args.dir, columns=cols, progress=True))
        tables["tails"] = (tails, format_tails)
    if args.sweep:
        tables["sweep"] = (sweep_table(table, variants), format_sweep)
        if args.format == "table" and args.out is None:  # on a terminal: the compact table only
            del tables["compare"]
            print(
                f"escalate compare: a row per variant; every metric of every variant: "
                f"escalate compare {shlex.quote(str(args.dir))}",
                file=sys.stderr,
            )
    elif variants is not None and args.format == "table":
        print(
            f"escalate compare: {args.dir} is a sweep; --sweep adds a table with a row per "
            "variant and its swept values as columns",
            file=sys.stderr,
        )
    _write_tables(tables, args)
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from ..viz.workflows import plot

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    for p in plot(args.dir, args.out, formats=formats, top=args.top or None, progress=True):
        print(p)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from ..viz.workflows import report

    print(report(args.dir, args.out, baseline=args.baseline, top=args.top or None, progress=True))
    return 0
