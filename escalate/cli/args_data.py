"""The arguments of the commands that read COW/ATOP data: import, backtest, calibrate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..model.schema import DECIDE_RULES, ENTRY_RULES
from .base import add_out, non_negative_int, positive_int, seed


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


def add_import(sub: Any, fmt: Any) -> None:
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
            "  escalate import ... --region europe --overlay my_overlay.toml\n"
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
        "--exclude",
        metavar="KEYS",
        type=lambda v: [k for k in v.split(",") if k.strip()],
        default=[],
        help="treaties to leave out although in force, comma-separated keys as the world "
        "file's comments name them: --exclude 'ATOP 3322,COW 45' (an ATOP treaty takes "
        "its COW counterpart with it; default: none)",
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
    add_out(p, "TOML", "the world file to write ('-' for stdout)", required=True)
    p.add_argument("--force", action="store_true", help="overwrite TOML if it exists")


def _add_fit_options(p: argparse.ArgumentParser) -> None:
    """The options of the likelihood fits of ``backtest`` and ``calibrate``."""
    p.add_argument(
        "--jobs",
        type=positive_int,
        metavar="N",
        help="worker processes for the fits, each with its share of the cores (default: one "
        "per core; 1 runs them in this process); the fits are the same for any N",
    )
    p.add_argument(
        "--folds",
        type=non_negative_int,
        default=10,
        metavar="K",
        help="held-out folds over wars, each predicted by a fit on the others (default 10)",
    )
    p.add_argument(
        "--fit-replicates",
        type=positive_int,
        default=250,
        metavar="N",
        help="cascades per war and evaluation during a fit (default 250)",
    )
    p.add_argument(
        "--max-evaluations",
        type=positive_int,
        default=1500,  # escalate.backtest.fit.MAX_EVALUATIONS (a test checks)
        metavar="E",
        help="evaluations of the likelihood per fit, at most (default 1500: a fit on the "
        "COW wars ends by its tolerance first)",
    )
    p.add_argument(
        "--entry",
        choices=ENTRY_RULES,
        help="fit under this entry rule only (default: fit under each, keep the likelier)",
    )
    p.add_argument(
        "--decide",
        choices=DECIDE_RULES,
        help="fit under this decide rule only (default: fit under each, keep the likelier)",
    )


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
        type=positive_int,
        default=default_replicates,
        metavar="N",
        help=f"cascades per war (default {default_replicates:,})",
    )
    p.add_argument("--seed", "-s", type=seed, default=1, metavar="S", help="run seed (default 1)")
    p.add_argument("--since", type=int, metavar="YEAR", help="wars that began in YEAR or later")
    p.add_argument("--until", type=int, metavar="YEAR", help="wars that began in YEAR or earlier")
    p.add_argument(
        "--war-ids", metavar="LIST", help="only these COW WarNum, comma separated (106,139)"
    )
    p.add_argument(
        "--min-participants",
        type=positive_int,
        default=2,
        metavar="K",
        help="wars with at least K participant states (default 2)",
    )
    p.add_argument(
        "--window",
        type=non_negative_int,
        default=180,
        metavar="DAYS",
        help="a state joined if it entered within DAYS of the start (default 180)",
    )
    add_out(p, "DIR", "the directory to write (created; files in it are replaced)", required=True)


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


def add_backtest(sub: Any, fmt: Any) -> None:
    """``escalate backtest``."""
    p = sub.add_parser(
        "backtest",
        help="score the model's predictions of who joins every COW inter-state war",
        formatter_class=fmt,
        description=(
            "For each COW inter-state war: the world of the states in the system on the\n"
            "day it began (imported, no overlay; treaties formed for the war, signed at\n"
            "most 30 days before it or coded so by ATOP, left out), the incident (every\n"
            "state at war on the first day; the earliest COW initiator's side attacks),\n"
            "deterrence = 0 and the defaults; P(at war) and P(each side) of every state\n"
            "are scored against those that joined within --window days, beside the\n"
            "baselines, and each war is also predicted by a fit that did not see it."
        ),
        epilog=_EPILOG_BACKTEST,
    )
    _add_war_data(p, 10_000)
    p.add_argument(
        "--bootstrap",
        type=positive_int,
        default=1000,
        metavar="B",
        help="bootstrap resamples of wars (default 1000)",
    )
    _add_fit_options(p)
    p.add_argument("--json", action="store_true", help="print summary.json instead of the table")
    p.add_argument("--no-figures", action="store_true", help="do not draw the figures")


def add_calibrate(sub: Any, fmt: Any) -> None:
    """``escalate calibrate``."""
    p = sub.add_parser(
        "calibrate",
        help="fit version 3's honour and unaligned coefficients to the COW wars",
        formatter_class=fmt,
        description=(
            "Fit every coefficient of [dynamics.honour] and [dynamics.unaligned] by maximum\n"
            "simulated likelihood of each third party's outcome (stayed out, joined side 1,\n"
            "joined side 2) over the backtest's wars, under each rule pair (entry = enemies\n"
            "or side; decide = obligation or treaty: the likeliest pair is kept), from a\n"
            "fixed start (common random numbers, bounded Powell),\n"
            "times a normal prior of scale 2.5 around the start (a MAP fit).\n"
            "Out of sample: K folds over wars and both era splits (to 1945 / after), each\n"
            "fit from the same start; bootstrap refits over wars give the intervals.\n"
            "Writes DIR/calibration.json and DIR/fit.toml (the [dynamics] tables)."
        ),
        epilog=(
            "example:\n  escalate calibrate --wars Inter-StateWarData_v4.0.csv \\\n"
            "      ... --replicates 1000 --out calibration\nexit codes: 0 ok, 2 bad input."
        ),
    )
    _add_war_data(p, 1000)
    p.add_argument(
        "--bootstrap",
        type=non_negative_int,
        default=0,
        metavar="B",
        help="bootstrap refits over wars for the intervals (default 0: none; each is a fit)",
    )
    _add_fit_options(p)
    p.add_argument("--json", action="store_true", help="print calibration.json")
