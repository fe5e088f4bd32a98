"""Model version 2 keys are validated, and refused by the engines until they run them."""

from __future__ import annotations

import pytest
from helpers import cli

import escalate
from escalate.engine.support import MODEL_V2_SIMULATED, unsimulated_features
from escalate.model.world import WorldError, world_from_dict

BASE = {
    "name": "v2",
    "incident": {"initiator": "A", "target": "B"},
    "nations": [{"id": x, "power": 1.0} for x in "ABC"],
}
CASES = [
    ({"alliances": [{"name": "t", "kind": "defense", "members": ["B", "C"],
                     "against": ["A"]}]}, "alliances['t'].against"),
    ({"alliances": [{"name": "t", "kind": "entente", "members": ["B", "C"],
                     "unprovoked": True}]}, "alliances['t'].unprovoked"),
    ({"alliances": [{"name": "t", "kind": "defense", "members": ["B", "C"],
                     "min_attackers": 2}]}, "alliances['t'].min_attackers"),
    ({"organizations": [{"name": "Hague", "kind": "arbitration", "members": ["A", "B"],
                         "settlement": 0.4}]}, "organizations['Hague'] (kind arbitration)"),
    ({"organizations": [{"name": "NATO", "kind": "collective_defense", "members": ["B", "C"],
                         "unprovoked": True, "response": {"military": 1.0}}]},
     "organizations['NATO'].unprovoked"),
]  # fmt: skip


@pytest.mark.skipif(MODEL_V2_SIMULATED, reason="the engines simulate model version 2")
@pytest.mark.parametrize("extra, where", CASES)
def test_valid_v2_keys_are_refused_by_the_engines_not_ignored(tmp_path, extra, where) -> None:
    world = world_from_dict({**BASE, **extra})  # the loader accepts it
    assert unsimulated_features(world) == [where]
    with pytest.raises(WorldError, match="not simulated by this version"):
        escalate.simulate(world, 10, seed=1)
    path = tmp_path / "v2.toml"
    path.write_text(escalate.dump_world(world))
    assert escalate.load_world(path).canonical_hash() == world.canonical_hash()  # round trip
    r = cli("run", path, "-n", 10, "-s", 1, "-o", tmp_path / "out")
    assert r.returncode == 2 and where in r.stderr and "not simulated" in r.stderr
    assert not (tmp_path / "out").exists()


def test_worlds_without_v2_keys_keep_their_hash() -> None:
    """The new keys are written only when used: older worlds hash as before."""
    plain = world_from_dict(
        {**BASE, "alliances": [{"name": "t", "kind": "defense", "members": ["B", "C"]}]}
    )
    assert "against" not in plain.to_dict()["alliances"][0]
    assert unsimulated_features(plain) == []
    # the pinned hashes of the bundled worlds: tests/test_model_layout.py
