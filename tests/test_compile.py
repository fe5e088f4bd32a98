"""The compiled arrays say what the world says: CSR layouts and per-entry copies.

The kernel reads the draw key, threshold and obligor of each trigger entry from
arrays stored in entry order, not through ``trig_ob``; these tests pin those
copies to the obligations they stand for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import world_dicts

from escalate.engine.codes import VIA_LABELS
from escalate.engine.compile import CompiledWorld, compile_world, obligation_order
from escalate.engine.rng import (
    KIND_OBLIGATION,
    KIND_TREATY,
    decision_key,
    rep_state,
    rep_state_py,
    replicate_state,
    seed_state,
    threshold,
)
from escalate.model.load import load_world, world_from_dict

CONFIGS = sorted((Path(__file__).resolve().parent.parent / "configs").glob("*.toml"))


def _check_triggers(
    cw: CompiledWorld, obs: list[tuple[str, str, str, str, float]], per_treaty: bool = False
) -> None:
    """``per_treaty``: ``decide = "treaty"`` under model 3 (one draw per obligor and treaty)."""
    n, m = cw.n, len(obs)
    index = {x: i for i, x in enumerate(cw.ids)}
    w = cw.arrays
    ptr = w.trig_ptr.astype(np.int64)
    assert ptr.size == 4 * (n + 1)
    assert ptr[0] == 0 and ptr[-1] == m
    for seg in range(4):
        part = ptr[seg * (n + 1) : (seg + 1) * (n + 1)]
        assert np.all(np.diff(part) >= 0)
        if seg < 3:
            assert part[-1] == ptr[(seg + 1) * (n + 1)]
    # every obligation sits in exactly one row: its protege's, in the segment of its
    # trigger (offense / defense-entente) and of its conditions (none / some)
    assert sorted(w.trig_ob.tolist()) == list(range(m))
    for seg in range(4):
        for j in range(n):
            lo, hi = ptr[seg * (n + 1) + j], ptr[seg * (n + 1) + j + 1]
            for e in range(lo, hi):
                rank = int(w.trig_ob[e])
                name, kind, obligor, protege, rel = obs[rank]
                assert index[protege] == j
                assert (kind == "offense") == (seg % 2 == 0)
                has_cond = (
                    w.ob_ag_ptr[rank + 1] > w.ob_ag_ptr[rank]
                    or w.ob_unprov[rank]
                    or w.ob_minatt[rank] > 1
                    or w.ob_located[rank]  # model version 3
                )
                assert has_cond == (seg >= 2)
                assert w.trig_obligor[e] == index[obligor]
                key = decision_key(KIND_OBLIGATION, name, obligor, protege)
                if per_treaty and kind != "neutrality":
                    key = decision_key(KIND_TREATY, name, kind, obligor)
                assert int(w.trig_key[e]) == key
                # the honour probability before the cascade: the fixed reliability, or
                # under model version 3 the logistic of the static log-odds
                assert int(w.trig_thr[e]) == threshold(float(w.ob_rel[rank]))
                if not w.trig_logit[e]:
                    assert float(w.ob_rel[rank]) == rel
    for arr, dtype in [
        (w.trig_ob, np.uint32),
        (w.trig_obligor, np.uint32),
        (w.trig_key, np.uint64),
        (w.trig_thr, np.uint64),
    ]:
        assert arr.dtype == dtype and arr.size == m and arr.flags.c_contiguous
    # obligation kinds are coded as the via of the nations they bring in
    assert [VIA_LABELS[k] for k in w.ob_kind.tolist()] == [o[1] for o in obs]


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_trigger_entries_of_bundled_worlds(path: Path) -> None:
    world = load_world(path)
    _check_triggers(compile_world(world), obligation_order(world))


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(world_dicts())
def test_trigger_entries_of_random_worlds(data: dict) -> None:
    world = world_from_dict(data, source="<hypothesis>")
    d = world.dynamics
    per_treaty = d.model == 3 and d.decide == "treaty"
    _check_triggers(compile_world(world), obligation_order(world), per_treaty)


def test_replicate_state_is_rep_state_split_in_two() -> None:
    gen = np.random.default_rng(5)
    for seed in [0, 1, 2**64 - 1, *gen.integers(0, 2**63, size=20).tolist()]:
        st = np.uint64(seed_state(np.uint64(seed)))  # uint64 in, uint64 out
        for rep in [0, 1, 2**40, *gen.integers(0, 2**62, size=5).tolist()]:
            got = int(replicate_state(st, np.uint64(rep)))
            assert got == rep_state_py(seed, rep) == int(rep_state(np.uint64(seed), np.uint64(rep)))
