"""The commands that read the COW/ATOP data and fit the model: backtest, calibrate."""

from __future__ import annotations

import argparse
import sys

__all__ = ["cmd_backtest", "cmd_calibrate", "load_kernel"]

#: Seconds of loading after which the kernel is said to be compiling: loading it from
#: the cache takes about a second, longer on a busy machine; compiling it 30 to 90.
NOTE_AFTER_S = 5.0


def load_kernel() -> None:
    """Load the compiled kernel; say so only if it takes long (it is being compiled)."""
    import threading

    from ..runner import warm_up

    note = threading.Timer(
        NOTE_AFTER_S,
        lambda: print(
            "escalate: compiling the kernel (the first run on a machine takes 30 to 90 s; "
            "it is cached for later runs)",
            file=sys.stderr,
        ),
    )
    note.start()
    try:
        warm_up()
    finally:
        note.cancel()


def _war_options(args: argparse.Namespace) -> dict:
    """The keyword arguments of backtest() and calibrate() from the shared flags."""
    ids = None
    if args.war_ids:
        try:
            ids = [int(x) for x in args.war_ids.split(",") if x.strip()]
        except ValueError:
            raise ValueError(
                f"--war-ids {args.war_ids!r}: expected a list of COW WarNum, e.g. 106,139"
            ) from None
    names = ["states", "capabilities", "majors", "atop", "cow", "replicates", "seed"]
    names += ["since", "until", "min_participants", "window"]
    return {**{k: getattr(args, k) for k in names}, "war_ids": ids}


def _rules(args: argparse.Namespace) -> tuple[tuple[str, str], ...]:
    """The (entry, decide) pairs a fit compares: all, or those ``--entry``/``--decide`` keep."""
    from ..backtest.calibrate import RULES

    return tuple((e, d) for e, d in RULES if args.entry in (None, e) and args.decide in (None, d))


def cmd_backtest(args: argparse.Namespace) -> int:
    """``escalate backtest``: predictions, held-out fits, baselines, scores, figures."""
    from ..backtest import backtest
    from ..backtest.pool import default_jobs
    from ..viz.backtest import backtest_markdown, write_backtest_figures

    if args.atop is None and args.cow is None:
        raise ValueError("alliances: give an ATOP file (--atop), a COW file (--cow) or both")
    load_kernel()

    def progress(message: str) -> None:
        print(f"backtest: {message}", file=sys.stderr, flush=True)

    result = backtest(
        args.wars,
        **_war_options(args),
        resamples=args.bootstrap,
        folds=args.folds,
        fit_replicates=args.fit_replicates,
        max_evaluations=args.max_evaluations,
        jobs=args.jobs or default_jobs(),
        rules=_rules(args),
        progress=progress,
    )
    paths = result.write(args.out)
    text = backtest_markdown(result.summary, result.wars)
    (args.out / "report.md").write_text(text, encoding="utf-8")
    if not args.no_figures:
        paths += write_backtest_figures(result.summary, result.wars, args.out)
    if args.json:
        print((args.out / "summary.json").read_text(encoding="utf-8"), end="")
    else:
        print(text, end="")
        t = result.timings
        print(
            f"wrote {args.out} in {sum(t.values()):.0f} s (import {t['import']:.0f} s, "
            f"simulate {t['simulate']:.0f} s, scoring {t['scoring']:.0f} s)",
            file=sys.stderr,
        )
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``escalate calibrate``: the fit, its folds, eras and intervals; fit.toml."""
    import json

    from ..backtest import calibrate, toml_fragment
    from ..backtest.pool import default_jobs

    if args.atop is None and args.cow is None:
        raise ValueError("alliances: give an ATOP file (--atop), a COW file (--cow) or both")
    load_kernel()
    options = _war_options(args)
    options["predict_replicates"] = options.pop("replicates")
    cal = calibrate(
        args.wars,
        **options,
        replicates=args.fit_replicates,
        max_evaluations=args.max_evaluations,
        jobs=args.jobs or default_jobs(),
        resamples=args.bootstrap,
        folds=args.folds,
        rules=_rules(args),
        progress=lambda m: print(f"calibrate: {m}", file=sys.stderr, flush=True),
    )
    args.out.mkdir(parents=True, exist_ok=True)
    data = json.dumps(cal.to_dict(), indent=1, default=float)
    (args.out / "calibration.json").write_text(data + "\n", encoding="utf-8")
    fragment = toml_fragment(cal, " ".join(["escalate", *sys.argv[1:]]))
    (args.out / "fit.toml").write_text(fragment, encoding="utf-8")
    print(data if args.json else fragment, end="\n" if args.json else "")
    return 0
