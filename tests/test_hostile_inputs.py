"""Hostile inputs outside the results store: each is one line, at once, naming the file.

Deeply nested TOML, CSV files that break Python's csv module or carry a NUL, and a
sweep grid of a hundred million variants.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import escalate.cli as escalate_cli
from escalate.importers.csvfile import DataError, read_table
from escalate.model.entities import WorldError
from escalate.model.load import load_world
from escalate.model.sweep import parse_setting, sweep_worlds
from escalate.model.sweep_settings import MAX_VARIANTS

TEACHING = Path(__file__).resolve().parents[1] / "configs" / "teaching.toml"


def test_14_deeply_nested_toml_is_one_line(tmp_path, capsys) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(WorldError, match="nested too deeply"):
        load_world(path)
    assert escalate_cli.main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path}: TOML nested too deeply" in err


@pytest.mark.parametrize(
    "body, where, why",
    [
        ('ccode,stateabb\n1,"' + "x" * 200_000 + '"\n', "line 2", "field larger"),
        ('ccode,stateabb\n1,"USA\n2,CAN\n', "line 2", "a quote never closed"),
        ("ccode,stateabb\n1,USA\n2,C\0N\n", "line 3", "NUL"),
    ],
    ids=["long field", "open quote", "NUL"],
)
def test_15_hostile_csv_is_one_line_at_its_file_and_line(tmp_path, body, where, why) -> None:
    path = tmp_path / "states.csv"
    path.write_text(body)
    with pytest.raises(DataError) as e:
        read_table(path, ["ccode", "stateabb"], "a COW state list")
    message = str(e.value)
    assert message.startswith(f"{path}: {where}: ") and why in message
    assert "\n" not in message


def test_13_a_sweep_grid_is_bounded_and_refused_at_once(capsys) -> None:
    t = time.perf_counter()
    with pytest.raises(ValueError, match="more than a sweep's 10,000 variants"):
        parse_setting("dynamics.deterrence=0:1:100000000")
    settings = [parse_setting("dynamics.deterrence=0:1:200"), parse_setting(
        "dynamics.contest_exponent=1:2:200")]  # fmt: skip
    with pytest.raises(ValueError, match="40,000 variants"):
        sweep_worlds(load_world(TEACHING), settings)
    code = escalate_cli.main(
        ["sweep", str(TEACHING), "--set", "dynamics.deterrence=0:1:100000000", "-n", "10",
         "-s", "1", "-o", str(Path("never-written"))]
    )  # fmt: skip
    assert code == 2 and "variants" in capsys.readouterr().err
    assert time.perf_counter() - t < 1.0
    assert not Path("never-written").exists()
    assert MAX_VARIANTS == 10_000


def test_12_out_of_memory_in_check_does_not_tell_to_resume(monkeypatch, capsys) -> None:
    import escalate.model.load as world_mod

    def load_world(path):
        raise MemoryError

    monkeypatch.setattr(world_mod, "load_world", load_world)
    assert escalate_cli.main(["check", str(TEACHING)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "out of memory in `escalate check`" in err
    assert "--resume" not in err and "finished parts" not in err
