"""The arguments of ``escalate run``, ``sweep``, ``trace`` and ``repair``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .base import add_out, non_negative_int, positive_int, seed

_EPILOG_RUN = """\
examples:
  escalate run europe_1914 --replicates 1000000 --seed 1 --out results/1914
  escalate run europe_1914 europe_1914_no_alliances \\
      --replicates 1000000 --seed 1 --out results/compare --participants
  escalate run europe_1914 --replicates 50000000 --seed 1 --out big --resume

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
  escalate run europe_1914 -n 50000000 -s 1 -o results/big --resume

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


def _add_run_options(p: argparse.ArgumentParser, out_required: bool = True) -> None:
    p.add_argument(
        "--replicates",
        "-n",
        type=positive_int,
        required=True,
        metavar="N",
        help="cascades per world (underscores allowed: 1_000_000)",
    )
    p.add_argument("--seed", "-s", type=seed, required=True, metavar="S", help="run seed")
    add_out(p, "DIR", "output directory (Parquet dataset)", required=out_required)
    p.add_argument(
        "--threads",
        "-t",
        type=positive_int,
        metavar="T",
        help="numba threads (default: all cores)",
    )
    p.add_argument(
        "--chunk-size",
        type=positive_int,
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
        type=positive_int,
        metavar="WORKERS",
        help="start a local Dask cluster with this many worker processes",
    )


def add_run(sub: Any, fmt: Any) -> None:
    """``escalate run``."""
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


def add_repair(sub: Any, fmt: Any) -> None:
    """``escalate repair``."""
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


def add_sweep(sub: Any, fmt: Any) -> None:
    """``escalate sweep``."""
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
            "  escalate sweep europe_1914 \\\n"
            "      --set dynamics.reliability.defense=0:1:5 \\\n"
            "      --replicates 200000 --seed 1 --out results/sweep\n"
            "  escalate sweep europe_1914 --set dynamics.deterrence=0,0.2,0.5 \\\n"
            "      --set 'alliances[Dual Alliance (1879) defense].reliability=0.5:1:3' \\\n"
            "      -n 100000 -s 1 -o sw\n"
            "\nKEY is a dotted path into the world: dynamics.*, alliances[NAME].reliability,\n"
            "organizations[NAME].response.military, plans[NAME or INDEX].probability,\n"
            "nations[ID].power. VALUES are START:STOP:STEPS (inclusive) or a comma list.\n"
            "The table of variants is written to DIR/variants.csv; `escalate compare DIR\n"
            "--sweep` adds a table with the swept values as columns, and `escalate plot DIR`\n"
            "draws P(world war) and mean belligerents against them (figures/sweep.png)."
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


def add_trace(sub: Any, fmt: Any) -> None:
    """``escalate trace``."""
    p = sub.add_parser(
        "trace",
        help="tell the story of one cascade, decision by decision",
        formatter_class=fmt,
        description=(
            "Replay replicate I of WORLD under seed S with the plain-Python reference "
            "(the same keyed draws as the kernel) and print every decision, round by "
            "round: attacks, obligations with their conditions and draws, neutrality "
            "pledges, organizations (who blocked, every member's response), war plans, "
            "deterrence and arbitration draws, and the outcome."
        ),
        epilog=(
            "examples:\n"
            "  escalate trace europe_1914 --seed 1 --replicate 0\n"
            "  escalate trace teaching -s 7 -r 42 --json > story.json\n\n"
            "The final row is the row `escalate run ... --seed S` writes for replicate I."
        ),
    )
    p.add_argument("world", metavar="WORLD", help="a world file or a bundled name")
    p.add_argument("--seed", "-s", type=seed, required=True, metavar="S", help="run seed")
    p.add_argument(
        "--replicate", "-r", type=non_negative_int, default=0, metavar="I",
        help="replicate index (default 0)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="the events as JSON on stdout")
