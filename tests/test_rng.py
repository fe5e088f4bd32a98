"""The keyed random numbers: jitted = Python definition, uniformity, independence, stability."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit
from scipy import stats

from escalate.engine import rng as rng
from escalate.engine.rng import (
    GOLDEN,
    KIND_ARBITRATION,
    KIND_DETERRENCE,
    KIND_INCIDENT_INITIATOR,
    KIND_INCIDENT_TARGET,
    KIND_NEUTRALITY,
    KIND_OBLIGATION,
    KIND_ORGANIZATION,
    KIND_OUTCOME,
    KIND_PLAN,
    KIND_TREATY,
    KIND_UNALIGNED,
    KIND_UNALIGNED_SIDE,
    decision_key,
    rep_state,
    rep_state_py,
    string_hash,
    uniform,
    uniform_py,
)

MASK = (1 << 64) - 1
EDGES = [0, 1, 2, 0x7FFFFFFFFFFFFFFF, 1 << 63, MASK - 1, MASK]
KINDS = (
    KIND_OBLIGATION,
    KIND_NEUTRALITY,
    KIND_ORGANIZATION,
    KIND_PLAN,
    KIND_DETERRENCE,
    KIND_OUTCOME,
    KIND_INCIDENT_INITIATOR,
    KIND_INCIDENT_TARGET,
    KIND_ARBITRATION,
    KIND_UNALIGNED,
    KIND_UNALIGNED_SIDE,
    KIND_TREATY,
)


def _random_u64(gen: np.random.Generator, size: int) -> list[int]:
    return [int(x) for x in gen.integers(0, 2**64, size=size, dtype=np.uint64)]


@njit
def _uniforms(seed, start, count, key):
    """Uniforms of ``count`` consecutive replicates for one key (jitted, for speed)."""
    out = np.empty(count, np.float64)
    for i in range(count):
        out[i] = uniform(rep_state(seed, start + np.uint64(i)), key)
    return out


def _draws(seed: int, key: int, count: int, start: int = 0) -> np.ndarray:
    return _uniforms(np.uint64(seed), np.uint64(start), count, np.uint64(key))


# ------------------------------------------------------------------ jitted == Python


def test_rep_state_jitted_matches_python():
    gen = np.random.default_rng(1)
    seeds = EDGES + _random_u64(gen, 400)
    reps = EDGES + [int(x) for x in gen.integers(0, 2**62, size=400)]
    for seed in seeds:
        for rep in reps[:: max(1, len(reps) // 20)]:
            assert int(rep_state(np.uint64(seed), np.uint64(rep))) == rep_state_py(seed, rep)
    for seed, rep in zip(seeds, reps, strict=False):
        assert int(rep_state(np.uint64(seed), np.uint64(rep))) == rep_state_py(seed, rep)


def test_uniform_jitted_matches_python():
    gen = np.random.default_rng(2)
    states = EDGES + _random_u64(gen, 2000)
    keys = EDGES + _random_u64(gen, 2000)
    for s, k in zip(states, keys, strict=False):
        u = float(uniform(np.uint64(s), np.uint64(k)))
        assert u == uniform_py(s, k)
    for s in EDGES:
        for k in EDGES:
            assert float(uniform(np.uint64(s), np.uint64(k))) == uniform_py(s, k)


def test_mix64_jitted_matches_python():
    gen = np.random.default_rng(3)
    for z in EDGES + _random_u64(gen, 2000):
        assert int(rng.mix64(np.uint64(z))) == rng.mix64_py(z)


def test_batch_of_draws_matches_python():
    key = decision_key(KIND_OUTCOME)
    got = _draws(99, key, 500, start=10**9)
    want = [uniform_py(rep_state_py(99, 10**9 + i), key) for i in range(500)]
    assert got.tolist() == want


# ------------------------------------------------------------------ range and distribution


def test_uniforms_lie_in_unit_interval():
    gen = np.random.default_rng(4)
    us = [
        uniform_py(s, k)
        for s, k in zip(_random_u64(gen, 5000), _random_u64(gen, 5000), strict=True)
    ]
    us += [uniform_py(s, k) for s in EDGES for k in EDGES]
    assert min(us) >= 0.0
    assert max(us) < 1.0
    # the largest possible value (53 one bits) is still below 1
    assert ((1 << 53) - 1) * (1.0 / 9007199254740992.0) < 1.0
    big = _draws(5, decision_key(KIND_PLAN, "x"), 200_000)
    assert big.min() >= 0.0
    assert big.max() < 1.0


@pytest.mark.parametrize("kind", [KIND_OUTCOME, KIND_OBLIGATION])
def test_chi_square_uniformity_across_replicates(kind):
    n, bins = 100_000, 100
    key = decision_key(kind, "T", "A", "B") if kind == KIND_OBLIGATION else decision_key(kind)
    us = np.array([uniform_py(rep_state_py(20140628, r), key) for r in range(n)])
    counts = np.bincount((us * bins).astype(int), minlength=bins)
    assert counts.size == bins
    assert stats.chisquare(counts).pvalue > 1e-4
    assert abs(us.mean() - 0.5) < 4 * np.sqrt(1 / 12 / n)


def test_chi_square_uniformity_across_seeds():
    n, bins = 100_000, 64
    key = decision_key(KIND_DETERRENCE)
    us = np.concatenate([_draws(seed, key, n // 100) for seed in range(100)])
    counts = np.bincount((us * bins).astype(int), minlength=bins)
    assert stats.chisquare(counts).pvalue > 1e-4


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.corrcoef(x, y)[0, 1])


PAIRS = [
    # same treaty, both directions
    (
        decision_key(KIND_OBLIGATION, "Dual Alliance", "GMY", "AUH"),
        decision_key(KIND_OBLIGATION, "Dual Alliance", "AUH", "GMY"),
    ),
    # same parts, different kind
    (
        decision_key(KIND_OBLIGATION, "T", "A", "B"),
        decision_key(KIND_NEUTRALITY, "T", "A", "B"),
    ),
    # two treaties binding the same pair
    (
        decision_key(KIND_OBLIGATION, "T1", "A", "B"),
        decision_key(KIND_OBLIGATION, "T2", "A", "B"),
    ),
    (decision_key(KIND_OUTCOME), decision_key(KIND_DETERRENCE)),
    (decision_key(KIND_INCIDENT_INITIATOR), decision_key(KIND_INCIDENT_TARGET)),
    (decision_key(KIND_ORGANIZATION, "UN", "USA"), decision_key(KIND_ORGANIZATION, "UN", "UKG")),
]


PAIR_IDS = ["directions", "kinds", "treaties", "outcome-deterrence", "incident", "members"]


@pytest.mark.parametrize(("k1", "k2"), PAIRS, ids=PAIR_IDS)
def test_distinct_keys_of_one_replicate_are_uncorrelated(k1, k2):
    n = 100_000
    x, y = _draws(77, k1, n), _draws(77, k2, n)
    assert abs(_corr(x, y)) < 4 / np.sqrt(n)
    # and not merely linearly: the joint 8x8 histogram is uniform
    table = np.histogram2d(x, y, bins=8, range=[[0, 1], [0, 1]])[0]
    assert stats.chisquare(table.ravel()).pvalue > 1e-4


def test_neighbouring_replicates_and_seeds_are_uncorrelated():
    n = 100_000
    key = decision_key(KIND_OUTCOME)
    u = _draws(3, key, n + 1)
    assert abs(_corr(u[:-1], u[1:])) < 4 / np.sqrt(n)
    v = _draws(4, key, n)
    assert abs(_corr(u[:-1], v)) < 4 / np.sqrt(n)


# ------------------------------------------------------------------ keys


def test_decision_keys_are_distinct():
    keys = [decision_key(k) for k in KINDS]
    keys += [decision_key(k, "A") for k in KINDS]
    keys += [
        decision_key(KIND_OBLIGATION, "AB", "C"),
        decision_key(KIND_OBLIGATION, "A", "BC"),
        decision_key(KIND_OBLIGATION, "T", "A", "B"),
        decision_key(KIND_OBLIGATION, "T", "B", "A"),
    ]
    assert len(set(keys)) == len(keys)


def test_rep_state_separates_seeds_and_replicates():
    states = {rep_state_py(s, r) for s in range(50) for r in range(50)}
    assert len(states) == 2500
    assert rep_state_py(1, 0) != rep_state_py(0, 1)


# ------------------------------------------------------------------ stability (a contract)

# The hash and the mixer are two published functions, checked against their published
# test vectors (not against values this code once produced): FNV-1a 64 (Fowler, Noll,
# Vo; offset basis 0xcbf29ce484222325, prime 0x100000001b3) and SplitMix64's output
# function (Steele, Lea & Flood 2014; Vigna's splitmix64.c). string_hash is the first
# followed by the second.

#: FNV-1a 64 of UTF-8 bytes: the published test vectors.
FNV1A64_VECTORS = {
    "": 0xCBF29CE484222325,
    "a": 0xAF63DC4C8601EC8C,
    "foobar": 0x85944171F73967E8,
}

#: SplitMix64's first outputs: seed 0 (splitmix64.c, the state xoshiro's seeding
#: publishes) and seed 1234567 (Rosetta Code, "Pseudo-random numbers/Splitmix64").
SPLITMIX64_OUTPUTS = {
    0: [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F, 0xF88BB8A8724C81EC],
    1234567: [
        6457827717110365317,
        3203168211198807973,
        9817491932198370423,
        4593380528125082431,
        16408922859458223821,
    ],
}


def fnv1a64(text: str) -> int:
    """FNV-1a 64 from its definition: per byte, xor then multiply by the prime."""
    h = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x100000001B3) & MASK
    return h


def splitmix64(seed: int, count: int, mix) -> list[int]:
    """SplitMix64's ``next()``: ``mix(state += 0x9E3779B97F4A7C15)``, ``count`` times."""
    state, out = seed, []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & MASK
        out.append(int(mix(state)))
    return out


@pytest.mark.parametrize(("text", "expected"), FNV1A64_VECTORS.items())
def test_fnv1a64_gives_the_published_vectors(text, expected):
    assert fnv1a64(text) == expected


@pytest.mark.parametrize("seed", sorted(SPLITMIX64_OUTPUTS))
def test_mix64_gives_splitmix64s_published_outputs(seed):
    want = SPLITMIX64_OUTPUTS[seed]
    assert GOLDEN == 0x9E3779B97F4A7C15
    assert splitmix64(seed, len(want), rng.mix64_py) == want
    assert splitmix64(seed, len(want), lambda z: rng.mix64(np.uint64(z))) == want


@pytest.mark.parametrize(
    "text", ["", "a", "foobar", "GMY", "Dual Alliance (1879)", "Völkerbund", "Zürich"]
)
def test_string_hash_is_fnv1a64_then_mix64(text):
    assert string_hash(text) == rng.mix64_py(fnv1a64(text))


def test_kind_tags_are_stable():
    assert KINDS == (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)


def test_decision_key_and_draws_are_stable():
    assert decision_key(KIND_OUTCOME) == 0x53CB9F0C747EA2EA
    assert decision_key(KIND_OBLIGATION, "Dual Alliance (1879)", "GMY", "AUH") == 0x735533EAEAAFEE70
    assert rep_state_py(0, 0) == 0x5EDA5B6B121223A4
    assert rep_state_py(20140628, 12345) == 0xE38389102F438043
    u = uniform_py(rep_state_py(20140628, 12345), decision_key(KIND_OUTCOME))
    assert u == 0.3859387164538527


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_threshold_decides_exactly_like_the_uniform(seed) -> None:
    """draw_bits < threshold(p) holds exactly when uniform < p (the kernel's hot path)."""
    gen = np.random.default_rng(seed)
    ps = [0.0, 1.0, 0.5, 0.2, 0.75, 1e-300, 1 - 2**-53, *gen.random(200)]
    for _ in range(2000):
        state = np.uint64(int(gen.integers(0, 2**63)) * 2 + int(gen.integers(0, 2)))
        key = np.uint64(int(gen.integers(0, 2**63)))
        u = rng.uniform(state, key)
        bits = rng.draw_bits(state, key)
        for p in ps[:: 1 + int(gen.integers(0, 7))]:
            assert (bits < np.uint64(rng.threshold(p))) == (u < p)
    assert rng.threshold(1.0) == 2**53
    assert rng.threshold(0.0) == 0
