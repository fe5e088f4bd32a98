"""Fit budget benchmark: does a fit on all COW wars end within its evaluation budget?

Fits version 3's coefficients to every war (:func:`escalate.backtest.fit.fit`, from the
fixed start, ``--fit-replicates`` cascades per war and evaluation, one seed) at each
budget of ``--budgets``, and reports the evaluations used, the in-sample loss, the loss
with the prior's penalty, the seconds and the unaligned side terms. Then the kernel's
share of one evaluation: the expected counts of every war at the start, with unaligned
entry on and off (the fastest of ``--repeats``). Prints a table and writes JSON.

    python benchmarks/fit_budget.py --budgets 300,700,1500 --decide treaty
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from backtest import HERE, data_paths, load_war_cases

from escalate.backtest.fit import FTOL, XTOL, Objective, fit
from escalate.backtest.params import PARAMS, START, dynamics_of
from escalate.engine.coefficients import with_dynamics
from escalate.engine.driver import expected_counts_worlds

DEFAULT_JSON = HERE / "results" / "fit_budget.json"


def _kernel_seconds(obj: Objective, n_wars: int, replicates: int, repeats: int) -> dict:
    """Fastest expected counts of every war at the start, unaligned entry on and off."""
    obj.mean(START, np.ones(n_wars))  # builds each war's simulator
    sims = [obj._sims[i] for i in range(n_wars)]
    out = {}
    for label, off in (("unaligned_on", False), ("unaligned_off", True)):
        cws = []
        for s in sims:
            d = dynamics_of(s.world.dynamics, START, obj.entry, obj.decide)
            if off:
                un = tuple((k, -math.inf if k == "intercept" else v) for k, v in d.unaligned)
                d = dataclasses.replace(d, unaligned=un)
            cws.append(with_dynamics(s.cw, d, s.world))
        outs = [s._outputs(replicates) for s in sims]
        expected_counts_worlds(cws, obj.seed, replicates, outs)
        best = float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            expected_counts_worlds(cws, obj.seed, replicates, outs)
            best = min(best, time.perf_counter() - t)
        out[label] = best
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 2 without the data files."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, help="folder of the COW/ATOP files")
    ap.add_argument("--budgets", default="300,700,1500", help="evaluation budgets, comma separated")
    ap.add_argument("--entry", default="enemies", choices=["enemies", "side"])
    ap.add_argument("--decide", default="treaty", choices=["obligation", "treaty"])
    ap.add_argument("--fit-replicates", type=int, default=250)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5, help="timed kernel calls")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = ap.parse_args(argv)
    paths = data_paths(args.data)
    if paths is None:
        return 2
    cases = load_war_cases(paths.pop("wars"), paths, None)
    obj = Objective(cases, args.entry, 180, args.fit_replicates, args.seed, decide=args.decide)
    ones = np.ones(len(cases))
    rows = []
    for budget in (int(b) for b in args.budgets.split(",")):
        t = time.perf_counter()
        f = fit(obj, ones, max_evaluations=budget)
        rows.append({
            "budget": budget, "evaluations": f.evaluations, "loss": f.loss,
            "loss_with_prior": f.loss + obj.penalty(f.theta, ones),
            "seconds": time.perf_counter() - t,
            "theta": dict(zip(PARAMS, map(float, f.theta), strict=True)),
        })  # fmt: skip
    kernel = _kernel_seconds(obj, len(cases), args.fit_replicates, args.repeats)
    print(f"entry = {args.entry}, decide = {args.decide}, {len(cases)} wars, "
          f"{args.fit_replicates} cascades per war and evaluation, seed {args.seed}, "
          f"Powell's xtol {XTOL}, ftol {FTOL}")  # fmt: skip
    print(f"{'budget':>7}{'evals':>7}{'loss':>10}{'+prior':>10}{'s':>7}{'side_ties':>11}")
    for r in rows:
        print(f"{r['budget']:>7}{r['evaluations']:>7}{r['loss']:>10.5f}"
              f"{r['loss_with_prior']:>10.5f}{r['seconds']:>7.0f}"
              f"{r['theta']['unaligned.side_ties']:>11.2f}")  # fmt: skip
    print(f"kernel per evaluation: {kernel['unaligned_on']:.3f} s with unaligned entry, "
          f"{kernel['unaligned_off']:.3f} s without")  # fmt: skip
    args.json.parent.mkdir(parents=True, exist_ok=True)
    data = str(paths["states"].parents[1])
    settings = vars(args) | {"data": data, "json": str(args.json), "xtol": XTOL, "ftol": FTOL}
    result = {"settings": settings, "fits": rows, "kernel_seconds": kernel}
    args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
