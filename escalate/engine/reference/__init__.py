"""The reference: the cascade rules in plain Python, written to be read (docs/model.md).

See :mod:`.run` for the layout. Public here: :func:`simulate_reference`,
:func:`trace_reference`, :func:`canonical_obligations`, :func:`contest` and the
draws (:func:`decision_key`, :func:`rep_state`, :func:`uniform`, the ``KIND_*`` tags).
"""

from __future__ import annotations

from .draws import (
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
    uniform,
)
from .run import contest, expected_counts_reference, simulate_reference, trace_reference
from .world import canonical_obligations

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
    "canonical_obligations",
    "contest",
    "decision_key",
    "expected_counts_reference",
    "rep_state",
    "simulate_reference",
    "trace_reference",
    "uniform",
]
