"""Validation reports every problem: of every file, with key paths by name and TOML lines.

The single-problem cases are the corpus of ``tests/bad_inputs/`` (run by
``test_bad_input.py``); here: several problems in one file, several files in
one ``escalate check``, names instead of indices, line numbers, and that one
mistake does not report a cascade of others.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import cli

from escalate.model.entities import WorldError
from escalate.model.lines import key_lines
from escalate.model.load import load_world, world_from_dict

HERE = Path(__file__).resolve().parent
BAD = HERE / "bad_inputs"
TEACHING = HERE.parent / "configs" / "teaching.toml"

WORLD = """\
name = "w"
description = \"\"\"
a [description] over
several = lines\"\"\"

[dynamics]
deterrence = 2            # line 7

[[nations]]
id = "A"
power = 1.0

[[nations]]
id = "B"
power = "big"             # line 15

nations_extra = 1

[[alliances]]
name = "A-B pact"
kind = "defense"
members = ["A", "C"]      # line 22

[[organizations]]
name = "League"
kind = "collective_security"
members = ["A", "B"]
unanimity = true
veto = ["A"]              # line 29
response = { diplomacy = 0.5, military = 0.6 }

[incident]
initiator = "A"
target = "A"              # line 34
"""


def _errors(tmp_path: Path, text: str) -> tuple[WorldError, ...]:
    path = tmp_path / "w.toml"
    path.write_text(text)
    with pytest.raises(WorldError) as e:
        load_world(path)
    return e.value.errors


def test_every_problem_of_a_file_is_reported_with_its_line(tmp_path: Path) -> None:
    errors = _errors(tmp_path, WORLD)
    got = [(e.line, e.path) for e in errors]
    assert got == [
        (7, "dynamics.deterrence"),
        (15, "nations[B].power"),
        (17, "nations[B].nations_extra"),  # a key under [[nations]] belongs to it in TOML
        (22, "alliances[A-B pact].members[1]"),
        (29, "organizations[League].veto"),
        (30, "organizations[League].response"),
        (34, "incident.target"),
    ]
    assert "did you mean" in errors[3].problem or "unknown nation id 'C'" in errors[3].problem
    assert errors[4].problem.startswith("not with unanimity = true")
    assert "sum to 1.1" in errors[5].problem


def test_the_message_has_one_line_per_problem(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(WORLD)
    with pytest.raises(WorldError) as e:
        load_world(path)
    lines = str(e.value).splitlines()
    assert len(lines) == len(e.value.errors) == 7
    assert lines[0] == f"{path}:7: dynamics.deterrence: must be <= 1, got 2"
    # the first problem is also the error's own
    assert (e.value.path, e.value.line) == ("dynamics.deterrence", 7)


def test_index_paths_keep_the_positions(tmp_path: Path) -> None:
    errors = _errors(tmp_path, WORLD)
    by_path = {e.path: e.index_path for e in errors}
    assert by_path["nations[B].power"] == "nations[1].power"
    assert by_path["alliances[A-B pact].members[1]"] == "alliances[0].members[1]"


def test_a_dict_has_no_lines_but_every_problem() -> None:
    d = {
        "name": "w",
        "dynamics": {"deterrence": -1, "max_rounds": 0},
        "nations": [{"id": "A", "power": 1.0}, {"id": "B", "power": 1.0}],
        "incident": {"initiator": "A", "target": "Z"},
    }
    with pytest.raises(WorldError) as e:
        world_from_dict(d, source="mem")
    assert [(x.line, x.path) for x in e.value.errors] == [
        (None, "dynamics.max_rounds"),
        (None, "dynamics.deterrence"),
        (None, "incident.target"),
    ]
    assert str(e.value).splitlines()[0].startswith("mem: dynamics.max_rounds: ")


def test_an_unreadable_id_does_not_report_every_reference_to_it(tmp_path: Path) -> None:
    text = TEACHING.read_text()
    first_id = text.index('id = "') + len('id = "')
    bad = text[:first_id] + "Ö" + text[first_id:]
    errors = _errors(tmp_path, bad)
    assert len(errors) == 1 and errors[0].path == "nations[0].id"


def test_a_misspelt_required_key_is_reported_once(tmp_path: Path) -> None:
    text = WORLD.replace("power = 1.0\n", "powr = 1.0\n", 1)
    paths = [e.path for e in _errors(tmp_path, text)]
    assert "nations[A].powr" in paths and "nations[A].power" not in paths


def test_duplicate_names_fall_back_to_the_index(tmp_path: Path) -> None:
    text = WORLD.replace(
        "[[organizations]]",
        '[[alliances]]\nname = "A-B pact"\nkind = "entente"\nmembers = ["A", "B"]\n\n'
        "[[organizations]]",
    )
    paths = [e.path for e in _errors(tmp_path, text)]
    assert "alliances[1].name" in paths


def test_key_lines_skip_strings_comments_and_inline_arrays() -> None:
    lines = key_lines(WORLD + 'plans = [\n  { nation = "A" },\n]\nx = 1\n')
    assert lines[("", None, "name")] == 1
    assert lines[("", None, "description")] == 2
    assert ("", None, "several") not in lines  # inside the multi-line string
    assert lines[("dynamics", None, "deterrence")] == 7
    assert lines[("nations", 1, "power")] == 15
    assert lines[("organizations", 0, "response")] == 30
    assert ("incident", None, "nation") not in lines  # inside the inline array
    assert lines[("incident", None, "x")] == 38


def test_check_checks_every_file_and_fails_if_any_failed(tmp_path: Path) -> None:
    bad = BAD / "four_mistakes.toml"
    other = BAD / "power_nan.toml"
    r = cli("check", TEACHING, bad, "europe_1914", other)
    assert r.returncode == 2
    # both valid worlds are summarised, in order
    assert r.stdout.count("nations") >= 2
    assert r.stdout.index("teaching") < r.stdout.index("europe_1914")
    errors = r.stderr.splitlines()
    assert sum(str(bad) in e for e in errors) == 4
    assert sum(str(other) in e for e in errors) == 1
    assert errors[-1] == "escalate check: 2 of 4 worlds are invalid"


def test_check_of_valid_files_exits_0() -> None:
    r = cli("check", TEACHING, "europe_1914")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
