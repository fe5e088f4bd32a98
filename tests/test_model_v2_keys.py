"""Model version 2 keys round-trip through the world file and are simulated."""

from __future__ import annotations

import pytest

import escalate
from escalate.model.load import world_from_dict

BASE = {
    "name": "v2",
    "incident": {"initiator": "A", "target": "B"},
    "nations": [{"id": x, "power": 1.0} for x in "ABC"],
}
CASES = [
    {"alliances": [{"name": "t", "kind": "defense", "members": ["B", "C"], "against": ["A"]}]},
    {"alliances": [{"name": "t", "kind": "entente", "members": ["B", "C"], "unprovoked": True}]},
    {"alliances": [{"name": "t", "kind": "defense", "members": ["B", "C"], "min_attackers": 2}]},
    {"organizations": [{"name": "Hague", "kind": "arbitration", "members": ["A", "B"],
                        "settlement": 0.4}]},
    {"organizations": [{"name": "NATO", "kind": "collective_defense", "members": ["B", "C"],
                        "unprovoked": True, "response": {"military": 1.0}}]},
]  # fmt: skip


@pytest.mark.parametrize("extra", CASES)
def test_v2_keys_round_trip_and_run(tmp_path, extra) -> None:
    world = world_from_dict({**BASE, **extra})
    path = tmp_path / "v2.toml"
    path.write_text(escalate.dump_world(world))
    again = escalate.load_world(path)
    assert again.canonical_hash() == world.canonical_hash()
    assert again == world
    df = escalate.simulate(again, 200, seed=1)
    assert len(df) == 200 and {"conflicted", "settled"} <= set(df.columns)


def test_worlds_without_v2_keys_keep_their_dump() -> None:
    """The new keys are written only when used: older worlds hash as before (the pinned
    hashes of the bundled worlds are in tests/test_model_layout.py)."""
    plain = world_from_dict(
        {**BASE, "alliances": [{"name": "t", "kind": "defense", "members": ["B", "C"]}]}
    )
    row = plain.to_dict()["alliances"][0]
    assert not {"against", "unprovoked", "min_attackers"} & set(row)
