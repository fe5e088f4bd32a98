"""Keyed counter-based random numbers (docs/model.md).

Every decision in a cascade draws one uniform from a hash of
``(run seed, replicate index, decision key)``. There is no sequential state, so
replicate *i* gets the same numbers whatever the thread count, chunk size,
machine or the other worlds in the run.

Decision keys are built at compile time from a *kind tag* and stable hashes of
the strings that identify the decision (nation ids, treaty, organization and
plan names), never from array positions: two worlds that share a nation or a
treaty use the same draw for the same decision (common random numbers).

The mixing function is the SplitMix64 finalizer (Steele, Lea & Flood 2014). The
pure-Python functions here (``*_py``) define the numbers; the jitted versions
must reproduce them bit for bit (tested).
"""

from __future__ import annotations

import math

import numpy as np

from .options import jit

__all__ = [
    "KIND_ARBITRATION",
    "KIND_DETERRENCE",
    "KIND_INCIDENT_INITIATOR",
    "KIND_INCIDENT_TARGET",
    "KIND_NEUTRALITY",
    "KIND_OBLIGATION",
    "KIND_ORGANIZATION",
    "KIND_OUTCOME",
    "KIND_PLAN",
    "KIND_TREATY",
    "KIND_UNALIGNED",
    "KIND_UNALIGNED_SIDE",
    "decision_key",
    "rep_state",
    "rep_state_py",
    "replicate_state",
    "seed_state",
    "string_hash",
    "threshold",
    "uniform",
    "uniform_py",
]

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_SEED_SALT = 0x6A09E667F3BCC909  # sqrt(2) fraction bits: separates seeds from keys

#: Kind tags: each kind of decision has its own key space.
KIND_OBLIGATION = 1
KIND_NEUTRALITY = 2
KIND_ORGANIZATION = 3
KIND_PLAN = 4
KIND_DETERRENCE = 5
KIND_OUTCOME = 6
KIND_INCIDENT_INITIATOR = 7
KIND_INCIDENT_TARGET = 8
KIND_ARBITRATION = 9
KIND_UNALIGNED = 10  # model version 3: a nation without a decided obligation joins
KIND_UNALIGNED_SIDE = 11  # ... and the side it joins
KIND_TREATY = 12  # dynamics.decide = "treaty": one draw per obligor, kind and treaty


def mix64_py(z: int) -> int:
    """SplitMix64 finalizer on Python ints (the definition)."""
    z &= MASK
    z = ((z ^ (z >> 30)) * _M1) & MASK
    z = ((z ^ (z >> 27)) * _M2) & MASK
    return z ^ (z >> 31)


def string_hash(text: str) -> int:
    """Stable 64-bit hash of a string: FNV-1a over its UTF-8 bytes, then mixed."""
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & MASK
    return mix64_py(h)


def decision_key(kind: int, *parts: str) -> int:
    """The key of one decision: a kind tag folded with the hashes of its parts.

    Examples
    --------
    >>> decision_key(KIND_OBLIGATION, "Dual Alliance", "GMY", "AUH") != decision_key(
    ...     KIND_OBLIGATION, "Dual Alliance", "AUH", "GMY")
    True
    """
    h = mix64_py(kind * GOLDEN)
    for p in parts:
        h = mix64_py(h ^ string_hash(p))
    return h


def threshold(p: float) -> int:
    """The integer form of ``uniform < p``: ``draw_bits < threshold(p)``.

    A uniform is ``m * 2**-53`` with ``m`` the top 53 bits of the hash, so
    ``u < p`` holds exactly when ``m < ceil(p * 2**53)`` (scaling by a power of two
    is exact). The kernel compares integers on its hottest path and skips the
    int-to-float conversion; the decisions are identical.
    """
    return math.ceil(p * 9007199254740992.0)


def rep_state_py(seed: int, replicate: int) -> int:
    """The per-replicate state from which every draw of that replicate is keyed."""
    s = mix64_py((seed ^ _SEED_SALT) & MASK)
    return mix64_py(s ^ mix64_py((replicate + GOLDEN) & MASK))


def uniform_py(state: int, key: int) -> float:
    """Uniform on [0, 1) with 53 random bits for (replicate state, decision key)."""
    return (mix64_py(state ^ key) >> 11) * (1.0 / 9007199254740992.0)


# ---------------------------------------------------------------- jitted mirrors

_U30 = np.uint64(30)
_U27 = np.uint64(27)
_U31 = np.uint64(31)
_U11 = np.uint64(11)
_UM1 = np.uint64(_M1)
_UM2 = np.uint64(_M2)
_UGOLDEN = np.uint64(GOLDEN)
_USALT = np.uint64(_SEED_SALT)


@jit()
def mix64(z):
    z = (z ^ (z >> _U30)) * _UM1
    z = (z ^ (z >> _U27)) * _UM2
    return z ^ (z >> _U31)


@jit()
def seed_state(seed):
    """The part of :func:`rep_state` that depends on the seed only (hoist it out of loops)."""
    return mix64(seed ^ _USALT)


@jit()
def replicate_state(seed_st, replicate):
    """:func:`rep_state` from ``seed_state(seed)`` and the replicate (both uint64)."""
    return mix64(seed_st ^ mix64(replicate + _UGOLDEN))


@jit()
def rep_state(seed, replicate):
    """Jitted :func:`rep_state_py`; ``seed`` and ``replicate`` are uint64."""
    return replicate_state(seed_state(seed), replicate)


@jit()
def draw_bits(state, key):
    """The 53 random bits behind :func:`uniform` (compare with :func:`threshold`)."""
    return mix64(state ^ key) >> _U11


@jit()
def uniform(state, key):
    """Jitted :func:`uniform_py`; ``state`` and ``key`` are uint64."""
    return np.float64(mix64(state ^ key) >> _U11) * (1.0 / 9007199254740992.0)
