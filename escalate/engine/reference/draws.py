"""The draws of the reference, written out in plain Python (docs/model.md, "Random numbers").

One uniform per decision, from a hash of (run seed, replicate, decision key): the
SplitMix64 finalizer (Steele, Lea & Flood 2014) over 64-bit words. A decision key
folds a kind tag with FNV-1a hashes of the strings that name the decision.
:mod:`escalate.engine.rng` holds the same definition beside its jitted mirrors;
tests check that the two agree.
"""

from __future__ import annotations

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
    "uniform",
]

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_SEED_SALT = 0x6A09E667F3BCC909

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
KIND_UNALIGNED = 10
KIND_UNALIGNED_SIDE = 11
KIND_TREATY = 12  # dynamics.decide = "treaty": one draw per obligor, kind and treaty


def _mix64(z: int) -> int:
    z &= _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _string_hash(text: str) -> int:
    h = 0xCBF29CE484222325  # FNV-1a offset basis
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x100000001B3) & _MASK
    return _mix64(h)


def decision_key(kind: int, *parts: str) -> int:
    """The key of one decision: its kind tag folded with the hashes of its names."""
    h = _mix64(kind * _GOLDEN)
    for part in parts:
        h = _mix64(h ^ _string_hash(part))
    return h


def rep_state(seed: int, replicate: int) -> int:
    """The state from which every draw of replicate ``replicate`` is keyed."""
    s = _mix64((seed ^ _SEED_SALT) & _MASK)
    return _mix64(s ^ _mix64((replicate + _GOLDEN) & _MASK))


def uniform(state: int, key: int) -> float:
    """The draw of decision ``key`` in replicate state ``state``: 53 bits in [0, 1)."""
    return (_mix64(state ^ key) >> 11) * 2.0**-53
