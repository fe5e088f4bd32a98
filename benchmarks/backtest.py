"""Backtest benchmark: how long the backtest of the COW wars takes, and where the time goes.

Runs :func:`escalate.backtest` on the COW files (``--data DIR``, else
``ESCALATE_DATA_DIR``, else ``shared/data`` beside the repository) after a warm-up
call that compiles the kernel (compilation is not timed), and reports the time of
each stage: ``import`` (reading the files, once per process, and building each war's
world), ``simulate`` (the model and the no-alliance baseline, ``replicates`` cascades
each per war), ``scoring`` (every score, three windows, bootstrap over wars). With
``--calibrate`` it also times :func:`escalate.calibrate`. Prints a table and writes
the numbers, the parameters and the machine to JSON.

It also measures the calibration's inner loop: one *evaluation* is the likelihood of
every war's third parties at one coefficient vector (the fixed start), ``--eval-
replicates`` cascades per war (default 1,000), each war's world compiled once before
(:class:`~escalate.backtest.fit.Objective`); reported as seconds per
evaluation and evaluations per second, the fastest of ``--evaluations`` (default 5).

    python benchmarks/backtest.py                      # every war, 10,000 replicates
    python benchmarks/backtest.py --quick              # 5 wars, 1,000 replicates
    python benchmarks/backtest.py --calibrate --json out.json
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

import numba  # noqa: E402
import numpy as np  # noqa: E402

import escalate  # noqa: E402

SCHEMA = "escalate-backtest-benchmark/1"
DEFAULT_JSON = HERE / "results" / "backtest.json"
FILES = {
    "wars": "cow_interstate_war_v4.0/Inter-StateWarData_v4.0.csv",
    "states": "cow_state_system_v2016/states2016.csv",
    "majors": "cow_state_system_v2016/majors2016.csv",
    "capabilities": "cow_nmc_v6.0/NMC-60-abridged.csv",
    "atop": "atop_v5.1/atop5_1m.csv",
    "cow": "cow_alliances_v4.1/alliance_v4.1_by_member.csv",
}


def _data_dir(arg: Path | None) -> Path:
    if arg is not None:
        return arg
    env = os.environ.get("ESCALATE_DATA_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def data_paths(arg: Path | None) -> dict[str, Path] | None:
    """The COW/ATOP files by role under ``arg`` (or the default folder); None, said, if absent."""
    data = _data_dir(arg)
    paths = {k: data / v for k, v in FILES.items()}
    if not all(p.exists() for p in paths.values()):
        print(f"no COW/ATOP files under {data} (set --data or ESCALATE_DATA_DIR)", file=sys.stderr)
        return None
    return paths


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 2 without the data files."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, help="folder of the COW/ATOP files")
    ap.add_argument("--replicates", type=int, default=10_000)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="5 wars, 1,000 replicates")
    ap.add_argument("--calibrate", action="store_true", help="also time escalate.calibrate")
    ap.add_argument("--evaluations", type=int, default=5, help="timed evaluations (0: none)")
    ap.add_argument("--eval-replicates", type=int, default=1000, help="cascades per war")
    ap.add_argument("--evaluation-only", action="store_true",
                    help="time the calibration's evaluations only, not the backtest")  # fmt: skip
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = ap.parse_args(argv)
    paths = data_paths(args.data)
    if paths is None:
        return 2
    wars = paths.pop("wars")
    ids = [106, 139, 151, 211, 55] if args.quick else None
    replicates = 1000 if args.quick else args.replicates
    resamples = 100 if args.quick else args.bootstrap
    if args.evaluation_only:
        ev = evaluation_seconds(wars, paths, ids, args.eval_replicates, args.evaluations,
                                args.seed)  # fmt: skip
        print(evaluation_line(ev, args.evaluations))
        return 0

    t = time.perf_counter()
    escalate.backtest(wars, **paths, replicates=10, resamples=1, war_ids=[1])  # compile
    warm = time.perf_counter() - t
    t = time.perf_counter()
    result = escalate.backtest(
        wars, **paths, replicates=replicates, seed=args.seed, resamples=resamples, war_ids=ids
    )
    total = time.perf_counter() - t
    stages = dict(result.timings)
    rows = [*list(stages.items()), ("total", total)]
    if args.calibrate:
        t = time.perf_counter()
        cal = escalate.calibrate(
            wars, **paths, seed=args.seed, war_ids=ids, resamples=5 if args.quick else 20
        )
        rows.append(("calibrate", time.perf_counter() - t))
        stages["calibrate_simulations"] = cal.settings["simulations"]
    evaluation = (
        evaluation_seconds(wars, paths, ids, args.eval_replicates, args.evaluations, args.seed)
        if args.evaluations > 0
        else None
    )
    scored = result.summary["wars_scored"]
    print(f"backtest of {scored} wars, {replicates:,} cascades per world (x2: model and "
          f"no alliances), {resamples} bootstrap resamples; warm-up {warm:.1f} s")  # fmt: skip
    print(f"{'stage':<12}{'seconds':>10}{'share':>8}")
    for name, sec in rows:
        share = f"{sec / total:>7.0%}" if name in result.timings else ""
        print(f"{name:<12}{sec:>10.1f} {share}")
    if evaluation is not None:
        print(evaluation_line(evaluation, args.evaluations))
    record = {
        "schema": SCHEMA,
        "when": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "numba": numba.__version__,
            "escalate": escalate.__version__,
            "threads": numba.get_num_threads(),
        },
        "parameters": {
            "replicates": replicates,
            "resamples": resamples,
            "seed": args.seed,
            "quick": args.quick,
            "wars_scored": scored,
        },
        "seconds": dict(rows),
        "warm_up_s": warm,
        "stages": stages,
        "evaluation": evaluation,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


def evaluation_line(ev: dict[str, float], repeats: int) -> str:
    """The one line that reports :func:`evaluation_seconds`."""
    return (f"calibration evaluation: {ev['wars']} wars x {ev['replicates']:,} cascades in "
            f"{ev['seconds']:.3f} s (fastest of {repeats}): {ev['evaluations_per_s']:.1f} "
            f"evaluations/s on {numba.get_num_threads()} threads")  # fmt: skip


def load_war_cases(wars: Path, paths: dict[str, Path], ids: list[int] | None) -> list:
    """Each war's case (world of the day, third parties), as the backtest builds them."""
    from escalate.backtest.predict import DataFiles, load_cases

    files = DataFiles.of(paths["states"], paths["capabilities"], paths["majors"],
                         paths["atop"], paths["cow"])  # fmt: skip
    _, cases, _ = load_cases(wars, files, since=None, until=None, war_ids=ids,
                             min_participants=2)  # fmt: skip
    return cases


def evaluation_seconds(
    wars: Path,
    paths: dict[str, Path],
    ids: list[int] | None,
    replicates: int,
    repeats: int,
    seed: int,
) -> dict[str, float]:
    """The fastest of ``repeats`` evaluations of the likelihood of every war at the start."""
    from escalate.backtest.fit import Objective
    from escalate.backtest.params import START

    cases = load_war_cases(wars, paths, ids)
    objective = Objective(cases, "enemies", 180, replicates, seed)
    weights = np.ones(len(cases))
    objective.mean(START, weights)  # compiles each war's world once
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        objective.mean(START, weights)
        best = min(best, time.perf_counter() - t)
    cascades = replicates * len(cases)
    return {"wars": len(cases), "replicates": replicates, "seconds": best,
            "evaluations_per_s": 1 / best, "cascades_per_s": cascades / best}  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
