"""The ``escalate`` argument parser: every sub-command, flag, help text and example."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NoReturn

from .._version import __version__

__all__ = ["EXIT_INPUT", "EXIT_IO", "build_parser"]

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


class _Formatter(argparse.HelpFormatter):
    """Help that wraps prose to the terminal and keeps examples as written.

    A paragraph (lines between blank lines) with an indented line, e.g. an
    example command, is printed as written; the others are wrapped.
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out = []
        for para in text.strip("\n").split("\n\n"):
            lines = para.splitlines()
            if any(line.startswith(" ") for line in lines) or para.rstrip().endswith(":"):
                out.append("\n".join(indent + line for line in lines))
            else:
                out.append(super()._fill_text(" ".join(lines), width, indent))
        return "\n\n".join(out)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``escalate run: error: ...``) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
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


def _add_run(sub: Any, fmt: Any) -> None:
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


def _add_check(sub: Any, fmt: Any) -> None:
    """``escalate check``."""
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
    p.add_argument(
        "--obligations",
        action="store_true",
        help="also list every directed obligation: obligor -> protege, kind, reliability "
        "(the treaty's own or the per-kind default), condition, treaty",
    )


def _add_data_files(p: argparse.ArgumentParser) -> None:
    """The COW/ATOP data files of ``import``, ``backtest`` and ``calibrate``."""
    for flag, required, what in (
        ("--states", True, "COW state system membership (states2016.csv)"),
        ("--capabilities", True, "COW National Material Capabilities (NMC-60-abridged.csv): "
         "power = cinc of the latest year not after the day"),
        ("--majors", False, "COW major powers (majors2016.csv); without it no nation is major"),
        ("--atop", False, "ATOP member-level file (atop5_1m.csv)"),
        ("--cow", False, "COW alliances, member level (alliance_v4.1_by_member.csv)"),
    ):  # fmt: skip
        p.add_argument(flag, required=required, type=Path, metavar="CSV", help=what)


def _add_import(sub: Any, fmt: Any) -> None:
    """``escalate import``."""
    p = sub.add_parser(
        "import",
        help="build a world from COW/ATOP data files on a given day",
        formatter_class=fmt,
        description=(
            "Build a world of the states in the COW state system on DATE: power is the\n"
            "COW NMC CINC of the latest year not after DATE, majors from the COW major\n"
            "powers file, and every alliance obligation in force that day from ATOP\n"
            "and/or COW member-level files (with both: the union, each disagreement\n"
            "written as a comment). An overlay adds what the data lack (patronage,\n"
            "guarantees, organizations, war plans). The file's header names every\n"
            "source with its sha256 and the command that rebuilds it."
        ),
        epilog=(
            "examples:\n"
            "  escalate import --date 1914-06-28 --states states2016.csv \\\n"
            "      --capabilities NMC-60-abridged.csv --majors majors2016.csv \\\n"
            "      --atop atop5_1m.csv --cow alliance_v4.1_by_member.csv \\\n"
            "      --incident AUH:YUG -o july_1914.toml\n"
            "  escalate import ... --region europe --overlay configs/overlays/europe_1914.toml\n"
            "  escalate import ... --incident IRQ:KUW --theatre middle_east\n"
            "  escalate import ... --incident GMY:POL --theatre europe,africa,middle_east\n\n"
            "nations are named by COW ccode (300), abbreviation (AUH) or world id;\n"
            "see docs/importing.md for the mapping of the data's codes."
        ),
    )
    p.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="the day of the world")
    _add_data_files(p)
    p.add_argument(
        "--region",
        metavar="REGION",
        help="keep only: americas, europe, africa, middle_east, asia, oceania (the COW "
        "regions by ccode), a ccode range (200-399) or a list (200,255,RUS)",
    )
    p.add_argument(
        "--overlay",
        type=Path,
        metavar="TOML",
        help="what the data lack: names, renames, edits, alliances, "
        "organizations, plans, dynamics, incident",
    )
    p.add_argument(
        "--incident",
        metavar="INIT:TARGET",
        help="the incident (default: the overlay's, else random among all nations); "
        "several on a side, comma-separated: GMY,AUH:RUS,FRN (every initiator attacks "
        "every target)",
    )
    p.add_argument(
        "--theatre",
        metavar="REGION[,REGION...]",
        help="the regions where the war is fought (model version 3): americas, europe, "
        "africa, middle_east, asia, oceania, e.g. --theatre europe,middle_east "
        "(default: the overlay's, else the target's region)",
    )
    p.add_argument(
        "--name", help="the world's name (default: the overlay's, else world_YYYY_MM_DD)"
    )
    p.add_argument(
        "--power-year",
        type=int,
        metavar="YEAR",
        help="CINC of the latest year not after YEAR (default: DATE's year)",
    )
    p.add_argument("--output", "-o", type=Path, required=True, metavar="TOML",
                   help="the world file to write ('-' for stdout)")  # fmt: skip


def _add_worlds(sub: Any, fmt: Any) -> None:
    """``escalate worlds``."""
    sub.add_parser(
        "worlds",
        help="list the bundled worlds (usable by name wherever a world file is)",
        formatter_class=fmt,
        description="List the bundled worlds: name, nations, description.",
        epilog="example:\n  escalate worlds\n  escalate run europe_1914 -n 100000 -s 1 -o out",
    )


def _add_repair(sub: Any, fmt: Any) -> None:
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


def _add_compare(sub: Any, fmt: Any) -> None:
    """``escalate compare``."""
    p = sub.add_parser(
        "compare",
        help="compare structures: intervals and paired tests",
        formatter_class=fmt,
        description=(
            "Per structure: P(world war), P(deterred), P(vetoed), war size, power share... "
            "with 95% intervals; against the baseline: paired tests (McNemar, Wilcoxon), "
            "Holm-corrected, with the standard-error reduction from pairing."
        ),
        epilog=(
            "examples:\n  escalate compare results/compare --baseline europe_1914_no_alliances\n"
            "  escalate compare results/compare --format csv -o table.csv\n"
            "  escalate compare results/compare --tails --format csv -o table.csv\n"
            "      (writes table.csv and table_tails.csv)\n"
            "  escalate compare results/compare --tails --format json > both.json\n"
            '      (one object: {"compare": [...], "tails": [...]})\n'
            "  escalate compare results/sweep --sweep\n"
            "      (a sweep: a row per variant, its swept values as columns)\n"
            "\nEvery --format applies to every table. The columns of both tables, with their\n"
            "units, are described in docs/outputs.md."
        ),
    )
    p.add_argument(
        "dir", type=Path, metavar="DIR", help="a results directory (of escalate run or sweep)"
    )
    p.add_argument(
        "--baseline", metavar="NAME", help="structure to compare against (default: the first)"
    )
    p.add_argument(
        "--format",
        choices=("table", "csv", "json", "parquet"),
        default="table",
        help="how to write every table: aligned text, CSV, JSON records or Parquet "
        "(default: table)",
    )
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="write to FILE instead of stdout (required for parquet); with --tails the "
        "tail exponents go to FILE_tails with the same suffix",
    )
    p.add_argument(
        "--tails",
        action="store_true",
        help="also give the tail exponents of war size, with the verdict of a test against "
        "an exponential tail (needs the powerlaw package)",
    )
    p.add_argument(
        "--sweep",
        action="store_true",
        help="also give, for a sweep, a compact table: a row per variant with its swept "
        "values (from DIR/variants.csv) as columns, P(world war) and mean belligerents "
        "with intervals and the Holm-adjusted p against the baseline (with -o: FILE_sweep)",
    )


def _add_sweep(sub: Any, fmt: Any) -> None:
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
            "  escalate sweep configs/europe_1914.toml \\\n"
            "      --set dynamics.reliability.defense=0:1:5 \\\n"
            "      --replicates 200000 --seed 1 --out results/sweep\n"
            "  escalate sweep configs/europe_1914.toml --set dynamics.deterrence=0,0.2,0.5 \\\n"
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


def _add_generate(sub: Any, fmt: Any) -> None:
    """``escalate generate``."""
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
            "  escalate generate collective-security --veto \\\n"
            "      --nations configs/europe_1914.toml -o cs.toml\n"
            "  escalate generate random --density 0.1 --seed 3 \\\n"
            "      --nations configs/europe_1914.toml -o r.toml\n"
            "\nA random structure is named WORLD_random_sSEED_dDENSITY, so that variants\n"
            "of one world can run side by side."
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
    p.add_argument(
        "--output", "-o", type=Path, required=True, metavar="OUT.toml",
        help="the world file to write",
    )  # fmt: skip
    p.add_argument(
        "--name",
        help="name of the new world (default: WORLD_KIND; for random WORLD_random_sSEED_dDENSITY)",
    )
    p.add_argument(
        "--seed", type=_seed, metavar="S", help="generation seed (random kind only; default: 0)"
    )
    p.add_argument(
        "--density",
        type=float,
        metavar="P",
        help="probability of a pact per pair of nations (random kind only; default: 0.1)",
    )
    p.add_argument(
        "--veto",
        action="store_true",
        help="major powers hold a veto (collective-security and collective-defense only)",
    )
    p.add_argument(
        "--reliability",
        type=float,
        metavar="R",
        help="reliability of generated treaties (default: the per-kind reliability of "
        "WORLD's [dynamics])",
    )
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")


def _add_plot(sub: Any, fmt: Any) -> None:
    """``escalate plot``."""
    p = sub.add_parser(
        "plot",
        help="draw figures of a results directory",
        formatter_class=fmt,
        description=(
            "P(world war) per structure, CCDF of war size, cascade length; with "
            "--participants runs the entry curve and the nation heatmap; for a sweep (a "
            "DIR with variants.csv) P(world war) and mean belligerents against the swept "
            "values (sweep)."
        ),
        epilog=(
            "examples:\n  escalate plot results/compare\n"
            "  escalate plot results/compare -o figures --formats pdf"
        ),
    )
    p.add_argument("dir", type=Path, metavar="DIR", help="a results directory")
    p.add_argument(
        "--output", "-o", type=Path, metavar="FOLDER",
        help="where to write the figures (default: DIR/figures)",
    )  # fmt: skip
    p.add_argument(
        "--formats", default="png,svg", help="comma list of png, svg, pdf (default: png,svg)"
    )


def _add_report(sub: Any, fmt: Any) -> None:
    """``escalate report``."""
    p = sub.add_parser(
        "report",
        help="write a one-page HTML report of a results or backtest directory",
        formatter_class=fmt,
        description=(
            "Write one self-contained HTML page: the estimates of every structure, paired "
            "differences against the baseline, tail exponents and the figures; for a "
            "sweep, a table of its variants with their swept values as columns. Given the "
            "directory of `escalate backtest`, the page holds the backtest's scores, skill, "
            "calibration and figures instead."
        ),
        epilog="examples:\n  escalate report results/compare\n"
        "  escalate report results/compare -o report.html --baseline europe_1914_no_alliances\n"
        "  escalate report backtest        # after escalate backtest ... --out backtest",
    )
    p.add_argument(
        "dir", type=Path, metavar="DIR",
        help="a results directory (escalate run) or a backtest directory (escalate backtest)",
    )  # fmt: skip
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="the page to write (default: DIR/report.html)",
    )
    p.add_argument(
        "--baseline", metavar="NAME", help="structure to compare against (default: the first)"
    )


def _add_trace(sub: Any, fmt: Any) -> None:
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
            "  escalate trace configs/teaching.toml -s 7 -r 42 --json > story.json\n\n"
            "The final row is the row `escalate run ... --seed S` writes for replicate I."
        ),
    )
    p.add_argument("world", metavar="WORLD", help="a world file or a bundled name")
    p.add_argument("--seed", "-s", type=_seed, required=True, metavar="S", help="run seed")
    p.add_argument(
        "--replicate", "-r", type=_non_negative_int, default=0, metavar="I",
        help="replicate index (default 0)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="the events as JSON on stdout")


def _add_draw(sub: Any, fmt: Any) -> None:
    """``escalate draw``."""
    p = sub.add_parser(
        "draw",
        help="draw a picture of a world (nations, obligations, organizations, plans)",
        formatter_class=fmt,
        description=(
            "Draw WORLD: nations as nodes (area by power, majors with a thick outline), "
            "obligations as arrows coloured by kind (dashed and labelled when conditional), "
            "organizations as shaded groups, war plans as dotted arrows, the incident "
            "highlighted. The layout has a fixed seed: the same world gives the same file."
        ),
        epilog=(
            "examples:\n"
            "  escalate draw europe_1914 -o world.png\n"
            "  escalate draw configs/teaching.toml -o teaching.svg\n\n"
            "The format follows the suffix of FILE: .png, .svg or .pdf."
        ),
    )
    p.add_argument("world", metavar="WORLD", help="a world file or a bundled name")
    p.add_argument(
        "--output", "-o", type=Path, required=True, metavar="FILE",
        help="the picture to write (.png, .svg or .pdf)",
    )  # fmt: skip


def _add_war_data(p: argparse.ArgumentParser, default_replicates: int) -> None:
    """The options ``escalate backtest`` and ``escalate calibrate`` share."""
    p.add_argument(
        "--wars",
        required=True,
        type=Path,
        metavar="CSV",
        help="COW Inter-State War Data (Inter-StateWarData_v4.0.csv)",
    )
    _add_data_files(p)
    p.add_argument(
        "--replicates",
        "-n",
        type=_positive_int,
        default=default_replicates,
        metavar="N",
        help=f"cascades per war (default {default_replicates:,})",
    )
    p.add_argument("--seed", "-s", type=_seed, default=1, metavar="S", help="run seed (default 1)")
    p.add_argument("--since", type=int, metavar="YEAR", help="wars that began in YEAR or later")
    p.add_argument("--until", type=int, metavar="YEAR", help="wars that began in YEAR or earlier")
    p.add_argument(
        "--war-ids", metavar="LIST", help="only these COW WarNum, comma separated (106,139)"
    )
    p.add_argument(
        "--min-participants",
        type=_positive_int,
        default=2,
        metavar="K",
        help="wars with at least K participant states (default 2)",
    )
    p.add_argument(
        "--window",
        type=_non_negative_int,
        default=180,
        metavar="DAYS",
        help="a state joined if it entered within DAYS of the start (default 180)",
    )
    p.add_argument(
        "--out", "-o", type=Path, required=True, metavar="DIR",
        help="the directory to write (created; files in it are replaced)",
    )  # fmt: skip


_EPILOG_BACKTEST = """\
example:
  escalate backtest --wars Inter-StateWarData_v4.0.csv --states states2016.csv \\
      --capabilities NMC-60-abridged.csv --majors majors2016.csv --atop atop5_1m.csv \\
      --cow alliance_v4.1_by_member.csv --replicates 10000 --seed 1 --out backtest

output:
  DIR/predictions.parquet  one row per war and state in the system that day
  DIR/wars.csv             one row per war: incident, counts, scores, skips
  DIR/summary.json         every score with its bootstrap interval, skill scores
  DIR/report.md            the tables in markdown
  DIR/reliability.png, DIR/joiners.png  (needs escalate[plot]; --no-figures skips)
See docs/backtest.md for the incident rule and the scores. exit codes: 0 ok, 2 bad input.
"""


def _add_backtest(sub: Any, fmt: Any) -> None:
    """``escalate backtest``."""
    p = sub.add_parser(
        "backtest",
        help="score the model's predictions of who joins every COW inter-state war",
        formatter_class=fmt,
        description=(
            "For each COW inter-state war: the world of the states in the system on the\n"
            "day it began (imported, no overlay), the incident (the earliest COW initiator\n"
            "attacks the earliest-entering state on the other side), deterrence = 0 and\n"
            "the defaults; P(at war) and P(each side) of every state are scored against\n"
            "those that joined within --window days, beside three baselines."
        ),
        epilog=_EPILOG_BACKTEST,
    )
    _add_war_data(p, 10_000)
    p.add_argument(
        "--bootstrap",
        type=_positive_int,
        default=1000,
        metavar="B",
        help="bootstrap resamples of wars (default 1000)",
    )
    p.add_argument("--json", action="store_true", help="print summary.json instead of the table")
    p.add_argument("--no-figures", action="store_true", help="do not draw the figures")


def _add_calibrate(sub: Any, fmt: Any) -> None:
    """``escalate calibrate``."""
    p = sub.add_parser(
        "calibrate",
        help="fit the per-kind alliance reliabilities to the COW wars",
        formatter_class=fmt,
        description=(
            "Fit the reliabilities of defense, offense, entente and neutrality obligations\n"
            "by minimum three-outcome log loss over the backtest's wars (common random\n"
            "numbers), with bootstrap refits over wars and k-fold cross-validation.\n"
            "Writes DIR/calibration.json and DIR/reliability.toml ([dynamics.reliability])."
        ),
        epilog=(
            "example:\n  escalate calibrate --wars Inter-StateWarData_v4.0.csv \\\n"
            "      ... --replicates 1000 --out calibration\nexit codes: 0 ok, 2 bad input."
        ),
    )
    _add_war_data(p, 1000)
    p.add_argument(
        "--bootstrap",
        type=_non_negative_int,
        default=20,
        metavar="B",
        help="bootstrap refits for the intervals (default 20)",
    )
    p.add_argument(
        "--folds",
        type=_positive_int,
        default=5,
        metavar="K",
        help="cross-validation folds over wars (default 5)",
    )
    p.add_argument("--json", action="store_true", help="print calibration.json")


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
    fmt = _Formatter
    for add in (
        _add_run,
        _add_trace,
        _add_draw,
        _add_check,
        _add_import,
        _add_worlds,
        _add_repair,
        _add_compare,
        _add_sweep,
        _add_generate,
        _add_plot,
        _add_report,
        _add_backtest,
        _add_calibrate,
    ):
        add(sub, fmt)
    return parser
