"""Version 3's coefficients fitted by maximum simulated likelihood: data-free checks.

A synthetic history drawn from known coefficients (tests/synthetic_history.py) is
fitted again; the known values must lie in the fit's bootstrap intervals. The fast
simulator must give the counts of the ordinary path, and every refit must start
from the same fixed start.
"""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_history import synthetic_cases

from escalate.backtest.calibrate import calibrate_cases, folds_of
from escalate.backtest.fit import ALPHA, Objective, fit
from escalate.backtest.params import PARAMS, START, dynamics_of
from escalate.backtest.predict import predict
from escalate.backtest.simulator import CasesBatch, CaseSimulator, probabilities_of

TRUE = START.copy()
TRUE[PARAMS.index("honour.intercept.defense")] = 0.5  # p = 0.62
TRUE[PARAMS.index("unaligned.intercept")] = -2.0  # p = 0.12
FREE = np.array([p in ("honour.intercept.defense", "unaligned.intercept") for p in PARAMS])


@pytest.fixture(scope="module")
def history():
    return synthetic_cases(TRUE, wars=10, seed=3)


def test_the_history_has_joiners_of_both_kinds(history):
    via_pact = sum(int(((c.war_side > 0) & np.char.startswith(c.ids, "P")).sum()) for c in history)
    unaligned = sum(int(((c.war_side > 0) & np.char.startswith(c.ids, "F")).sum()) for c in history)
    pacts = sum(int(np.char.startswith(c.ids, "P").sum()) for c in history)
    assert 0.4 < via_pact / pacts < 0.85  # about 0.62
    assert unaligned > 10


def test_a_fit_recovers_known_coefficients_within_their_intervals(history):
    # enough evaluations for Powell to finish its line searches from the start (-7)
    cal = calibrate_cases(history, replicates=100, predict_replicates=100, folds=2,
                          resamples=16, max_evaluations=120, rules=(("enemies", "obligation"),),
                          free=FREE)  # fmt: skip
    for name, prefix in (("honour.intercept.defense", "P"), ("unaligned.intercept", "F")):
        lo, hi = cal.intervals[name]
        fitted, true = cal.fitted[name], TRUE[PARAMS.index(name)]
        # the standard error: the bootstrap's (its 95% interval spans about 4 of them),
        # but no less than the textbook one of a logit from this history's decisions
        # (every state of the class decides once with the same p): 16 resamples of 10
        # wars can understate it
        rows = sum(int(np.char.startswith(c.ids, prefix).sum()) for c in history)
        p = 1.0 / (1.0 + np.exp(-true))
        se = max((hi - lo) / 3.92, 1.0 / np.sqrt(rows * p * (1.0 - p)))
        assert abs(fitted - true) <= 3 * se, (name, fitted, lo, hi, se)
        # the data inform it: a sixth of the search box (24 wide) at most; the prior
        # (centred on the start, -7 for unaligned entry) widens the low side in
        # resamples of the 10 wars with few unaligned joiners
        assert hi - lo < 4.0
    # the others stayed at the start
    fixed = [p for p, f in zip(PARAMS, FREE, strict=True) if not f]
    assert all(cal.fitted[p] == START[PARAMS.index(p)] for p in fixed)
    # out of sample: every war held out once, and the eras fitted apart
    assert sorted(cal.held_out) == sorted(c.war.num for c in history)
    for era in cal.eras.values():
        assert era["loss_model"] < era["loss_nobody"]


def test_the_fit_beats_its_start_in_sample(history):
    obj = Objective(history, "enemies", 180, 200, 1)
    ones = np.ones(len(history))
    f = fit(obj, ones, max_evaluations=60, free=FREE)
    assert f.loss < f.loss_start
    assert obj.mean(f.theta, ones) == f.loss  # the same seed: the same value again


def test_the_fit_is_the_best_point_it_evaluated(history):
    """Not the optimizer's last point: bounded Powell's line search can end worse."""
    obj = Objective(history, "enemies", 180, 100, 1)
    ones = np.ones(len(history))
    seen = []
    mean = obj.mean

    def recorded(theta, weights):
        value = mean(theta, weights)
        seen.append((value + obj.penalty(theta, weights), value, np.array(theta)))
        return value

    obj.mean = recorded
    f = fit(obj, ones, max_evaluations=40, free=FREE)
    assert len(seen) == f.evaluations > 2
    value, loss, theta = min(seen, key=lambda s: s[0])
    assert f.loss == loss and np.array_equal(f.theta, theta)
    assert f.loss + obj.penalty(f.theta, ones) == value


def test_refits_start_from_the_fixed_start_not_from_an_earlier_fit(history):
    obj = Objective(history, "enemies", 180, 100, 1)
    w = np.ones(len(history))
    first = fit(obj, w, max_evaluations=30, free=FREE)
    again = fit(obj, w, max_evaluations=30, free=FREE)
    assert np.array_equal(first.theta, again.theta)
    assert first.loss_start == again.loss_start == obj.mean(START, w)


def test_the_fast_simulator_counts_what_predict_counts(history):
    case = history[0]
    sim = CaseSimulator(case, "enemies")
    d = dynamics_of(sim.world.dynamics, TRUE, "enemies")
    c1, c2 = sim.counts(d, 300, 5)
    import dataclasses

    world = dataclasses.replace(sim.world, dynamics=d)
    _, p1, p2 = predict(case, world, 300, 5)
    assert np.array_equal(c1 / 300, p1) and np.array_equal(c2 / 300, p2)


def test_one_kernel_call_for_many_wars_counts_what_each_alone_counts(history):
    """An evaluation simulates its wars in one call (``counts_of``): the same counts."""
    from escalate.backtest.simulator import counts_of

    sims = [CaseSimulator(c, "enemies") for c in history[:4]]
    ds = [dynamics_of(s.world.dynamics, TRUE, "enemies") for s in sims]
    together = counts_of(sims, ds, 250, 9)
    for sim, d, (c1, c2) in zip(sims, ds, together, strict=True):
        a1, a2 = sim.counts(d, 250, 9)
        assert np.array_equal(c1, a1) and np.array_equal(c2, a2)
    assert sum(float(c1.sum() + c2.sum()) for c1, c2 in together) > 0
    # the objective's losses of a set of wars are those of each war alone
    obj = Objective(history, "enemies", 180, 250, 9)
    wars = [0, 2, 3]
    assert np.array_equal(obj.losses(wars, TRUE), [obj.losses([i], TRUE)[0] for i in wars])


def test_a_batch_of_wars_gives_the_probabilities_of_each_war_compiled_anew(history):
    """The fit's evaluation (coefficients set in place, kernel lists built once): the
    bits of probabilities_of, at every coefficient vector in turn."""
    sims = [CaseSimulator(c, "enemies") for c in history[:4]]
    rng = np.random.default_rng(6)
    batch = CasesBatch(sims, dynamics_of(sims[0].world.dynamics, START, "enemies"), 250)
    for _ in range(3):
        theta = TRUE + rng.normal(0.0, 1.0, TRUE.size)
        ds = [dynamics_of(s.world.dynamics, theta, "enemies") for s in sims]
        want = probabilities_of(sims, ds, 250, 9, ALPHA)
        got = batch.probabilities(ds[0], 9, ALPHA)
        for (g1, g2), (w1, w2) in zip(got, want, strict=True):
            assert np.array_equal(g1, w1) and np.array_equal(g2, w2)
    assert any(float(p1.max()) > 0.01 for p1, _ in want)


def test_folds_are_seeded_and_balanced():
    wars = list(range(95))
    a, b = folds_of(wars, 10, 1), folds_of(wars, 10, 1)
    assert a == b
    sizes = np.bincount(list(a.values()))
    assert sizes.min() >= 9 and sizes.max() <= 10
    assert folds_of(wars, 10, 2) != a


def test_the_prior_is_a_normal_of_scale_2_5_around_the_start_per_third_party(history):
    from escalate.backtest.params import PRIOR_SCALE

    obj = Objective(history, "enemies", 180, 50, 1)
    w = np.ones(len(history))
    w[0] = 3.0  # a war counted three times counts its third parties three times
    n = float((obj.n * w).sum())
    assert obj.penalty(START, w) == 0.0
    one = START.copy()
    one[PARAMS.index("honour.depth")] += PRIOR_SCALE  # one standard deviation away
    assert obj.penalty(one, w) == pytest.approx(0.5 / n)
    two = one.copy()
    two[PARAMS.index("unaligned.major")] -= 2 * PRIOR_SCALE
    assert obj.penalty(two, w) == pytest.approx((0.5 + 2.0) / n)


def test_a_fit_without_third_parties_keeps_the_start(history):
    """Wars of weight 0 only (a fold of tiny data): nothing to learn, no NaN search."""
    obj = Objective(history, "enemies", 180, 50, 1)
    f = fit(obj, np.zeros(len(history)), max_evaluations=30)
    assert np.array_equal(f.theta, START) and f.evaluations == 0
    assert np.isnan(f.loss) and obj.evaluations == 0


def test_the_command_line_budget_is_the_fit_s():
    """``--max-evaluations`` defaults to :data:`~escalate.backtest.fit.MAX_EVALUATIONS`."""
    from escalate.backtest.fit import MAX_EVALUATIONS
    from escalate.cli.parser import build_parser

    parser = build_parser()
    for command in ("backtest", "calibrate"):
        args = parser.parse_args([command, "--wars", "w.csv", "--states", "s.csv",
                                  "--capabilities", "c.csv", "--out", "o"])  # fmt: skip
        assert args.max_evaluations == MAX_EVALUATIONS


def test_fits_in_worker_processes_are_the_fits_of_one_process(history):
    """``jobs = 2`` runs the fits in spawned workers, one thread each: the same bits, in order."""
    from escalate.backtest.pool import FitPool

    rule = ("enemies", "obligation")
    ones = np.ones(len(history))
    tasks = [(rule, ones), (rule, (np.arange(len(history)) % 2).astype(float)), (rule, ones)]
    fits = {}
    for jobs in (1, 2):
        done = []
        with FitPool(history, 180, 60, 1, jobs=jobs) as pool:
            fits[jobs] = pool.fits(tasks, max_evaluations=25, free=FREE,
                                   done=lambda i, _f, done=done: done.append(i))  # fmt: skip
        assert sorted(done) == [0, 1, 2]
    for one, two in zip(fits[1], fits[2], strict=True):
        assert np.array_equal(one.theta, two.theta)
        assert (one.loss, one.loss_start, one.evaluations) == (two.loss, two.loss_start,
                                                              two.evaluations)  # fmt: skip
    assert not np.array_equal(fits[1][0].theta, fits[1][1].theta)  # the weights matter


def test_a_pool_refuses_no_workers(history):
    from escalate.backtest.pool import FitPool

    with pytest.raises(ValueError, match="jobs must be >= 1, got 0"):
        FitPool(history, 180, 60, 1, jobs=0)


def test_workers_end_when_their_parent_is_killed(tmp_path):
    """A killed parent runs no shutdown: each worker notices, even mid-fit or still starting
    up, and ends itself."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import os, time\n"
        "def children():  # every process this one started, workers still starting included\n"
        "    out = []\n"
        "    for d in filter(str.isdigit, os.listdir('/proc')):\n"
        "        try:\n"
        "            with open(f'/proc/{d}/stat') as f:\n"
        "                ppid = int(f.read().rsplit(')', 1)[1].split()[1])\n"
        "        except (OSError, ValueError):\n"
        "            continue\n"
        "        out += [int(d)] if ppid == os.getpid() else []\n"
        "    return out\n"
        "from synthetic_history import synthetic_cases\n"
        "from escalate.backtest.params import START\n"
        "from escalate.backtest.pool import FitPool\n"
        "if __name__ == '__main__':  # spawn imports the main module again\n"
        "    pool = FitPool(synthetic_cases(START, wars=2, seed=3), 180, 10, 1, jobs=2)\n"
        "    pids = {pool._executor.submit(os.getpid).result() for _ in range(8)}\n"
        "    busy = [pool._executor.submit(time.sleep, 60) for _ in range(2)]  # mid-task\n"
        "    time.sleep(1)\n"
        "    print(' '.join(map(str, pids | set(children()))), flush=True)\n"
        "    time.sleep(60)\n"
    )
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, env=env,
                              text=True)  # fmt: skip
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert pids
    parent.send_signal(signal.SIGKILL)
    parent.wait()

    def alive(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 20
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(p) for p in pids)
