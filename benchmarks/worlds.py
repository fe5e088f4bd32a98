"""Synthetic worlds for benchmarks: the IC-equivalent world of the issue tracker."""

from __future__ import annotations

import numpy as np

from escalate.model.entities import World
from escalate.model.load import world_from_dict


def ic_world(n: int = 50, degree: float = 4.0, reliability: float = 0.2, seed: int = 0) -> World:
    """An independent-cascade-equivalent world.

    ``n`` nations; each nation but the initiator pledges ``offense`` help to
    ``degree`` others on average (directed random obligations, drawn once from
    ``seed``), each honoured with ``reliability``. Nobody is pledged to the
    initiator (``N0``), which attacks ``N1``: the war then spreads from the target
    exactly like an independent cascade with edge probability ``reliability``.
    """
    rng = np.random.default_rng(seed)
    ids = [f"N{i}" for i in range(n)]
    p_edge = degree / (n - 2)
    alliances = []
    for k in range(1, n):
        for j in range(1, n):
            if j != k and rng.random() < p_edge:
                alliances.append(
                    {
                        "name": f"e{k}-{j}",
                        "kind": "offense",
                        "guarantors": [ids[k]],
                        "protected": [ids[j]],
                        "reliability": reliability,
                    }
                )
    return world_from_dict(
        {
            "name": f"ic{n}",
            "incident": {"initiator": "N0", "target": "N1"},
            "nations": [{"id": x, "power": 1.0 / n, "major": i < 8} for i, x in enumerate(ids)],
            "alliances": alliances,
        },
        source="benchmarks.worlds.ic_world",
    )
