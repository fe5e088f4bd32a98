"""A random incident's candidates, their weights and the tables that pick one.

The pick is defined in docs/model.md ("The incident") and executed by
:func:`escalate.engine.reference.run._pick`: the first candidate whose cumulative
weight exceeds ``x = u * total`` (the excluded candidate's slice left out). The
kernel finds it through a *guide table* (Chen's method for inverse-transform
sampling): ``guide[j]`` is the first candidate whose cumulative weight exceeds
``thr[j] = j / scale``, for :data:`GUIDE_PER_CANDIDATE` buckets per candidate. A
point ``x`` starts at the guide of the last bucket at or below it and steps on while
the cumulative weight does not exceed it, so the candidate is the one a search from
the first would find: the same pick, in about one step instead of ``log2(m)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model.entities import World
from .codes import SIDE_A, SIDE_D

__all__ = ["GUIDE_PER_CANDIDATE", "cumulative", "guide_table", "incident_arrays"]

#: Buckets of the guide table per candidate (more: fewer steps, a larger table).
GUIDE_PER_CANDIDATE = 4


def cumulative(w: np.ndarray) -> np.ndarray:
    """``[0, w0, w0 + w1, ...]``, added one by one in order (as the reference adds)."""
    cum = np.zeros(len(w) + 1)
    for q, x in enumerate(w.tolist()):
        cum[q + 1] = cum[q] + x
    return cum


def guide_table(cum: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The guide table of the cumulative weights ``cum``: ``(guide, thr, scale)``.

    ``thr[j] = j / scale`` starts bucket ``j``; ``guide[j]`` is the first ``q`` with
    ``cum[q + 1] > thr[j]`` (``m``, the number of candidates, if none). Every
    candidate before ``guide[j]`` ends at or below ``thr[j]``, so a point at or
    above ``thr[j]`` is never one of them: that is all the kernel relies on.
    """
    m = len(cum) - 1
    buckets = max(1, GUIDE_PER_CANDIDATE * m)
    total = float(cum[m]) if m > 0 else 0.0
    scale = buckets / total if total > 0.0 else 0.0
    thr = np.arange(buckets) / scale if scale > 0.0 else np.zeros(buckets)
    guide = np.searchsorted(cum[1:], thr, side="right").astype(np.int32)
    return guide, thr, scale


def incident_arrays(world: World, index: dict[str, int]) -> dict[str, Any]:
    """The ``inc_*`` fields of the compiled world, and the candidates of a random incident."""
    inc = world.incident
    n = len(index)
    if inc.mode == "fixed":
        assert inc.initiator is not None and inc.target is not None  # validated
        party = np.zeros(n, np.int8)
        for x in inc.initiator_ids:
            party[index[x]] = SIDE_A
        for x in inc.target_ids:
            party[index[x]] = SIDE_D
        fixed = {
            "inc_random": False,
            "inc_initiator": index[inc.initiator],
            "inc_target": index[inc.target],
            "inc_inits": _u32([index[x] for x in inc.initiator_ids]),
            "inc_targs": _u32([index[x] for x in inc.target_ids]),
            "inc_party": party,
        }
        nobody = np.zeros(0, np.float64)
        return (
            fixed
            | _candidates("init", [], nobody)
            | _candidates("targ", [], nobody)
            | {"targ_pos": np.full(n, -1, np.int32)}
        )
    pw = {x.id: x.power for x in world.nations}

    def weights(chosen: list[str]) -> np.ndarray:
        return np.array([pw[x] if inc.weights == "power" else 1.0 for x in chosen], np.float64)

    inits = sorted(inc.initiators) if inc.initiators is not None else list(index)
    targs = sorted(inc.targets) if inc.targets is not None else list(index)
    targ_pos = np.full(n, -1, np.int32)
    targ_pos[[index[x] for x in targs]] = np.arange(len(targs), dtype=np.int32)
    return {
        "inc_random": True,
        "inc_initiator": -1,
        "inc_target": -1,
        "inc_inits": _u32([]),
        "inc_targs": _u32([]),
        "inc_party": np.zeros(n, np.int8),
        **_candidates("init", [index[x] for x in inits], weights(inits)),
        **_candidates("targ", [index[x] for x in targs], weights(targs)),
        "targ_pos": targ_pos,
    }


def _candidates(prefix: str, cand: list[int], w: np.ndarray) -> dict[str, Any]:
    """``{prefix}_cand``, ``_w``, ``_cum`` and the guide table ``_guide``, ``_thr``, ``_scale``."""
    cum = cumulative(w)
    guide, thr, scale = guide_table(cum)
    return {
        f"{prefix}_cand": np.array(cand, np.int32),
        f"{prefix}_w": w,
        f"{prefix}_cum": cum,
        f"{prefix}_guide": guide,
        f"{prefix}_thr": thr,
        f"{prefix}_scale": scale,
    }


def _u32(a: list[int]) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.uint32)
