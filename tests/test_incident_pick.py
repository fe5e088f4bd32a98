"""The random incident's pick, and the kernel's participant counts.

The pick is the first candidate whose cumulative weight exceeds the draw's point
(the kernel finds it from a guide table, in about one step, so that a world of many
nations costs little more per cascade than a small one); the initiator is never its own target and a
candidate of weight 0 is never picked. The counts the kernel keeps for a
calibration (``side_counts``) are those of the participant rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from escalate.engine.codes import SIDE_A, SIDE_D
from escalate.engine.compile import compile_world
from escalate.engine.driver import side_counts
from escalate.engine.reference.run import _pick
from escalate.model.load import load_world
from escalate.results.arrow import allocate_outputs, run_arrays

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(
    weights=st.lists(st.one_of(st.just(0.0), st.floats(1e-6, 10.0)), min_size=2, max_size=12),
    ex=st.integers(-1, 11),
    u=st.floats(0.0, 1.0, exclude_max=True),
)
def test_the_pick_is_a_candidate_of_positive_weight_other_than_the_excluded(weights, ex, u):
    cands = [f"N{i}" for i in range(len(weights))]
    weight = dict(zip(cands, weights, strict=True))
    exclude = cands[ex] if 0 <= ex < len(cands) else None
    picked = _pick(cands, weight, exclude, u)
    others = [c for c in cands if c != exclude and weight[c] > 0.0]
    if not others:
        assert picked == ""
        return
    assert picked in others
    # the slice of the picked candidate contains the point (up to the rounding of sums)
    total = sum(weight[c] for c in others)
    before = sum(weight[c] for c in others[: others.index(picked)])
    x = u * total
    tol = 1e-12 * max(total, 1.0)
    assert before - tol <= x <= before + weight[picked] + tol


def test_initiators_follow_the_power_weights():
    # power weights, everyone a candidate, the initiator excluded from the targets:
    # the frequencies of targets follow the weights among the others (chi-square at
    # a fixed seed; the kernel and the reference agree row for row elsewhere)
    world = load_world(CONFIGS / "teaching.toml")
    cw = compile_world(world)
    out, _ = run_arrays(cw, 5, 0, 20_000, False)
    assert (out["initiator"] != out["target"]).all()
    ini = np.bincount(out["initiator"], minlength=cw.n)
    power = cw.arrays.power
    expected = power / power.sum() * len(out["initiator"])
    assert stats.chisquare(ini, expected).pvalue > 1e-4


@pytest.mark.parametrize("name", ["europe_1914", "nato_2016"])
def test_side_counts_are_the_participant_rows_counted(name):
    cw = compile_world(load_world(CONFIGS / f"{name}.toml"))
    out, parts = run_arrays(cw, 3, 0, 700, True)
    k = out["belligerents"].astype(np.int64)
    mask = np.arange(cw.n)[None, :] < k[:, None]
    nation = parts["nation"][mask]
    side = parts["side"][mask]
    counts_out, _ = allocate_outputs(700, cw.n, False)
    tally = side_counts(cw, 3, 700, counts_out)
    assert tally.shape == (3, cw.n)
    assert tally[0].sum() == 0
    for s in (SIDE_A, SIDE_D):
        assert (tally[s] == np.bincount(nation[side == s], minlength=cw.n)).all()
    assert tally.sum() == k.sum()
    assert (counts_out["belligerents"] == out["belligerents"]).all()


def test_the_kernels_pick_is_the_references_on_random_weights():
    # the kernel's guide-table search against the reference's plain scan, with
    # weights of 0, repeated weights, a wide range of sizes, every excluded position,
    # and points on the boundaries of the candidates' slices and of the buckets
    from escalate.engine.incident import cumulative, guide_table
    from escalate.engine.kernel import _pick as kernel_pick

    rng = np.random.default_rng(7)
    for trial in range(3000):
        m = int(rng.integers(1, 40)) if trial % 3 else int(rng.integers(40, 300))
        heavy = rng.random(m) ** 4  # a few heavy candidates, many light ones
        w = rng.choice([0.0, 1.0, 0.5, 3.0, 1e-6], size=m) if trial % 2 else heavy
        w = w * 10.0 ** int(rng.integers(-3, 4))
        cands = [f"N{i:03d}" for i in range(m)]
        weight = dict(zip(cands, w.tolist(), strict=True))
        cum = cumulative(w)
        guide, thr, scale = guide_table(cum)
        total = cum[m] if cum[m] > 0 else 1.0
        points = [float(rng.random()), float(1.0 - 2.0**-53), 0.0]
        points += [min(float(cum[q] / total), 1.0 - 2.0**-53) for q in rng.integers(0, m, 2)]
        points += [min(float(thr[j] / total), 1.0 - 2.0**-53) for j in rng.integers(0, len(thr), 2)]
        for ex in (-1, int(rng.integers(0, m))):
            for u in points:
                expected = _pick(cands, weight, cands[ex] if ex >= 0 else None, u)
                got = kernel_pick(np.arange(m, dtype=np.int32), w, cum, guide, thr, scale, ex, u)
                assert (cands[got] if got >= 0 else "") == expected, (w, ex, u)


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(weights=st.lists(st.one_of(st.just(0.0), st.floats(1e-9, 1e3)), min_size=1, max_size=60))
def test_the_guide_table_never_starts_past_the_answer(weights):
    # all the kernel relies on: every candidate before guide[j] ends at or below
    # thr[j] (so no point at or above thr[j] picks it), and guide[j] is the first
    # candidate that ends above thr[j] (so the step from it is short)
    from escalate.engine.incident import GUIDE_PER_CANDIDATE, cumulative, guide_table

    w = np.array(weights)
    cum = cumulative(w)
    guide, thr, scale = guide_table(cum)
    m = len(w)
    assert len(guide) == len(thr) == GUIDE_PER_CANDIDATE * m
    assert scale == (len(thr) / cum[m] if cum[m] > 0 else 0.0)
    assert thr[0] == 0.0 and (np.diff(thr) >= 0).all() and (np.diff(guide) >= 0).all()
    for j, g in enumerate(guide.tolist()):
        assert (cum[1 : g + 1] <= thr[j]).all()
        assert g == m or cum[g + 1] > thr[j]
