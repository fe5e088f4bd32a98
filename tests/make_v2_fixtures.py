"""Write tests/data/v2/fixtures.json: row digests of model version 2, from the engine.

Run once, before the engine learnt model version 3 (commit the output); ever after,
``tests/test_model_v2_fixtures.py`` runs the same worlds with ``model = 2`` and
checks that every digest is unchanged: version 2 reproduced row for row.

    python tests/make_v2_fixtures.py

The property worlds are drawn by the hypothesis strategy of ``tests/strategies.py``
(derandomized) and stored in the file itself, so the check does not depend on
hypothesis drawing the same examples again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings

from escalate.model import bundled_names, load_world, world_from_dict
from escalate.runner import simulate

OUT = Path(__file__).parent / "data" / "v2" / "fixtures.json"
REPLICATES = 2000
SEED = 20261206
N_PROPERTY = 60

#: the version 2 columns, in the order they are hashed
CASCADE_COLUMNS = (
    "replicate", "initiator", "target", "deterred", "belligerents", "side_a", "side_d",
    "majors", "rounds", "broken_promises", "conflicted", "sanctions", "diplomacy",
    "settled", "power_share", "vetoed", "winner", "world_war",
)  # fmt: skip
PARTICIPANT_COLUMNS = ("replicate", "nation", "side", "round", "via", "source")


def digest(cascades: pd.DataFrame, participants: pd.DataFrame) -> str:
    """SHA-256 of the version 2 columns of both tables, written as CSV."""
    h = hashlib.sha256()
    for df, cols in ((cascades, CASCADE_COLUMNS), (participants, PARTICIPANT_COLUMNS)):
        table = df[list(cols)].astype(object).where(df[list(cols)].notna(), None)
        h.update(table.to_csv(index=False, float_format="%.17g").encode())
    return h.hexdigest()


def run_digest(world) -> str:
    cascades, participants = simulate(world, REPLICATES, SEED, participants=True)
    return digest(cascades, participants)


def property_worlds() -> list[dict]:
    from strategies import world_dicts

    found: list[dict] = []

    @settings(max_examples=N_PROPERTY, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(world_dicts())
    def collect(d: dict) -> None:
        if len(found) < N_PROPERTY:
            found.append(d)

    collect()
    return found


def main() -> None:
    bundled = {name: run_digest(load_world(name)) for name in bundled_names()}
    props = []
    for i, d in enumerate(property_worlds()):
        d = json.loads(json.dumps(d))
        d["name"] = f"property_{i}"
        props.append({"world": d, "digest": run_digest(world_from_dict(d))})
    OUT.write_text(
        json.dumps(
            {"replicates": REPLICATES, "seed": SEED, "bundled": bundled, "property": props},
            indent=1,
            sort_keys=True,
        )
        + "\n"
    )
    print(f"{OUT}: {len(bundled)} bundled and {len(props)} property worlds")


if __name__ == "__main__":
    main()
