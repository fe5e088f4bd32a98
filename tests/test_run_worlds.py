"""One kernel call for many worlds (the calibration's evaluation) gives each world's own counts.

:func:`escalate.engine.driver.side_counts_worlds` runs the blocks of every world in one
parallel loop; each world's cascade rows must equal those of the row kernel on that
world alone, and its tally the participant rows counted, on any thread count.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

import escalate
from escalate.backtest.params import START, dynamics_of
from escalate.engine.codes import NO_SIDE, SIDE_A, SIDE_D
from escalate.engine.coefficients import CoefficientBatch, with_dynamics
from escalate.engine.compile import WorldArrays, compile_world
from escalate.engine.driver import KernelWorlds, side_counts_worlds
from escalate.results.arrow import allocate_outputs, run_arrays

WORLDS = ("teaching", "europe_1914", "hague_1907", "gulf_1990")


@pytest.fixture(scope="module")
def compiled():
    return [compile_world(escalate.load_world(name)) for name in WORLDS]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("count", [1, 333])
def test_each_world_as_if_alone(compiled, threads, count):
    prev = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        outs = [allocate_outputs(count, cw.n, False)[0] for cw in compiled]
        many = side_counts_worlds(compiled, 17, count, outs)
        for cw, out, got in zip(compiled, outs, many, strict=True):
            # the world alone, through the row kernel, with participant rows
            rows, parts = run_arrays(cw, 17, 0, count, True)
            for name, col in rows.items():
                np.testing.assert_array_equal(out[name], col, err_msg=name)
            k = rows["belligerents"].astype(np.int64)
            taking_part = np.arange(cw.n)[None, :] < k[:, None]
            nation, side = parts["nation"][taking_part], parts["side"][taking_part]
            assert got.shape == (3, cw.n) and got[NO_SIDE].sum() == 0
            for s in (SIDE_A, SIDE_D):
                want = np.bincount(nation[side == s], minlength=cw.n)
                np.testing.assert_array_equal(got[s], want)
            assert got.sum() == k.sum() > 0
    finally:
        numba.set_num_threads(prev)


def test_no_worlds_is_no_call():
    assert side_counts_worlds([], 1, 10, []) == []


def test_bad_input_one_line(compiled):
    cw = compiled[0]
    with pytest.raises(ValueError, match="2 worlds but 1 sets"):
        side_counts_worlds([cw, cw], 1, 10, [allocate_outputs(10, cw.n, False)[0]])
    short = allocate_outputs(9, cw.n, False)[0]
    with pytest.raises(ValueError, match=r"output column 'initiator': expected shape \(10,\)"):
        side_counts_worlds([cw], 1, 10, [short])
    with pytest.raises(ValueError, match="count must be >= 0"):
        side_counts_worlds([cw], 1, -1, [short])


def _random_dynamics(world, rng, entry="enemies"):
    """``world``'s dynamics with every honour and unaligned coefficient drawn at random."""
    theta = START + rng.normal(0.0, 2.0, START.size)
    return dynamics_of(world.dynamics, theta, entry)


def test_a_coefficient_batch_sets_in_place_what_with_dynamics_compiles(compiled):
    """The calibration's in-place coefficients: the bits of a fresh with_dynamics, and the
    kernel lists built before a set see it."""
    worlds = [escalate.load_world(name) for name in WORLDS]
    rng = np.random.default_rng(4)
    batch = CoefficientBatch(compiled, worlds, _random_dynamics(worlds[0], rng))
    outs = [allocate_outputs(200, cw.n, False)[0] for cw in batch.compiled]
    kernel = KernelWorlds(batch.compiled, 200, outs)
    for _ in range(3):
        d = _random_dynamics(worlds[0], rng)
        batch.set(d)
        fresh = [with_dynamics(cw, d, w) for cw, w in zip(compiled, worlds, strict=True)]
        for got, want in zip(batch.compiled, fresh, strict=True):
            for name in WorldArrays._fields:
                a, b = getattr(got.arrays, name), getattr(want.arrays, name)
                assert np.asarray(a).dtype == np.asarray(b).dtype, name
                np.testing.assert_array_equal(a, b, err_msg=name)
        again = [allocate_outputs(200, cw.n, False)[0] for cw in fresh]
        want_counts = side_counts_worlds(fresh, 5, 200, again)
        for got, want in zip(kernel.side_counts(5), want_counts, strict=True):
            np.testing.assert_array_equal(got, want)
    assert any(c[1:].sum() > 0 for c in want_counts)


def test_a_coefficient_batch_keeps_its_rules(compiled):
    worlds = [escalate.load_world(name) for name in WORLDS]
    rng = np.random.default_rng(5)
    batch = CoefficientBatch(compiled, worlds, _random_dynamics(worlds[0], rng))
    with pytest.raises(ValueError, match="keeps its model and entry rule"):
        batch.set(_random_dynamics(worlds[0], rng, entry="side"))
    with pytest.raises(ValueError, match="at least one world"):
        CoefficientBatch([], [], _random_dynamics(worlds[0], rng))
