"""A world whose obligations would not fit in memory is refused before they are expanded."""

from __future__ import annotations

import time

import pytest

from escalate.model import schema
from escalate.model.entities import WorldError
from escalate.model.load import world_from_dict


def _one_treaty(n: int) -> dict:
    ids = [f"N{i}" for i in range(n)]
    return {
        "name": "big",
        "incident": {"initiator": "N0", "target": "N1"},
        "nations": [{"id": x, "power": 1.0} for x in ids],
        "alliances": [{"name": "everyone", "kind": "defense", "members": ids}],
    }


def test_a_billion_obligations_fail_fast_with_the_estimate() -> None:
    memory = schema.physical_memory()
    assert memory is not None  # Linux says
    n = 32_767  # k * (k - 1) = 1.07e9 obligations, under MAX_OBLIGATIONS
    assert n * (n - 1) <= schema.MAX_OBLIGATIONS
    t = time.perf_counter()
    with pytest.raises(WorldError) as e:
        world_from_dict(_one_treaty(n), source="big.toml")
    assert time.perf_counter() - t < 20  # counted, not expanded (it used to take 11.6 GB)
    message = str(e.value)
    assert "\n" not in message and "1,073,643,522 directed obligations" in message
    need = n * (n - 1) * schema.BYTES_PER_OBLIGATION / 2**30
    assert f"about {need:.1f} GiB" in message and "GiB; split the treaty" in message


def test_the_bound_is_the_machines_memory(monkeypatch) -> None:
    world_from_dict(_one_treaty(60))  # 3,540 obligations: fine
    monkeypatch.setattr(schema, "physical_memory", lambda: 3540 * schema.BYTES_PER_OBLIGATION - 1)
    with pytest.raises(WorldError, match="3,540 directed obligations"):
        world_from_dict(_one_treaty(60))
    monkeypatch.setattr(schema, "physical_memory", lambda: None)  # unknown: no bound
    assert len(world_from_dict(_one_treaty(60)).alliances) == 1
