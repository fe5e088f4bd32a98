"""The numba kernel and the plain-Python reference give identical rows.

Also: results do not depend on chunking, thread count or the order in which
the world file lists things, and paired worlds share their random numbers.
"""

from __future__ import annotations

import random
from pathlib import Path

import numba
import numpy as np
import pyarrow as pa
import pytest
from helpers import (
    assert_frames_equal,
    binomial_tolerance,
    engines,
    kernel_frames,
    make_world,
    single_thread,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import world_dicts

from escalate.engine.compile import compile_world
from escalate.engine.kernel import BLOCK
from escalate.model.load import load_world, world_from_dict
from escalate.results.arrow import run_arrays, to_tables

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.toml"))

#: Reproducible in CI: derandomized, no example database.
EQUIVALENCE = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _check_engines(world, seed: int, start: int, count: int) -> None:
    res = engines(world, seed, start, count, participants=True)
    (kc, kp), (rc, rp) = res["kernel"], res["reference"]
    assert len(kc) == count
    assert_frames_equal(kc, rc, "cascades")
    assert_frames_equal(kp, rp, "participants")
    assert len(kp) == int(sum(kc["belligerents"]))


# ------------------------------------------------------------------ (a) random worlds


@EQUIVALENCE
@given(
    world=world_dicts(),
    seed=st.integers(0, 2**64 - 1),
    start=st.one_of(st.just(0), st.integers(0, 2**40)),
)
def test_kernel_matches_reference_on_random_worlds(world, seed, start):
    with single_thread():
        _check_engines(world_from_dict(world, source="hypothesis"), seed, start, 200)


# ------------------------------------------------------------------ (b) bundled worlds


def test_bundled_worlds_exist():
    assert CONFIGS, f"no world files found in {ROOT / 'configs'}"


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_kernel_matches_reference_on_bundled_worlds(path):
    world = load_world(path)
    # the plain-Python reference takes ~15 ms a cascade on the 160-195-nation worlds
    # of the Cold War and after (67 belligerents on average): fewer replicates there
    count = 2000 if len(world.nations) <= 50 else 300
    _check_engines(world, seed=20140628, start=0, count=count)


# ------------------------------------------------------------------ helpers


def _tables(cw, seed, start, count):
    out, parts = run_arrays(cw, seed, start, count, True)
    return to_tables(cw, start, out, parts, True)


def _rich_world() -> dict:
    """A world where every mechanism fires often (for chunking/thread tests)."""
    teaching = ROOT / "configs" / "teaching.toml"  # uses every feature, small
    return load_world(teaching).to_dict() if teaching.exists() else _fallback_world()


def _fallback_world() -> dict:
    return make_world(
        {"A": 1.0, "B": 2.0, "C": 1.5, "D": 0.5, "E": 0.25, "F": 3.0},
        majors=("A", "B", "F"),
        incident={"mode": "random", "weights": "power"},
        alliances=[
            {"name": "ab", "kind": "defense", "members": ["A", "C", "E"], "reliability": 0.6},
            {"name": "bd", "kind": "offense", "members": ["B", "D"], "reliability": 0.7},
            {"name": "fe", "kind": "entente", "members": ["F", "E", "B"]},
            {"name": "nt", "kind": "neutrality", "members": ["F", "A"]},
            {"name": "g", "kind": "defense", "guarantors": ["F"], "protected": ["D"]},
        ],
        organizations=[
            {
                "name": "league",
                "kind": "collective_security",
                "members": ["A", "B", "C", "D", "E", "F"],
                "veto": ["F"],
                "response": {"military": 0.3, "sanctions": 0.3, "diplomacy": 0.2},
            }
        ],
        plans=[{"nation": "B", "trigger": ["C"], "attack": ["E", "F"], "probability": 0.5}],
        deterrence=0.2,
    )


# ------------------------------------------------------------------ (c) chunking


@pytest.mark.parametrize("split", [1, BLOCK - 1, BLOCK, 1234])
def test_chunking_does_not_change_rows(split):
    cw = compile_world(world_from_dict(_fallback_world(), source="test"))
    n, seed, start = 3000, 99, 17
    whole_c, whole_p = _tables(cw, seed, start, n)
    c1, p1 = _tables(cw, seed, start, split)
    c2, p2 = _tables(cw, seed, start + split, n - split)
    assert pa.concat_tables([c1, c2]).equals(whole_c)
    assert pa.concat_tables([p1, p2]).equals(whole_p)


def test_chunking_on_bundled_worlds():
    for path in CONFIGS:
        cw = compile_world(load_world(path))
        whole_c, whole_p = _tables(cw, 5, 0, 2500)
        parts = [_tables(cw, 5, lo, hi - lo) for lo, hi in ((0, 700), (700, 701), (701, 2500))]
        assert pa.concat_tables([c for c, _ in parts]).equals(whole_c), path.name
        assert pa.concat_tables([p for _, p in parts]).equals(whole_p), path.name


# ------------------------------------------------------------------ (d) threads


@pytest.mark.parametrize("source", ["fallback", "bundled"])
def test_thread_count_does_not_change_arrays(source):
    world = _fallback_world() if source == "fallback" else _rich_world()
    cw = compile_world(world_from_dict(world, source="test"))
    count = 4 * BLOCK + 77
    before = numba.get_num_threads()
    try:
        results = []
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            results.append(run_arrays(cw, 2024, 3, count, True))
    finally:
        numba.set_num_threads(before)
    (o1, p1), (o2, p2) = results
    assert o1.keys() == o2.keys()
    for name in o1:
        np.testing.assert_array_equal(o1[name], o2[name], err_msg=name)
    used = np.arange(cw.n)[None, :] < o1["belligerents"][:, None].astype(np.int64)
    for name in p1:
        np.testing.assert_array_equal(p1[name][used], p2[name][used], err_msg=name)


# ------------------------------------------------------------------ (e) file order


def _permuted(world: dict, rng: random.Random) -> dict:
    """The same world with every list (and list of ids) in another order."""
    keys = list(world)
    rng.shuffle(keys)
    w = {k: world[k] for k in keys}

    def shuffled(xs):
        xs = list(xs)
        rng.shuffle(xs)
        return xs

    w["nations"] = shuffled(world["nations"])
    for section in ("alliances", "organizations", "plans"):
        rows = []
        for row in world.get(section, []):
            row = dict(row)
            for k in ("members", "guarantors", "protected", "veto", "trigger", "attack"):
                if k in row:
                    row[k] = shuffled(row[k])
            items = list(row.items())
            rng.shuffle(items)
            rows.append(dict(items))
        if section in world:
            w[section] = shuffled(rows)
    inc = dict(world["incident"])
    for k in ("initiators", "targets"):
        if k in inc:
            inc[k] = shuffled(inc[k])
    w["incident"] = inc
    return w


def _order_worlds() -> list[dict]:
    out = [_fallback_world()]
    out += [load_world(p).to_dict() for p in CONFIGS]
    return out


@pytest.mark.parametrize("index", range(1 + len(CONFIGS)))
def test_file_order_does_not_change_results(index):
    base = _order_worlds()[index]
    rng = random.Random(index)
    w0 = world_from_dict(base, source="a")
    kc0, kp0 = kernel_frames(w0, 7, 0, 1500)
    for _ in range(3):
        w1 = world_from_dict(_permuted(base, rng), source="b")
        kc1, kp1 = kernel_frames(w1, 7, 0, 1500)
        assert_frames_equal(kc0, kc1, "cascades")
        assert_frames_equal(kp0, kp1, "participants")
        n = 300 if len(w1.nations) <= 50 else 50  # the reference is slow on 160+ nations
        res = engines(w1, 7, 0, n)
        assert_frames_equal(res["reference"][0], kc0.iloc[:n], "reference cascades")


@pytest.mark.parametrize("index", range(1 + len(CONFIGS)))
def test_file_order_does_not_change_canonical_hash(index):
    base = _order_worlds()[index]
    rng = random.Random(100 + index)
    h0 = world_from_dict(base, source="a").canonical_hash()
    for _ in range(3):
        assert world_from_dict(_permuted(base, rng), source="b").canonical_hash() == h0


FILE_ORDER = settings(max_examples=40, deadline=None, derandomize=True, database=None)


@FILE_ORDER
@given(world=world_dicts(), shuffle_seed=st.integers(0, 2**32))
def test_file_order_random_worlds(world, shuffle_seed):
    w0 = world_from_dict(world, source="a")
    w1 = world_from_dict(_permuted(world, random.Random(shuffle_seed)), source="b")
    with single_thread():
        c0, p0 = kernel_frames(w0, 11, 0, 200)
        c1, p1 = kernel_frames(w1, 11, 0, 200)
    assert_frames_equal(c0, c1, "cascades")
    assert_frames_equal(p0, p1, "participants")


@FILE_ORDER
@given(world=world_dicts(), shuffle_seed=st.integers(0, 2**32))
def test_file_order_random_worlds_canonical_hash(world, shuffle_seed):
    w0 = world_from_dict(world, source="a")
    w1 = world_from_dict(_permuted(world, random.Random(shuffle_seed)), source="b")
    assert w1.canonical_hash() == w0.canonical_hash()


# ------------------------------------------------------------------ (f) common random numbers


def _pact_world(reliability: float, extra: bool = False) -> dict:
    nations = {"A": 2.0, "B": 1.0, "C": 1.0, "D": 0.5, "E": 0.5}
    if extra:
        nations["Z"] = 0.0
    return make_world(
        nations,
        alliances=[
            {"name": "pact", "kind": "defense", "members": ["B", "C"], "reliability": reliability},
            {"name": "other", "kind": "defense", "members": ["C", "D"], "reliability": 0.5},
            {"name": "opp", "kind": "defense", "guarantors": ["E"], "protected": ["A"]},
        ],
    )


def test_common_random_numbers_pair_reliabilities():
    n = 4000
    lo, plo = kernel_frames(_pact_world(0.3), 31, 0, n)
    hi, phi = kernel_frames(_pact_world(0.6), 31, 0, n)
    bl, bh = np.array(lo["belligerents"], int), np.array(hi["belligerents"], int)
    # monotone coupling: the same uniform decides the pact in both worlds
    assert (bh >= bl).all()
    in_lo = {(r, x) for r, x in zip(plo["replicate"], plo["nation"], strict=True)}
    in_hi = {(r, x) for r, x in zip(phi["replicate"], phi["nation"], strict=True)}
    assert in_lo <= in_hi
    # C enters exactly when the pact is honoured: P = 0.3 and 0.6, and they differ
    # on about 30% of replicates (independent draws would differ on 54%)
    c_lo = sum(1 for r, x in in_lo if x == "C") / n
    c_hi = sum(1 for r, x in in_hi if x == "C") / n
    assert abs(c_lo - 0.3) <= binomial_tolerance(0.3, n)
    assert abs(c_hi - 0.6) <= binomial_tolerance(0.6, n)
    differ = (bh != bl).mean()
    assert abs(differ - 0.3) <= binomial_tolerance(0.3, n)
    # where the same nations fight, every other column (outcome draw included) agrees
    same = bh == bl
    for col in ("winner", "rounds", "broken_promises", "power_share"):
        assert list(lo[col][same]) == list(hi[col][same]), col


def test_unrelated_nation_does_not_change_draws():
    a, pa_ = kernel_frames(_pact_world(0.5), 8, 0, 2000)
    b, pb = kernel_frames(_pact_world(0.5, extra=True), 8, 0, 2000)
    assert_frames_equal(a, b, "cascades")
    assert_frames_equal(pa_, pb, "participants")


def test_concurrent_python_threads_get_the_same_rows():
    """run_arrays from several Python threads at once (e.g. a threaded Dask worker)
    is serialised and gives the rows of a single call."""
    import threading

    from escalate.engine.compile import compile_world
    from escalate.model.load import load_world
    from escalate.results.arrow import run_arrays

    cw = compile_world(
        load_world(Path(__file__).resolve().parents[1] / "configs" / "europe_1914.toml")
    )
    expected, _ = run_arrays(cw, 5, 0, 20_000, False)
    results: list = [None] * 4

    def work(i: int) -> None:
        results[i] = run_arrays(cw, 5, 0, 20_000, False)[0]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got in results:
        for col, arr in expected.items():
            np.testing.assert_array_equal(got[col], arr)
