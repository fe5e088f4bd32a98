"""Generated alliance structures: validity, design properties and determinism."""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from escalate.model.dump import dump_world
from escalate.model.entities import World, WorldError
from escalate.model.generate import (
    STRUCTURES,
    VETO_KINDS,
    bipolar_blocs,
    generate,
    generated_header,
)
from escalate.model.load import load_world, world_from_dict

EUROPE = Path(__file__).resolve().parent.parent / "configs" / "europe_1914.toml"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

NATIONS = [
    ("AAA", 0.30, True),
    ("BBB", 0.20, True),
    ("CCC", 0.15, True),
    ("DDD", 0.12, False),
    ("EEE", 0.10, False),
    ("FFF", 0.06, False),
    ("GGG", 0.04, False),
    ("HHH", 0.03, False),
]


def small_dict(incident: dict | None = None) -> dict:
    """Eight nations with alliances, an organization and a plan (all to be replaced)."""
    return {
        "name": "small",
        "description": "eight invented nations",
        "dynamics": {"deterrence": 0.2, "max_rounds": 12, "reliability": {"defense": 0.6}},
        "incident": incident or {"initiator": "DDD", "target": "FFF"},
        "nations": [
            {"id": i, "name": f"Nation {i}", "power": p, "major": m} for i, p, m in NATIONS
        ],
        "alliances": [
            {"name": "old pact", "kind": "defense", "members": ["AAA", "BBB"]},
            {"name": "old pledge", "kind": "neutrality", "members": ["CCC", "DDD"]},
        ],
        "organizations": [
            {
                "name": "old league",
                "kind": "collective_security",
                "members": ["AAA", "EEE"],
                "response": {"military": 0.2},
            }
        ],
        "plans": [{"nation": "AAA", "trigger": ["BBB"], "attack": ["CCC"]}],
    }


@pytest.fixture
def small() -> World:
    return world_from_dict(small_dict(), source="small")


@pytest.fixture
def small_random() -> World:
    return world_from_dict(small_dict({"mode": "random", "weights": "power"}), source="small")


def big_world(n: int, seed: int = 0) -> World:
    """``n`` nations with uneven powers, the incident between two mid-sized ones."""
    import numpy as np

    power = np.random.default_rng(seed).pareto(1.5, n) + 0.01
    ids = [f"N{i:03d}" for i in range(n)]
    return world_from_dict(
        {
            "name": "big",
            "incident": {"initiator": ids[n // 2], "target": ids[n // 2 - 1]},
            "nations": [
                {"id": x, "power": float(p), "major": bool(p > 2)}
                for x, p in zip(ids, power, strict=True)
            ],
        }
    )


def worlds_to_check(small: World, small_random: World) -> list[World]:
    out = [small, small_random]
    if EUROPE.exists():  # bundled world: checked too when present
        out.append(load_world(EUROPE))
    return out


def assert_valid(w: World) -> None:
    assert NAME_RE.match(w.name)
    again = world_from_dict(w.to_dict())
    assert again == w
    assert again.to_dict() == w.to_dict()
    text = dump_world(w, header=generated_header("x", w))
    assert world_from_dict(tomllib.loads(text)) == w


@pytest.mark.parametrize("kind", STRUCTURES)
@pytest.mark.parametrize("veto", [False, True])
def test_every_kind_is_valid_and_keeps_the_nations(small, small_random, kind, veto):
    if veto and kind not in VETO_KINDS:
        with pytest.raises(ValueError, match="veto applies to an organization"):
            generate(kind, small, veto=True)
        return
    for base in worlds_to_check(small, small_random):
        w = generate(kind, base, veto=veto, seed=1, density=0.3)
        assert_valid(w)
        assert w.nations == base.nations
        assert w.incident == base.incident
        assert w.dynamics == base.dynamics
        assert w.plans == ()
        suffix = ("_s1_d0.3" if kind == "random" else "") + ("_veto" if veto else "")
        assert w.name == f"{base.name}_{kind}".replace("-", "_") + suffix
        names = [a.name for a in w.alliances] + [o.name for o in w.organizations]
        assert not {"old pact", "old pledge", "old league"} & set(names)


def test_none_is_empty(small):
    w = generate("none", small)
    assert w.alliances == () and w.organizations == () and w.plans == ()


def test_unknown_kind_and_bad_options(small):
    with pytest.raises(ValueError, match="unknown structure kind 'tripolar'"):
        generate("tripolar", small)
    with pytest.raises(ValueError, match="density"):
        generate("random", small, density=1.5)
    with pytest.raises(ValueError, match="density"):
        generate("random", small, density=math.nan)
    with pytest.raises(ValueError, match="hegemon 'ZZZ'"):
        generate("hub", small, hegemon="ZZZ")
    with pytest.raises(WorldError, match=r"reliability"):
        generate("bipolar", small, reliability=1.2)
    with pytest.raises(WorldError, match=r"response"):
        generate("collective-security", small, response={"military": 0.8, "sanctions": 0.5})
    with pytest.raises(WorldError, match="name"):
        generate("none", small, name="bad name!")


def test_name_option(small):
    assert generate("hub", small, name="custom.hub-1").name == "custom.hub-1"
    assert generate("collective-defense", small).name == "small_collective_defense"


def _bloc_power(w: World, bloc) -> float:
    return sum(w.nation(x).power for x in bloc)


@pytest.mark.parametrize("n", [2, 3, 8, 40])
def test_bipolar_blocs_separate_the_incident_and_balance_power(n):
    w = big_world(n, seed=n)
    a, b = bipolar_blocs(w)
    assert sorted(a + b) == sorted(w.ids)
    assert w.incident.initiator in a and w.incident.target in b
    largest = max(x.power for x in w.nations)
    assert abs(_bloc_power(w, a) - _bloc_power(w, b)) <= largest + 1e-12
    g = generate("bipolar", w)
    for treaty in g.alliances:
        assert treaty.kind == "defense"
        assert set(treaty.members) in (set(a), set(b))
    assert len(g.alliances) == sum(len(x) >= 2 for x in (a, b))


def test_bipolar_small_world(small):
    a, b = bipolar_blocs(small)
    assert "DDD" in a and "FFF" in b
    assert abs(_bloc_power(small, a) - _bloc_power(small, b)) <= 0.30 + 1e-12
    g = generate("bipolar", small, reliability=0.9)
    assert {t.name for t in g.alliances} == {
        f"Bipolar bloc of {max(x, key=lambda i: small.nation(i).power)}" for x in (a, b)
    }
    assert all(t.reliability == 0.9 for t in g.alliances)
    # without --reliability the dynamics' default applies
    assert all(t.reliability is None for t in generate("bipolar", small).alliances)


def test_bipolar_random_incident_starts_with_the_two_strongest(small_random):
    a, b = bipolar_blocs(small_random)
    assert "AAA" in a and "BBB" in b
    assert abs(_bloc_power(small_random, a) - _bloc_power(small_random, b)) <= 0.30 + 1e-12


def test_bipolar_ignores_file_order(small):
    d = small_dict()
    d["nations"] = d["nations"][::-1]
    reversed_world = world_from_dict(d)
    assert [set(x) for x in bipolar_blocs(reversed_world)] == [set(x) for x in bipolar_blocs(small)]


def test_collective_security(small):
    w = generate("collective-security", small)
    (org,) = w.organizations
    assert org.kind == "collective_security"
    assert set(org.members) == set(small.ids)
    assert org.veto == ()
    v = generate("collective-security", small, veto=True, response={"military": 0.4})
    (org,) = v.organizations
    assert set(org.veto) == {"AAA", "BBB", "CCC"}
    assert org.response_probability("military") == 0.4
    assert org.name == w.organizations[0].name  # same organization, shared draws


def test_collective_defense_faces_the_initiator(small, small_random):
    (org,) = generate("collective-defense", small, veto=True).organizations
    assert org.kind == "collective_defense"
    assert "FFF" in org.members and "DDD" not in org.members
    assert set(org.members) == set(bipolar_blocs(small)[1])
    assert set(org.veto) == {n.id for n in small.nations if n.major} & set(org.members)
    (org,) = generate("collective-defense", small_random).organizations
    assert "AAA" in org.members  # the strongest nation's bloc
    assert 2 <= len(org.members) < len(small_random.nations)


def test_hub_guarantees_everyone_else(small, small_random):
    for base in (small, small_random):
        (treaty,) = generate("hub", base).alliances
        assert treaty.kind == "defense"
        assert treaty.guarantors == ("AAA",)
        assert set(treaty.protected) == set(base.ids) - {"AAA"}
        assert set(treaty.pairs) == {("AAA", x) for x in base.ids if x != "AAA"}
    (treaty,) = generate("hub", small, hegemon="EEE").alliances
    assert treaty.guarantors == ("EEE",)
    assert set(treaty.protected) == set(small.ids) - {"EEE"}


def test_random_density_within_four_standard_errors():
    w = big_world(120)
    pairs = 120 * 119 // 2
    for density in (0.02, 0.1, 0.5):
        g = generate("random", w, density=density, seed=7)
        share = len(g.alliances) / pairs
        se = math.sqrt(density * (1 - density) / pairs)
        assert abs(share - density) < 4 * se, (density, share)
        assert all(len(t.members) == 2 and t.kind == "defense" for t in g.alliances)
    assert generate("random", w, density=0.0).alliances == ()
    assert len(generate("random", w, density=1.0).alliances) == pairs


def test_random_is_deterministic_nested_and_named_by_pair(small):
    w = big_world(30)
    one = generate("random", w, density=0.2, seed=3)
    assert one == generate("random", w, density=0.2, seed=3)
    assert one.alliances != generate("random", w, density=0.2, seed=4).alliances
    low = {t.name for t in generate("random", w, density=0.1, seed=3).alliances}
    assert low <= {t.name for t in one.alliances}
    for t in one.alliances:
        x, y = sorted(t.members)
        assert t.name == f"Defense pact {x}-{y}"
    # independent of the order of the nations in the file
    d = w.to_dict()
    d["nations"] = d["nations"][::-1]
    shuffled = generate("random", world_from_dict(d), density=0.2, seed=3)
    assert {t.name for t in shuffled.alliances} == {t.name for t in one.alliances}


def test_every_kind_is_deterministic(small):
    texts = {kind: dump_world(generate(kind, small, seed=5)) for kind in STRUCTURES}
    # every kind builds its own structure ...
    structures = [generate(k, small, seed=5) for k in STRUCTURES]
    assert len({(frozenset(w.alliances), frozenset(w.organizations)) for w in structures}) == len(
        STRUCTURES
    )
    # ... which depends on the seed for random only ...
    for kind in STRUCTURES:
        same = generate(kind, small, seed=6).alliances == generate(kind, small, seed=5).alliances
        assert same == (kind != "random"), kind
    # ... not on the order of the nations in the file ...
    d = small.to_dict()
    d["nations"] = d["nations"][::-1]
    shuffled = world_from_dict(d, source="small")
    for kind in STRUCTURES:
        assert set(generate(kind, shuffled, seed=5).alliances) == set(
            generate(kind, small, seed=5).alliances
        ), kind
    # ... nor on the process (string hashing is salted per process)
    code = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from test_generate import small_dict\n"
        "from escalate.model.generate import STRUCTURES, generate\n"
        "from escalate.model.dump import dump_world\n"
        "from escalate.model.load import world_from_dict\n"
        "w = world_from_dict(small_dict(), source='small')\n"
        "print(json.dumps({k: dump_world(generate(k, w, seed=5)) for k in STRUCTURES}))\n"
    )
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        r = subprocess.run(
            [sys.executable, "-c", code, str(Path(__file__).parent)],
            capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == texts


def test_header_is_written_as_comments(small):
    header = generated_header("random", small, seed=3, density=0.2, veto=False)
    assert "escalate generate random --nations small --seed 3 --density 0.2" in header
    text = dump_world(generate("random", small, seed=3, density=0.2), header=header)
    lines = text.splitlines()
    assert all(line.startswith("#") for line in lines[: len(header.splitlines())])


def test_generated_worlds_compile_and_run(small):
    from escalate.engine.compile import compile_world
    from escalate.results.arrow import run_arrays

    for kind, veto in itertools.product(STRUCTURES, (False, True)):
        if veto and kind not in VETO_KINDS:
            continue  # refused: test_every_kind_is_valid_and_keeps_the_nations
        w = generate(kind, small, veto=veto, density=0.4)
        out, _ = run_arrays(compile_world(w), 1, 0, 200, False)
        assert out["belligerents"].max() <= len(small.nations)
