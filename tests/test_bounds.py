"""Bounds of a world: counts that must fit the fixed-width columns, and world names.

The kernel writes int16/int32 columns and compile.py indexes the world with
int32/uint32 arrays; a world of 33,001 nations used to run and report
``belligerents = -32535``. The loader now rejects every world whose counts do not
fit (the bounds are named constants of :mod:`escalate.model.schema`), and world names
that would break the results directory ``structure=<name>`` or be read back as
numbers by a hive-partitioned Parquet reader. The worlds here are generated, not
stored; none over a bound is compiled.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import tomli_w
from helpers import assert_frames_equal, cli, kernel_frames, reference_frames, single_thread

import escalate
from escalate.model.entities import WorldError
from escalate.model.load import world_from_dict
from escalate.model.schema import (
    MAX_CONTEST_EXPONENT,
    MAX_NAME_LENGTH,
    MAX_NATIONS,
    MAX_OBLIGATIONS,
    MAX_ORGANIZATIONS,
    MAX_PLANS,
    MAX_ROUNDS,
)
from escalate.results.schema import CASCADE_COLUMNS, PARTICIPANT_COLUMNS, kernel_dtypes

CascadeColumns = kernel_dtypes(CASCADE_COLUMNS)
ParticipantColumns = kernel_dtypes(PARTICIPANT_COLUMNS)

INT32_MAX = int(np.iinfo(np.int32).max)


def imax(dtype) -> int:
    return int(np.iinfo(dtype).max)


def world(n: int = 3, **extra) -> dict:
    """A world of nations N0 .. N{n-1} (power 1), N0 attacks N1."""
    d = {
        "name": "bounds",
        "incident": {"initiator": "N0", "target": "N1"},
        "nations": [{"id": f"N{i}", "power": 1.0} for i in range(n)],
    }
    d.update(extra)
    return d


def rejected(d: dict) -> WorldError:
    with pytest.raises(WorldError) as e:
        world_from_dict(d)
    return e.value


# --------------------------------------------------------------------------- the bounds


def test_each_bound_fits_the_columns_it_protects() -> None:
    # nations are counted in the int16 columns; MAX_NATIONS is exactly their maximum
    assert imax(np.int16) == MAX_NATIONS
    for col in ("belligerents", "side_a", "side_d", "majors"):
        assert imax(CascadeColumns[col]) >= MAX_NATIONS, col
    for col in ("initiator", "target"):
        assert imax(CascadeColumns[col]) >= MAX_NATIONS - 1, col
    assert imax(ParticipantColumns["nation"]) >= MAX_NATIONS - 1
    # rounds: the rounds column and the participants' round
    assert imax(CascadeColumns["rounds"]) >= MAX_ROUNDS
    assert imax(ParticipantColumns["round"]) >= MAX_ROUNDS
    # source codes: obligation ranks, then organizations, then nations (int32)
    assert imax(ParticipantColumns["source"]) >= MAX_OBLIGATIONS + MAX_ORGANIZATIONS + MAX_NATIONS
    # at most one broken promise per obligation (neutrality pledges included)
    assert imax(CascadeColumns["broken_promises"]) >= MAX_OBLIGATIONS
    # at most one sanction or diplomatic answer per (organization, member)
    for col in ("sanctions", "diplomacy"):
        assert imax(CascadeColumns[col]) >= MAX_ORGANIZATIONS * MAX_NATIONS, col
    # plan trigger/attack lists (MAX_NATIONS - 1 ids at most) behind int32 offsets
    assert MAX_PLANS * (MAX_NATIONS - 1) <= INT32_MAX
    assert (MAX_PLANS + 1) * (MAX_NATIONS - 1) > INT32_MAX  # ... and no tighter than that
    # a world name, as the directory structure=<name>, fits NAME_MAX (255 bytes)
    assert len(b"structure=") + MAX_NAME_LENGTH <= 255


# --------------------------------------------------------------------------- nations


def test_a_world_of_33001_nations_is_rejected() -> None:
    err = rejected(world(33_001))
    assert err.path == "nations"
    assert "at most 32767 nations" in str(err) and "got 33001" in str(err)


def test_one_nation_over_the_bound_is_rejected() -> None:
    err = rejected(world(MAX_NATIONS + 1))
    assert f"got {MAX_NATIONS + 1}" in str(err)


def test_the_command_line_rejects_33001_nations_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_text(tomli_w.dumps(world(33_001)))
    r = cli("check", path)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    assert re.search(rf"{re.escape(str(path))}:\d+: nations: at most 32767 nations", r.stderr)
    assert "got 33001" in r.stderr


def test_the_largest_world_runs_with_exact_counts() -> None:
    # every nation a major power; all but the two belligerents guarantee the target
    ids = ["N0", "N1"] + [f"G{i}" for i in range(MAX_NATIONS - 2)]
    d = {
        "name": "largest",
        "incident": {"initiator": "N0", "target": "N1"},
        "nations": [{"id": x, "power": 1.0, "major": True} for x in ids],
        "alliances": [
            {
                "name": "everyone",
                "kind": "defense",
                "guarantors": ids[2:],
                "protected": ["N1"],
                "reliability": 1.0,
            }
        ],
    }
    w = world_from_dict(d)
    with single_thread():
        kc, kp = kernel_frames(w, 1, 0, 2)
    assert kc["belligerents"].tolist() == [MAX_NATIONS] * 2  # not -1
    assert kc["side_d"].tolist() == [MAX_NATIONS - 1] * 2
    assert kc["majors"].tolist() == [MAX_NATIONS] * 2
    assert kc["world_war"].all()
    rc, rp = reference_frames(w, 1, 0, 2)
    assert_frames_equal(kc, rc, "cascades")
    assert_frames_equal(kp, rp, "participants")


# --------------------------------------------------------------------------- rounds


def test_the_longest_cascade_runs_max_rounds() -> None:
    # an offense chain: X{i+1} joins X{i} the round after X{i} is at war
    chain = [f"X{i}" for i in range(MAX_ROUNDS + 1)]
    d = {
        "name": "chain",
        "dynamics": {"max_rounds": MAX_ROUNDS},
        "incident": {"initiator": "X0", "target": "B"},
        "nations": [{"id": x, "power": 1.0} for x in [*chain, "B"]],
        "alliances": [
            {
                "name": f"o{i:04d}",
                "kind": "offense",
                "guarantors": [chain[i + 1]],
                "protected": [chain[i]],
                "reliability": 1.0,
            }
            for i in range(MAX_ROUNDS)
        ],
    }
    w = world_from_dict(d)
    with single_thread():
        kc, kp = kernel_frames(w, 1, 0, 2)
    assert kc["rounds"].tolist() == [MAX_ROUNDS] * 2
    assert kp["round"].max() == MAX_ROUNDS
    rc, rp = reference_frames(w, 1, 0, 2)
    assert_frames_equal(kc, rc, "cascades")
    assert_frames_equal(kp, rp, "participants")
    d["dynamics"]["max_rounds"] = MAX_ROUNDS + 1
    err = rejected(d)
    assert err.path == "dynamics.max_rounds"
    assert f"must be between 1 and {MAX_ROUNDS}, got {MAX_ROUNDS + 1}" in str(err)


# --------------------------------------------------------------------------- obligations


@pytest.fixture(scope="module")
def full_world() -> dict:
    """MAX_NATIONS nations, two treaties of all of them, a third of 362 nations and a
    guarantee of 9 x 43: exactly MAX_OBLIGATIONS directed obligations."""
    n = MAX_NATIONS
    ids = [f"N{i}" for i in range(n)]
    alliances = [
        {"name": "all-defense", "kind": "defense", "members": ids},
        {"name": "all-neutrality", "kind": "neutrality", "members": ids},
        {"name": "some", "kind": "entente", "members": ids[:362]},
        {"name": "guarantee", "kind": "defense", "guarantors": ids[:9], "protected": ids[9:52]},
    ]
    assert 2 * n * (n - 1) + 362 * 361 + 9 * 43 == MAX_OBLIGATIONS
    return world(n, alliances=alliances)


def test_the_largest_number_of_obligations_is_accepted(full_world: dict, monkeypatch) -> None:
    # on a machine with the memory to compile them (here: too little, so pretend)
    from escalate.model import schema

    monkeypatch.setattr(schema, "physical_memory", lambda: 2**50)
    w = world_from_dict(full_world)  # validated, never expanded: 2.1 billion pairs
    assert len(w.alliances) == 4


def test_the_largest_number_of_obligations_needs_the_memory(full_world: dict) -> None:
    err = rejected(full_world)  # 2.1 billion obligations: 660 GiB to compile
    assert "GiB to compile, more than this machine's" in str(err)


def test_one_obligation_over_the_bound_is_rejected(full_world: dict) -> None:
    one_more = {"name": "one", "kind": "offense", "guarantors": ["N0"], "protected": ["N1"]}
    d = {**full_world, "alliances": [*full_world["alliances"], one_more]}
    err = rejected(d)
    assert (err.path, err.index_path) == ("alliances[one]", "alliances[4]")
    assert f"expand to {MAX_OBLIGATIONS + 1} directed obligations" in str(err)
    assert f"at most {MAX_OBLIGATIONS}" in str(err)


def test_three_treaties_of_all_nations_are_rejected_at_the_third(full_world: dict) -> None:
    ids = full_world["alliances"][0]["members"]
    third = {"name": "all-entente", "kind": "entente", "members": ids}
    d = {**full_world, "alliances": [*full_world["alliances"][:2], third]}
    err = rejected(d)
    assert (err.path, err.index_path) == ("alliances[all-entente]", "alliances[2]")
    assert f"expand to {3 * MAX_NATIONS * (MAX_NATIONS - 1)} directed" in str(err)


# --------------------------------------------------------------------------- organizations, plans


def test_too_many_organizations_are_rejected_before_validating_them() -> None:
    org = {"name": "same", "kind": "collective_security", "members": ["N0", "N1"], "response": {}}
    err = rejected(world(organizations=[org] * (MAX_ORGANIZATIONS + 1)))
    assert err.path == "organizations"
    assert f"at most {MAX_ORGANIZATIONS} organizations" in str(err)
    assert f"got {MAX_ORGANIZATIONS + 1}" in str(err)


def test_too_many_plans_are_rejected_before_validating_them() -> None:
    plan = {"nation": "N2", "trigger": ["N0"], "attack": ["N1"]}
    err = rejected(world(plans=[plan] * (MAX_PLANS + 1)))
    assert err.path == "plans" and f"at most {MAX_PLANS} plans" in str(err)


def test_world_war_majors_is_at_most_the_number_of_nations_bound() -> None:
    assert world_from_dict(world(dynamics={"world_war_majors": MAX_NATIONS}))
    err = rejected(world(dynamics={"world_war_majors": MAX_NATIONS + 1}))
    assert err.path == "dynamics.world_war_majors"


@pytest.mark.parametrize("m", [math.nextafter(MAX_CONTEST_EXPONENT, math.inf), 1e308, math.inf])
def test_contest_exponent_is_bounded(m: float) -> None:
    assert world_from_dict(world(dynamics={"contest_exponent": MAX_CONTEST_EXPONENT}))
    err = rejected(world(dynamics={"contest_exponent": m}))
    assert err.path == "dynamics.contest_exponent"


# --------------------------------------------------------------------------- world names


def test_a_name_of_the_largest_length_runs_and_reads_back(tmp_path: Path) -> None:
    name = "w" * MAX_NAME_LENGTH
    w = world_from_dict(world(name=name))
    out = tmp_path / "out"
    escalate.run([w], out, 10, 1)
    assert (out / "cascades" / f"structure={name}").is_dir()
    assert set(pd.read_parquet(out / "cascades")["structure"]) == {name}


def test_a_name_over_the_length_bound_is_rejected() -> None:
    err = rejected(world(name="w" * (MAX_NAME_LENGTH + 1)))
    assert err.path == "name" and f"at most {MAX_NAME_LENGTH}" in str(err)


BAD_NAMES = [
    *("", ".", "..", ".hidden", "_meta", "-x", "a/b", "a\\b", "a=b", "a\x00b", "a\tb"),
    *("a\nb", "europe\n", "é", "a b", "a%31"),
]


@pytest.mark.parametrize("name", BAD_NAMES, ids=[ascii(x) for x in BAD_NAMES])
def test_names_unfit_for_a_directory_are_rejected(name: str) -> None:
    assert rejected(world(name=name)).path == "name"


def hive_values(root: Path, names: list[str]) -> pa.ChunkedArray:
    """The ``structure`` column Arrow infers for a dataset of those partitions."""
    for name in names:
        d = root / f"structure={name}"
        d.mkdir(parents=True)
        pq.write_table(pa.table({"x": [1]}), d / "part.parquet")
    return ds.dataset(root, partitioning="hive").to_table().column("structure")


def test_1914_and_01914_would_collide_in_pandas(tmp_path: Path) -> None:
    # why numeric names are rejected: both read back as the integer 1914, and pandas fails
    assert hive_values(tmp_path, ["1914", "01914"]).to_pylist() == [1914, 1914]
    with pytest.raises(ValueError, match="must be unique"):
        pd.read_parquet(tmp_path)
    for name in ("1914", "01914"):
        err = rejected(world(name=name))
        assert err.path == "name" and f"e.g. 'y{name}'" in str(err)


NUMERIC = ["0", "00", "1914", "01914", "20240101", "2147483647", "0x1F", "0X10", "0xFFFFFFFF"]
#: Accepted names that look like numbers to a person but stay strings in Arrow.
NUMBER_LIKE = [
    *("y1914", "1914a", "1e3", "1.5", "1.", "1.5e-3", "nan", "NaN", "inf", "Infinity", "0b1"),
    *("0o7", "1_000", "1-2", "2024-01-01", "2024-01", "0x", "0xg", "true", "null"),
]


@pytest.mark.parametrize("name", NUMERIC)
def test_names_that_arrow_reads_as_integers_are_rejected(tmp_path: Path, name: str) -> None:
    assert pa.types.is_integer(hive_values(tmp_path, [name]).type)
    assert "would be read back as a number" in str(rejected(world(name=name)))


def test_digit_strings_beyond_int32_are_rejected_too() -> None:
    # Arrow keeps them as strings today (int32 inference), a reader inferring int64 would not
    assert rejected(world(name="2147483648")).path == "name"
    assert rejected(world(name="9" * 30)).path == "name"


def test_number_like_names_are_accepted_and_read_back_as_strings(tmp_path: Path) -> None:
    for name in NUMBER_LIKE:
        assert world_from_dict(world(name=name)).name == name
        column = hive_values(tmp_path / name, [name])
        assert pa.types.is_string(column.type) and column.to_pylist() == [name], name


def test_generated_and_swept_names_are_valid() -> None:
    from escalate.model.generate import STRUCTURES, generate
    from escalate.model.sweep import parse_setting, sweep_worlds

    base = world_from_dict(world(5, name="y1914"))
    for kind in STRUCTURES:
        name = generate(kind, base).name
        assert re.fullmatch(r"y1914_\w+(_s0_d0\.1)?", name)  # random: seed and density
        assert world_from_dict({**base.to_dict(), "name": name}).name == name
    swept = sweep_worlds(base, [parse_setting("dynamics.deterrence=0,0.5")])
    assert [v.name for v in swept] == ["y1914.deterrence-0.00", "y1914.deterrence-0.50"]
