"""The arguments of the commands that check, make and show worlds and results.

``check``, ``worlds``, ``compare``, ``generate``, ``plot``, ``report``, ``draw``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import add_out, seed


def add_check(sub: Any, fmt: Any) -> None:
    """``escalate check``."""
    p = sub.add_parser(
        "check",
        help="validate world files and print a summary",
        formatter_class=fmt,
        description="Validate world files; print nations, obligations, organizations, plans.",
        epilog=(
            "examples:\n  escalate check my_world.toml\n  escalate check europe_1914 teaching\n\n"
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


def add_worlds(sub: Any, fmt: Any) -> None:
    """``escalate worlds``."""
    sub.add_parser(
        "worlds",
        help="list the bundled worlds (usable by name wherever a world file is)",
        formatter_class=fmt,
        description="List the bundled worlds: name, nations, description.",
        epilog="example:\n  escalate worlds\n  escalate run europe_1914 -n 100000 -s 1 -o out",
    )


def add_compare(sub: Any, fmt: Any) -> None:
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
    add_out(
        p,
        "FILE",
        "write to FILE instead of stdout (required for parquet); with --tails the "
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
        help="for a sweep, a compact table: a row per variant with its swept values (from "
        "DIR/variants.csv) as columns, P(world war) and mean belligerents with intervals and "
        "the Holm-adjusted p against the baseline; on the terminal instead of the full "
        "comparison, beside it with -o (FILE_sweep) or --format csv/json",
    )


def add_generate(sub: Any, fmt: Any) -> None:
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
            "  escalate generate bipolar --nations europe_1914 -o bipolar.toml\n"
            "  escalate generate collective-security --veto \\\n"
            "      --nations europe_1914 -o cs.toml\n"
            "  escalate generate random --density 0.1 --seed 3 \\\n"
            "      --nations europe_1914 -o r.toml\n"
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
    add_out(p, "OUT.toml", "the world file to write", required=True)
    p.add_argument(
        "--name",
        help="name of the new world (default: WORLD_KIND; for random WORLD_random_sSEED_dDENSITY; "
        "_veto and _rR added for --veto and --reliability R)",
    )
    p.add_argument(
        "--seed", type=seed, metavar="S", help="generation seed (random kind only; default: 0)"
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


def add_plot(sub: Any, fmt: Any) -> None:
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
    add_out(p, "FOLDER", "where to write the figures (default: DIR/figures)")
    p.add_argument(
        "--formats", default="png,svg", help="comma list of png, svg, pdf (default: png,svg)"
    )
    add_top(p)


def add_top(p: Any) -> None:
    """``--top N``: the nations of the heatmap (plot, report)."""
    from ..viz.nations import TOP

    p.add_argument(
        "--top",
        type=int,
        default=TOP,
        metavar="N",
        help=f"the heatmap shows the N nations most often at war (default {TOP}; 0: all)",
    )


def add_report(sub: Any, fmt: Any) -> None:
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
    add_out(p, "FILE", "the page to write (default: DIR/report.html)")
    p.add_argument(
        "--baseline", metavar="NAME", help="structure to compare against (default: the first)"
    )
    add_top(p)


def add_draw(sub: Any, fmt: Any) -> None:
    """``escalate draw``."""
    p = sub.add_parser(
        "draw",
        help="draw a picture of a world (nations, obligations, organizations, plans)",
        formatter_class=fmt,
        description=(
            "Draw WORLD: nations as nodes (area by power, majors with a thick outline), "
            "obligations as arrows coloured by kind (dashed and labelled when conditional), "
            "organizations as shaded groups, war plans as dotted arrows, the incident "
            "highlighted. With a fixed incident the initiator's bloc is on the left, the "
            "target's on the right. The layout has a fixed seed: the same world gives the "
            "same file."
        ),
        epilog=(
            "examples:\n"
            "  escalate draw europe_1914 -o world.png\n"
            "  escalate draw teaching -o teaching.svg\n"
            "  escalate draw europe_1914 -o world.svg --labels none\n\n"
            "The format follows the suffix of FILE: .png, .svg or .pdf."
        ),
    )
    p.add_argument("world", metavar="WORLD", help="a world file or a bundled name")
    add_out(p, "FILE", "the picture to write (.png, .svg or .pdf)", required=True)
    p.add_argument(
        "--labels",
        choices=("treaty", "pair", "none"),
        default="treaty",
        help="where a treaty's condition is written: once per treaty (default), once per "
        "pair of nations, or nowhere",
    )
