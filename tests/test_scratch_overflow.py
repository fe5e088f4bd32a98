"""A cascade that outgrows its block's scratch space for attacks is run again in a larger one.

The kernel sizes each block's attack-edge space to the world (about n^2 / 4 edges);
a cascade that needs more sets a flag, and its block reruns it in twice the space
with the same keyed draws. Nothing of the first try may count: not its row, its
participant rows, nor its participant tally (the calibration's counts). Two blocs of
50 nations each at reliability 1, entry against enemies: A0 attacks D0; in round 1
the rest of A (an offensive alliance with A0) and the rest of D (a defensive one with
D0) enter together, and same-round entrants attack each other both ways: about 2 x 49
x 49 directed attacks, more than the 2,764 edges a 100-nation block starts with.
"""

from __future__ import annotations

import numpy as np
from helpers import assert_frames_equal, engines

from escalate.engine.codes import SIDE_A, SIDE_D
from escalate.engine.compile import compile_world
from escalate.engine.driver import side_counts
from escalate.model.load import world_from_dict
from escalate.results.arrow import allocate_outputs, run_arrays

N = 50


def _blocs() -> dict:
    a = [f"A{i}" for i in range(N)]
    d = [f"D{i}" for i in range(N)]
    return {
        "name": "blocs",
        "dynamics": {"reliability": {"defense": 1.0, "offense": 1.0}, "deterrence": 0.0},
        "incident": {"initiator": "A0", "target": "D0"},
        "nations": [{"id": i, "power": 1.0} for i in a + d],
        "alliances": [
            {"name": "a", "kind": "offense", "members": a},
            {"name": "d", "kind": "defense", "members": d},
        ],
    }


def test_an_outgrown_cascade_counts_once() -> None:
    world = world_from_dict(_blocs())
    cw = compile_world(world)
    count = 6
    out, parts = run_arrays(cw, 11, 0, count, True)
    assert (out["belligerents"] == 2 * N).all()  # everyone at war: the overflow case
    k = out["belligerents"].astype(np.int64)
    mask = np.arange(cw.n)[None, :] < k[:, None]
    nation, side = parts["nation"][mask], parts["side"][mask]
    counts_out, _ = allocate_outputs(count, cw.n, False)
    tally = side_counts(cw, 11, count, counts_out)
    for s in (SIDE_A, SIDE_D):
        assert (tally[s] == np.bincount(nation[side == s], minlength=cw.n)).all()
    assert tally.sum() == k.sum() == count * 2 * N


def test_an_outgrown_cascade_is_the_references() -> None:
    res = engines(world_from_dict(_blocs()), 11, 0, 3, participants=True)
    (kc, kp), (rc, rp) = res["kernel"], res["reference"]
    assert_frames_equal(kc, rc, "cascades")
    assert_frames_equal(kp, rp, "participants")
