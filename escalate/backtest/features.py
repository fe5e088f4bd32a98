"""What a political scientist's baselines know of each state: ties, status, power, place.

One row per state of a war (the order of ``case.ids``): its obligations of each kind
towards the incident parties of the initiator's side and of the target's side (ATOP
and COW as imported, neutrality pledges included), whether it is a major power, the
log of its share of the system's power, and whether its region is in the theatre.
The pact rule and the logistic regression of :mod:`.baselines` read these.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..model.schema import ALLIANCE_KINDS
from .predict import Case

__all__ = ["FEATURES", "features"]

#: The feature columns: ties by kind to each side, then status, power and place.
FEATURES: tuple[str, ...] = (
    *(f"{kind}_to_{side}" for side in ("initiator", "target") for kind in ALLIANCE_KINDS),
    "major",
    "log_power_share",
    "in_theatre",
)


def features(case: Case) -> pd.DataFrame:
    """The :data:`FEATURES` of every state of ``case`` (rows in ``case.ids`` order)."""
    world = case.world
    inc = world.incident
    sides = {"initiator": set(inc.initiator_ids), "target": set(inc.target_ids)}
    index = {nid: i for i, nid in enumerate(case.ids)}
    n = len(case.ids)
    ties = {c: np.zeros(n) for c in FEATURES[: 2 * len(ALLIANCE_KINDS)]}
    for a in world.alliances:
        for k, j in a.pairs:
            for side, parties in sides.items():
                if j in parties:
                    ties[f"{a.kind}_to_{side}"][index[k]] += 1
    total = sum(x.power for x in world.nations) or 1.0
    theatre = set(inc.theatre or ())
    if inc.theatre is None:
        region = world.nation(inc.target).region if inc.target else None
        theatre = {region} if region else set()
    nation = {x.id: x for x in world.nations}
    out = pd.DataFrame(ties)
    out["major"] = [1.0 if nation[i].major else 0.0 for i in case.ids]
    out["log_power_share"] = [math.log(max(nation[i].power / total, 1e-6)) for i in case.ids]
    out["in_theatre"] = [1.0 if nation[i].region in theatre else 0.0 for i in case.ids]
    return out
