"""The kernel's cost per cascade and per decision, world by world.

    python benchmarks/kernel_cost.py [--worlds ic,europe_1914,...] [--replicates N]
        [--repeats R] [--threads T] [--json PATH]

For each world: the kernel's rate (cascades per second, fastest of R repeats of N
replicates on T threads, outputs preallocated, compilation excluded), the mean number
of belligerents and of decisions per cascade, and so the nanoseconds per cascade and
per decision. Decisions are counted on the reference's traces of the first
``--trace-replicates`` replicates (the same cascades the kernel runs: keyed draws):
every obligation, neutrality pledge, organization response, plan, unaligned entry,
deterrence and arbitration draw. ``ns per decision`` = ns per cascade / decisions per
cascade: what a cascade costs read against its size (fixed costs included).

The fixed cost of a cascade is measured apart: the same world with no alliances,
organizations or war plans (``escalate generate none``: same nations, incident and
dynamics), where a cascade is the incident, its round 0 and the outcome, and makes no
decision. ``ns fixed`` is its ns per cascade; ``ns/decision net`` = (ns per cascade -
ns fixed) / decisions: the cost of the decisions alone.

Prints a table and writes the JSON (default benchmarks/results/kernel_cost.json).
Runs on older versions of the package too, for before/after comparisons.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from throughput import load_benchmark_world, machine_info

from escalate.engine.compile import compile_world
from escalate.engine.reference import trace_reference
from escalate.model.generate import generate
from escalate.results.arrow import (
    allocate_outputs,
    run_arrays,
)

DECISIONS = {"obligation", "neutrality", "response", "plan", "unaligned", "deterrence",
             "arbitration"}  # fmt: skip


def decisions(world, seed: int, count: int) -> tuple[float, float]:
    """Mean decisions (drawn or conflicted) and belligerents per cascade, from traces."""
    d = b = 0
    for rep in range(count):
        events, row = trace_reference(world, seed, rep)
        d += sum(1 for e in events if e["event"] in DECISIONS)
        b += row["belligerents"]
    return d / count, b / count


def kernel_rate(world, count: int, repeats: int, threads: int, seed: int) -> float:
    """Fastest kernel rate (cascades/s) over ``repeats`` runs of ``count`` replicates."""
    cw = compile_world(world)
    numba.set_num_threads(threads)
    run_arrays(cw, seed, 0, min(count, 4096), False)  # compile, start threads
    buffers = allocate_outputs(count, cw.n, False)
    for a in (*buffers[0].values(), *buffers[1].values()):
        a.fill(0)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        run_arrays(cw, seed, 0, count, False, outputs=buffers)
        best = min(best, time.perf_counter() - t0)
    return count / best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--worlds", default="ic,europe_1914,cold_war_1985,nato_2016")
    p.add_argument("--replicates", type=int, default=1_000_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--trace-replicates", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", default=str(Path(__file__).parent / "results" / "kernel_cost.json"))
    a = p.parse_args()
    rows = []
    for spec in a.worlds.split(","):
        world = load_benchmark_world(spec)
        n_dec, n_bel = decisions(world, a.seed, a.trace_replicates)
        reps = a.replicates if n_bel < 20 else max(a.replicates // 20, 10_000)
        rate = kernel_rate(world, reps, a.repeats, a.threads, a.seed)
        ns = 1e9 / rate
        bare = generate("none", world, name=f"{world.name}_none")
        fixed = 1e9 / kernel_rate(bare, a.replicates, a.repeats, a.threads, a.seed)
        rows.append({"world": spec, "nations": len(world.nations), "replicates": reps,
                     "threads": a.threads, "rate": rate, "belligerents": n_bel,
                     "decisions": n_dec, "ns_per_cascade": ns,
                     "ns_per_decision": ns / n_dec if n_dec else float("nan"),
                     "ns_fixed": fixed,
                     "ns_per_decision_net": (ns - fixed) / n_dec if n_dec else float("nan"),
                     })  # fmt: skip
    head = f"{'world':<16}{'nations':>8}{'cascades/s':>14}{'belligerents':>14}"
    print(head + f"{'decisions':>11}{'ns/cascade':>12}{'ns/decision':>13}{'ns fixed':>10}"
          f"{'ns/decision net':>17}")  # fmt: skip
    for r in rows:
        print(f"{r['world']:<16}{r['nations']:>8}{r['rate']:>14,.0f}{r['belligerents']:>14.2f}"
              f"{r['decisions']:>11.2f}{r['ns_per_cascade']:>12,.0f}"
              f"{r['ns_per_decision']:>13,.1f}{r['ns_fixed']:>10,.0f}"
              f"{r['ns_per_decision_net']:>17,.1f}")  # fmt: skip
    out = Path(a.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine_info(), "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
