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
from escalate.engine.codes import NO_SIDE, SIDE_A, SIDE_D
from escalate.engine.compile import compile_world
from escalate.engine.driver import side_counts_worlds
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
