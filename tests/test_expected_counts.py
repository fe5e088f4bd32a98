"""Expected counts: a state's unaligned entry counted as its chances, where they are known.

:func:`escalate.engine.driver.expected_counts_worlds` claims to estimate the same
probabilities as the counts of who took part (:func:`side_counts_worlds`), without bias
and with less variance, by adding up ``p (1 - q)`` and ``p q`` wherever a state's
unaligned decision is taken and no pledge can hold it back. Checked here: the kernel
equals the plain-Python reference (:func:`expected_counts_reference`) on random worlds;
the states owing nothing get exactly the values of
:func:`escalate.engine.exact.unaligned_alone`; the sums do not depend on the thread
count; and on a world where a state's entry is both unaligned and pulled, the mean of
the expected counts agrees with the mean of the counts within their standard error.
"""

from __future__ import annotations

import copy

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from strategies import world_dicts

from escalate.backtest.simulator import smoothed
from escalate.engine.codes import NO_SIDE, SIDE_A, SIDE_D
from escalate.engine.compile import compile_world
from escalate.engine.driver import expected_counts_worlds, side_counts_worlds
from escalate.engine.exact import unaligned_alone
from escalate.engine.reference import expected_counts_reference
from escalate.engine.state import FIXED_ONE
from escalate.model.load import world_from_dict
from escalate.results.arrow import allocate_outputs

R = 150
SEED = 5
SIDES = {"A": SIDE_A, "D": SIDE_D}


def _expected(cw, count: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """The kernel's expected counts and counts, ``[side code, nation]``."""
    outs = [allocate_outputs(count, cw.n, False)[0]]
    expected = expected_counts_worlds([cw], seed, count, outs)[0]
    counts = side_counts_worlds([cw], seed, count, [allocate_outputs(count, cw.n, False)[0]])[0]
    return expected, counts


def _with_unaligned(data: dict) -> dict:
    """``data`` under model 3 with unaligned entry on and side terms that move."""
    data = copy.deepcopy(data)
    dyn = data.setdefault("dynamics", {})
    dyn["model"] = 3
    dyn["unaligned"] = {"intercept": -0.5, "ties": 1.5, "side_ties": 2.0, "major": 1.0}
    return data


def _check_world(data: dict) -> int:
    """Kernel against reference on ``data``; how many values the two estimators differ in."""
    world = world_from_dict(_with_unaligned(data))
    cw = compile_world(world)
    expected, counts = _expected(cw, R)
    ref = expected_counts_reference(world, SEED, R)
    # fixed point: at most half a unit of 2**-32 per cascade and nation, plus float sums
    tol = R * 0.5 / FIXED_ONE + 1e-9
    assert np.all(expected[NO_SIDE] == 0.0)
    for label, s in SIDES.items():
        want = np.array([ref[label][nid] for nid in cw.ids])
        np.testing.assert_allclose(expected[s], want, rtol=0, atol=tol, err_msg=label)
    assert np.all(expected >= -tol)
    return int(np.sum(np.abs(expected - counts) > tol))


def test_the_kernel_counts_what_the_reference_expects():
    differing: list[int] = []

    @settings(max_examples=50, deadline=None, derandomize=True, database=None)
    @given(world_dicts(min_nations=3, max_nations=7))
    def check(data: dict) -> None:
        differing.append(_check_world(data))

    check()
    # not vacuous: in most worlds some state's expected count is not its count
    assert sum(n > 0 for n in differing) >= 20, differing


WORLD = {
    "name": "ties",
    "incident": {"initiator": "A", "target": "B"},
    "dynamics": {
        "model": 3,
        "unaligned": {"intercept": -1.0, "major": 1.0, "ties": 0.5, "side_ties": 1.5},
    },
    "nations": [
        {"id": x, "name": x, "power": float(i + 1), "major": x in "CE", "region": "europe"}
        for i, x in enumerate("ABCDEFG")
    ],
    # C owes A a defence pact: its unaligned decision is taken (A is not attacked in
    # round 0), and a side D entrant attacking A may pull it in later too. D's pact is
    # decided in round 0 (B is attacked); E and F hold pledges; G owes nothing.
    "alliances": [
        {"name": "ac", "kind": "defense", "members": ["A", "C"], "reliability": 0.6},
        {"name": "bd", "kind": "defense", "members": ["B", "D"], "reliability": 0.5},
        {"name": "ef", "kind": "neutrality", "members": ["E", "F"]},
    ],
}


def test_states_owing_nothing_get_the_exact_values():
    cw = compile_world(world_from_dict(WORLD))
    expected, _ = _expected(cw, 400)
    on_a, on_d = unaligned_alone(cw)
    g = cw.ids.index("G")
    assert not np.isnan(on_a[g]) and on_a[g] > 0.0 and on_d[g] > 0.0
    tol = 400 * 0.5 / FIXED_ONE + 1e-9
    assert abs(expected[SIDE_A, g] - 400 * on_a[g]) < tol
    assert abs(expected[SIDE_D, g] - 400 * on_d[g]) < tol


def test_the_sums_are_the_same_on_any_thread_count():
    cw = compile_world(world_from_dict(WORLD))
    prev = numba.get_num_threads()
    got = []
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            got.append(_expected(cw, 3000)[0])  # blocks of 512 on one thread, 375 on two
    finally:
        numba.set_num_threads(prev)
    assert got[0].tobytes() == got[1].tobytes()


def test_expected_counts_estimate_what_the_counts_estimate():
    cw = compile_world(world_from_dict(WORLD))
    n = 40_000
    expected, counts = _expected(cw, n)
    moved = 0
    for k, nid in enumerate(cw.ids):
        for s in (SIDE_A, SIDE_D):
            p = counts[s, k] / n
            # the counts' standard error (Bernoulli), at least that of one event in n
            se = max(np.sqrt(p * (1.0 - p) / n), 1.0 / n)
            assert abs(expected[s, k] / n - p) < 4.0 * se, (nid, s)
            moved += expected[s, k] != counts[s, k]
    # C and G are counted as expected; D (decided in round 0), E and F (pledges) are not
    for nid in "CG":
        k = cw.ids.index(nid)
        assert expected[SIDE_A, k] != counts[SIDE_A, k] and expected[SIDE_D, k] != counts[SIDE_D, k]
    for nid in "DEF":
        k = cw.ids.index(nid)
        assert np.array_equal(expected[:, k], counts[:, k]), nid
    assert moved == 4


@pytest.mark.parametrize("intercept", [None, -30.0])
def test_without_unaligned_entry_expected_counts_are_the_counts(intercept):
    data = copy.deepcopy(WORLD)
    if intercept is None:
        data["dynamics"].pop("unaligned")
    else:
        data["dynamics"]["unaligned"]["intercept"] = intercept
    cw = compile_world(world_from_dict(data))
    expected, counts = _expected(cw, 500)
    tol = 500 * 0.5 / FIXED_ONE + 1e-9
    np.testing.assert_allclose(expected, counts, rtol=0, atol=tol)


#: C owes A a pact it always honours, and joins unaligned half the time; X joins side D
#: almost surely and attacks A, which pulls C in where it did not join: C's chances
#: count in every cascade and its later entry in about half, about 1 a cascade in all.
PULLED_LATER = {
    "name": "later",
    "incident": {"initiator": "A", "target": "B"},
    "dynamics": {"model": 3, "unaligned": {"intercept": 8.0, "ties": -8.0, "side_intercept": 8.0}},
    "nations": [{"id": x, "name": x, "power": 1.0} for x in "ABCX"],
    "alliances": [{"name": "ac", "kind": "defense", "members": ["A", "C"], "reliability": 1.0}],
}


def test_expected_counts_may_exceed_the_cascades_and_the_probabilities_stay_valid():
    cw = compile_world(world_from_dict(PULLED_LATER))
    c = cw.ids.index("C")
    r = 200
    over = []
    for seed in range(1, 9):
        expected, counts = _expected(cw, r, seed)
        assert counts[SIDE_A, c] + counts[SIDE_D, c] <= r
        total = expected[SIDE_A, c] + expected[SIDE_D, c]
        assert abs(total - r) < 6.0 * np.sqrt(r) * 0.5  # about 1 a cascade
        over.append(total > r)
        p1, p2 = smoothed(expected[SIDE_A], expected[SIDE_D], r, 0.5)
        stay = 1.0 - p1 - p2
        assert np.all(p1 > 0) and np.all(p2 > 0) and np.all(stay >= 0.5 / (r + 1.5) - 1e-12)
    assert any(over)  # the case the scaling is for does occur


def test_smoothing_of_counts_is_add_one_half():
    c1 = np.array([0.0, 3.0, 10.0])
    c2 = np.array([0.0, 5.0, 0.0])
    p1, p2 = smoothed(c1, c2, 10, 0.5)
    np.testing.assert_allclose(p1, (c1 + 0.5) / 11.5)
    np.testing.assert_allclose(p2, (c2 + 0.5) / 11.5)
    p1, p2 = smoothed(np.array([8.0]), np.array([4.0]), 10, 0.5)  # 12 of 10: scaled to 10
    np.testing.assert_allclose(
        [p1[0], p2[0], 1 - p1[0] - p2[0]], [7.16667 / 11.5, 3.83333 / 11.5, 0.5 / 11.5], rtol=1e-4
    )
