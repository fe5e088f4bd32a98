"""The layout of escalate.model: small stdlib-only modules, one table of defaults.

- importing the model imports neither numpy, pandas, pyarrow nor numba;
- (its imports are the standard library's and its own, and its modules are short:
  pyproject.toml's import contracts and tests/test_sizes.py)
- ``escalate.<name>`` and ``escalate.model.<name>`` give the defining modules' objects;
- the ``[dynamics]`` defaults are written once, in ``escalate.model.defaults``:
  the dataclass, the loader, ``escalate check`` and docs/worlds.md read that table;
- the canonical hashes of the bundled worlds do not change.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import cli

import escalate.model
from escalate.model import defaults
from escalate.model.defaults import DEFAULT_DYNAMICS, DYNAMICS, RULES, default, markdown_table
from escalate.model.entities import Dynamics, World, WorldError
from escalate.model.load import load_world, world_from_dict
from escalate.model.schema import ALLIANCE_KINDS

MODEL = Path(escalate.model.__file__).resolve().parent
REPO = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "pandas", "pyarrow", "numba")

#: Canonical hashes of the bundled worlds: results store them, so they must not move
#: by accident. europe_1914 changed on purpose with model version 2 (the conditions
#: ATOP codes: Dual Alliance against Russia, Triple Alliance and Austro-Romanian
#: treaty unprovoked; before 48286a98...c06f0), and again when it was rebuilt by the
#: importer from the data plus an overlay (every ATOP condition in force, ATOP and COW
#: treaties as coded; before 9a40cd14...12e6d, its baseline 5565539c...1269e). Every
#: hash changed on purpose with model version 3: the canonical form holds the rules
#: (model, entry), [dynamics.honour] and [dynamics.unaligned], and under model 3 only
#: the reliabilities a world fixes (teaching before: 40c738e7...d11003).
HASHES = {
    "cold_war_1985": "d61564c1151f4f77e93ab32643e7301d3c9065ac103c73a5a27c2697ebe334ba",
    "concert_1815": "7f75e5d964f41e50cbf6aa62727bd6a5022b568a9a204f8516d42a1e0681898d",
    "concert_1822": "fc33ea2f17fa45b37bee3ee43eb36b2b5e4b991ddb159be7cdbcb18cfcd3197c",
    "europe_1914": "0952823779b1c1700b35897c6a4f1a2337b659750e56cc2eea008df527688127",
    "europe_1914_no_alliances": "c2df9ce414e551c99e363a7c9947739dad297016b548e44952f5e1381d45be4b",
    "europe_1939": "f07aba9f24d869f4bdb2d1725367fc697a5d98c16d71b83449b723cb214625a7",
    "gulf_1990": "c4798b7fa5593cb5a5efd5d21a12216559db6630c8213fa12dc462a9fb636064",
    "hague_1907": "56d3d3e3fa4c6af97ca4455a32d79d2deef67b09f483f2da96b2fcbb92dadb64",
    "league_1935": "61e4b59263e2b055dababfa5c8d72b257a2204948b486e6a8b6b3e7cf6dff357",
    "nato_2016": "250a1303fea7882ed8df4195ca927bb284480224a461adcca5c477e04f53e870",
    "teaching": "d6be64a2674504b522117e6f7da11d4b5b0ccc856d332625fd10baef50238081",
}


def model_modules() -> list[Path]:
    return sorted(MODEL.glob("*.py"))


def small_world(**dynamics: object) -> World:
    return world_from_dict(
        {
            "name": "w",
            "dynamics": dynamics,
            "incident": {"initiator": "A", "target": "B"},
            "nations": [{"id": "A", "power": 1.0}, {"id": "B", "power": 2.0}],
        },
        source="w.toml",
    )


# --------------------------------------------------------------------------- imports


@pytest.mark.parametrize(
    "module",
    [
        "escalate.model",
        "escalate.model.generate",
        "escalate.model.sweep",
        "escalate.model.load",
        "escalate.model.dump",
    ],
)
def test_the_model_imports_no_heavy_package(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        f"{module}.__name__\n"
        "w = sys.modules['escalate.model.load'].load_world('teaching')\n"
        "w.summary(), w.canonical_hash()\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


# --------------------------------------------------------------------------- public names


def test_the_root_gives_the_defining_modules_objects() -> None:
    from escalate.model import dump, entities, load

    assert escalate.load_world is load.load_world is escalate.model.load_world
    assert escalate.world_from_dict is load.world_from_dict
    assert escalate.dump_world is dump.dump_world
    assert escalate.World is entities.World and escalate.WorldError is entities.WorldError


def test_model_package_reexports_its_public_api() -> None:
    for name in escalate.model.__all__:
        assert getattr(escalate.model, name) is not None, name
    assert escalate.model.World is World


def test_world_has_no_unvalidated_replace() -> None:
    w = small_world()
    assert not hasattr(w, "replace")
    # the way to change a world: change its data and validate it again
    d = w.to_dict()
    d["dynamics"]["deterrence"] = 2.0
    with pytest.raises(WorldError, match=r"dynamics\.deterrence: must be <= 1"):
        world_from_dict(d)


def test_every_structure_kind_has_a_builder() -> None:
    from escalate.model.generate import _BUILDERS, STRUCTURES

    assert tuple(_BUILDERS) == STRUCTURES


# --------------------------------------------------------------------------- defaults


def test_the_dataclass_defaults_are_the_table() -> None:
    dyn = Dynamics()
    fields = [f.name for f in dataclasses.fields(Dynamics)]
    keys = [d.key for d in DYNAMICS]
    tables = list(dict.fromkeys(k.split(".")[0] for k in keys))
    # the table's parameters, the rules, and which reliabilities a world fixes
    assert sorted(fields) == sorted([*tables, *(r.key for r in RULES), "reliability_set"])
    for d in DYNAMICS:
        head, _, rest = d.key.partition(".")
        getters = {
            "reliability": dyn.default_reliability,
            "honour": dyn.honour_value,
            "unaligned": dyn.unaligned_value,
        }
        value = getters[head](rest) if head in getters else getattr(dyn, head)
        assert value == d.value and type(value) is type(d.value), d.key
    assert [f"reliability.{k}" for k, _ in dyn.reliability] == [
        k for k in keys if k.startswith("reliability.")
    ]
    assert [f"honour.{k}" for k, _ in dyn.honour] == [k for k in keys if k.startswith("honour.")]
    assert [f"unaligned.{k}" for k, _ in dyn.unaligned] == [
        k for k in keys if k.startswith("unaligned.")
    ]
    for r in RULES:
        assert getattr(dyn, r.key) == r.value and r.value in r.options


def test_the_default_dynamics_nest_as_toml_tables() -> None:
    honour = DEFAULT_DYNAMICS["honour"]
    assert set(honour["intercept"]) == set(ALLIANCE_KINDS)
    assert honour["intercept"]["defense"] == default("honour.intercept.defense").value
    assert not any("." in k for k in honour) and not any("." in k for k in DEFAULT_DYNAMICS)
    assert DEFAULT_DYNAMICS["unaligned"]["intercept"] == -math.inf
    assert DEFAULT_DYNAMICS["model"] == 3 and DEFAULT_DYNAMICS["entry"] == "enemies"


def test_the_loader_fills_in_the_table() -> None:
    assert small_world().dynamics == Dynamics()
    # model 3 writes only the reliabilities a world fixes: none here; ``decide`` only when set
    expected = {k: v for k, v in DEFAULT_DYNAMICS.items() if k not in ("reliability", "decide")}
    assert small_world().to_dict()["dynamics"] == expected
    # model 2 fixes every kind, and attacks the whole other side by default
    v2 = small_world(model=2)
    assert v2.dynamics.entry == "side"
    # ``decide`` is written only when set (the hashes of earlier worlds do not change)
    expected = {**DEFAULT_DYNAMICS, "model": 2, "entry": "side"}
    assert expected.pop("decide") == "obligation"
    assert v2.to_dict()["dynamics"] == expected


@pytest.mark.parametrize("d", DYNAMICS, ids=[d.key for d in DYNAMICS])
def test_the_loader_enforces_the_ranges_of_the_table(d: defaults.Default) -> None:
    def given(value: object) -> World:
        *heads, leaf = d.key.split(".")
        table: dict[str, object] = {leaf: value}
        for head in reversed(heads):
            table = {head: table}
        return small_world(**table)

    for ok in (d.lo, d.hi, d.value):
        assert defaults.dynamics_in_effect(given(ok).dynamics)[DYNAMICS.index(d)][1] == ok
    step = 1 if d.integer else max(abs(d.hi), 1.0) * 1e-9
    # the value that switches a term off (unaligned.intercept = -inf) is the only other
    for bad in (d.lo - step, d.hi + step, math.inf, -math.inf):
        if bad == d.off:
            assert defaults.dynamics_in_effect(given(bad).dynamics)[DYNAMICS.index(d)][1] == bad
            continue
        with pytest.raises(WorldError, match=rf"w\.toml: {re.escape(d.path)}: must be"):
            given(bad)
    with pytest.raises(WorldError, match=rf"{re.escape(d.path)}: must be"):
        given("high")
    with pytest.raises(WorldError, match=rf"{re.escape(d.path)}: must be .*got nan"):
        given(math.nan)


def test_the_defaults_are_written_once() -> None:
    """No other model module repeats a default of the table as a literal."""
    literals = {d.value for d in DYNAMICS if d.value not in (0, 1, 3, 0.0, 1.0)}
    found = []
    for path in model_modules():
        if path.name == "defaults.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            number = isinstance(node, ast.Constant) and type(node.value) in (int, float)
            if number and node.value in literals:
                found.append(f"{path.name}:{node.lineno}: {node.value!r}")
    assert not found, "\n".join(found)


def test_every_default_has_a_meaning_and_a_source() -> None:
    for d in DYNAMICS:
        assert d.allows(d.value) and math.isfinite(d.lo), d.key
        assert d.description and d.source, d.key
        assert math.isfinite(d.hi)
    sources = " ".join(d.source for d in DYNAMICS)
    assert "Leeds, Long & Mitchell 2000" in sources
    assert "Berkemeier & Fuhrmann 2018" in sources


def test_the_docs_show_the_table() -> None:
    page = (REPO / "docs" / "worlds.md").read_text()
    assert markdown_table() in page, "docs/worlds.md's defaults table: paste markdown_table()"


def test_check_marks_the_dynamics_that_differ_from_the_defaults() -> None:
    plain = small_world().summary()
    assert "dynamics     (all defaults)" in plain
    assert "*" not in plain.split("dynamics", 1)[1]
    text = small_world(deterrence=0.2, reliability={"entente": 0.5}).summary()
    lines = text.splitlines()
    assert "dynamics     (2 set by the world, marked *)" in lines
    assert any(x.split() == ["deterrence", "0.2", "*", "default", "0"] for x in lines)
    assert any(x.split() == ["reliability.entente", "0.5", "*", "default", "0.35"] for x in lines)
    assert any(x.split() == ["max_rounds", "32"] for x in lines)
    for d in DYNAMICS:
        assert any(x.strip().startswith(d.key + " ") for x in lines), d.key


def test_check_command_shows_the_dynamics_in_effect() -> None:
    r = cli("check", REPO / "configs" / "teaching.toml")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert any(x.split() == ["max_rounds", "20", "*", "default", "32"] for x in lines)
    assert any(x.split() == ["reliability.entente", "0.35"] for x in lines)


# --------------------------------------------------------------------------- hashes


@pytest.mark.parametrize("name", sorted(HASHES))
def test_canonical_hashes_of_the_bundled_worlds_do_not_change(name: str) -> None:
    world = load_world(REPO / "configs" / f"{name}.toml")
    assert world.canonical_hash() == HASHES[name]
