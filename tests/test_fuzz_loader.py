"""Fuzzing the world loader: it raises WorldError and nothing else.

Arbitrary TOML-like data, random mutations of the bundled teaching world (which
uses every feature) and random file contents either load or raise
:class:`WorldError`; every world that loads survives ``dump_world`` ->
``load_world`` with the same canonical hash.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import world_dicts

from escalate.model.dump import dump_world
from escalate.model.entities import World, WorldError
from escalate.model.load import load_world, world_from_dict
from escalate.model.schema import TOP_KEYS

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TEACHING = tomllib.loads((CONFIGS / "teaching.toml").read_text())
FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# TOML values (integers are 64-bit in TOML 1.0)
scalars = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(),
    st.dates(),
    st.times(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=16,
)
#: Values that sit on the edge of what some key accepts.
edges = st.sampled_from(
    [
        float("nan"),
        float("inf"),
        -float("inf"),
        -1,
        0,
        1,
        -0.0,
        0.5,
        1.0000001,
        2**63 - 1,
        "",
        " ",
        "AUR",
        "BOR",
        "ZZZ",
        "AUR\u200b",
        "\u0410UR",  # Cyrillic A
        "Ａ",
        "a\nb",
        "defense",
        "military",
        "random",
        "power",
        True,
        [],
        {},
        ["AUR", "AUR"],
        ["AUR", "BOR"],
        dt.date(1914, 6, 28),
    ]
)


def nodes(obj: Any, path: tuple = ()) -> list[tuple]:
    """Paths to every value inside ``obj`` (dict keys and list indexes)."""
    out = [path]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += nodes(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += nodes(v, (*path, i))
    return out


def get(obj: Any, path: tuple) -> Any:
    for p in path:
        obj = obj[p]
    return obj


def edge(draw: Any) -> Any:
    """A fresh copy of an edge value: later mutations must not change the shared one."""
    return copy.deepcopy(draw(edges))


@st.composite
def mutated_worlds(draw: Any) -> dict:
    """The teaching world with one to three random mutations."""
    world = copy.deepcopy(TEACHING)
    for _ in range(draw(st.integers(1, 3))):
        paths = nodes(world)
        path = draw(st.sampled_from(paths[1:]))
        parent, key = get(world, path[:-1]), path[-1]
        action = draw(st.sampled_from(["delete", "edge", "value", "unknown", "duplicate", "copy"]))
        if action == "delete":
            del parent[key]
        elif action == "edge":
            parent[key] = edge(draw)
        elif action == "value":
            parent[key] = draw(values)
        elif action == "unknown" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = edge(draw)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        elif action == "copy":  # a value from elsewhere in the world
            parent[key] = copy.deepcopy(get(world, draw(st.sampled_from(paths))))
    return world


def assert_round_trip(world: World, tmp: Path) -> None:
    text = dump_world(world, header="round trip")
    path = tmp / "world.toml"
    path.write_text(text, encoding="utf-8")
    again = load_world(path)
    assert again.canonical_hash() == world.canonical_hash()
    assert again == world


def load_or_world_error(data: Any) -> World | None:
    before = copy.deepcopy(data)
    try:
        return world_from_dict(data, source="fuzz.toml")
    except WorldError as e:
        assert str(e).startswith("fuzz.toml: ")
        return None
    finally:
        # in a list, so that an unchanged NaN (the same object) compares equal
        assert [data] == [before], "the loader changed its input"


@pytest.fixture(scope="module")
def tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def test_the_teaching_world_round_trips(tmp) -> None:
    assert_round_trip(world_from_dict(TEACHING), tmp)


@FUZZ
@given(st.dictionaries(st.one_of(st.sampled_from(TOP_KEYS), st.text(max_size=8)), values))
def test_arbitrary_data_raises_only_world_error(data) -> None:
    load_or_world_error(data)


@FUZZ
@given(values)
def test_arbitrary_top_level_value(data) -> None:
    load_or_world_error(data)


@FUZZ
@given(mutated_worlds())
def test_mutated_worlds_load_or_raise_world_error(tmp, data) -> None:
    world = load_or_world_error(data)
    if world is not None:
        assert_round_trip(world, tmp)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(world_dicts())
def test_valid_worlds_round_trip_with_the_same_hash(tmp, data) -> None:
    world = world_from_dict(data)
    assert_round_trip(world, tmp)
    # the canonical hash ignores the order of nations and treaties
    shuffled = dict(data, nations=data["nations"][::-1])
    if "alliances" in data:
        shuffled["alliances"] = data["alliances"][::-1]
    assert world_from_dict(shuffled).canonical_hash() == world.canonical_hash()


@FUZZ
@given(st.one_of(st.text(max_size=200).map(str.encode), st.binary(max_size=200)))
def test_arbitrary_file_contents(tmp, raw) -> None:
    path = tmp / "random.toml"
    path.write_bytes(raw)
    with pytest.raises(WorldError, match=r"random\.toml: "):
        load_world(path)


@FUZZ
@given(mutated_worlds())
def test_mutated_world_files(tmp, data) -> None:
    """The same through a file: TOML text of a mutated world (where TOML can hold it)."""
    import tomli_w

    try:
        text = tomli_w.dumps(data)
    except (TypeError, ValueError):
        assume(False)
    path = tmp / "mutated.toml"
    path.write_text(text, encoding="utf-8")
    try:
        world = load_world(path)
    except WorldError as e:
        # every problem names the file (and the line where known)
        problems = [str(x) for x in e.errors]
        assert problems and str(e).startswith(problems[0])
        assert all(re.match(rf"{re.escape(str(path))}(:\d+)?: ", x) for x in problems), problems
    else:
        assert_round_trip(world, tmp)


def test_integer_beyond_float_range_is_a_world_error(tmp) -> None:
    data = copy.deepcopy(TEACHING)
    data["nations"][0]["power"] = 10**400  # tomllib reads such integers from a file
    with pytest.raises(WorldError, match=r"nations\[\w+\]\.power: out of range") as e:
        world_from_dict(data)
    assert e.value.index_path == "nations[0].power"
