"""``model = 2`` reproduces version 2 row for row.

``tests/data/v2/fixtures.json`` holds the row digests of every bundled world and of
60 property worlds, written by ``tests/make_v2_fixtures.py`` with the engine as it
was before model version 3. Run again with ``[dynamics] model = 2`` (which ignores
the version 3 keys the bundled worlds now carry: regions, theatre, located,
unwritten), every digest must be unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from make_v2_fixtures import REPLICATES, SEED, digest

from escalate.model import load_world, world_from_dict
from escalate.runner import simulate

FIXTURES = json.loads((Path(__file__).parent / "data" / "v2" / "fixtures.json").read_text())


def _as_model_2(data: dict) -> dict:
    data = json.loads(json.dumps(data))
    dynamics = data.setdefault("dynamics", {})
    dynamics["model"] = 2
    dynamics.pop("entry", None)
    return data


@pytest.mark.parametrize("name", sorted(FIXTURES["bundled"]))
def test_bundled_world_under_model_2_gives_the_version_2_rows(name: str) -> None:
    world = world_from_dict(_as_model_2(load_world(name).to_dict()))
    cascades, participants = simulate(world, REPLICATES, SEED, participants=True)
    assert digest(cascades, participants) == FIXTURES["bundled"][name]


def test_property_worlds_under_model_2_give_the_version_2_rows() -> None:
    wrong = []
    for i, case in enumerate(FIXTURES["property"]):
        world = world_from_dict(_as_model_2(case["world"]))
        cascades, participants = simulate(world, REPLICATES, SEED, participants=True)
        if digest(cascades, participants) != case["digest"]:
            wrong.append(i)
    assert wrong == []


def test_the_digest_sees_a_changed_row() -> None:
    world = world_from_dict(_as_model_2(FIXTURES["property"][0]["world"]))
    cascades, participants = simulate(world, 50, SEED, participants=True)
    before = digest(cascades, participants)
    cascades.loc[3, "broken_promises"] += 1
    assert digest(cascades, participants) != before
