"""Run worlds: in memory (:func:`simulate`) or to a Parquet dataset (:func:`run`)."""

from __future__ import annotations

from .jobs import Interrupted, RunSummary, ignore_signals, run, simulate
from .parts import default_chunk_size, warm_up

__all__ = [
    "Interrupted",
    "RunSummary",
    "default_chunk_size",
    "ignore_signals",
    "run",
    "simulate",
    "warm_up",
]
