"""What ``escalate import`` writes and says: the header's command is the one to rerun."""

from __future__ import annotations

import shlex
from pathlib import Path

from helpers import IMPORTER, IMPORTER_FILES

from escalate.cli import main
from escalate.importers import import_world

FIX = IMPORTER
FILES = IMPORTER_FILES
DATA = [str(x) for k, v in FILES.items() for x in (f"--{k}", v)]


def _import(capsys, out: Path, *extra: object) -> str:
    code = main(
        ["import", "--date", "1900-06-01", *map(str, DATA), "-o", str(out), *map(str, extra)]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    return err


def _rebuild_command(text: str) -> list[str]:
    line = next(x for x in text.splitlines() if x.startswith("#   escalate import "))
    return shlex.split(line.removeprefix("#   "))


def test_the_header_names_the_output_and_rebuilds_it(tmp_path: Path, capsys, monkeypatch) -> None:
    out = tmp_path / "mine.toml"
    _import(capsys, out, "--incident", "AAA:BBB", "--name", "w1900")
    text = out.read_text()
    command = _rebuild_command(text)
    assert command[-2:] == ["-o", str(out)]
    assert "--name" in command and "w1900" in command
    # rerun in the data's folder (the header names the files without their folder)
    monkeypatch.chdir(FIX)
    again = tmp_path / "again.toml"
    command[-1] = str(again)
    assert main(command[1:]) == 0
    capsys.readouterr()
    assert again.read_text().replace(str(again), str(out)) == text


def test_no_overlay_no_edit_the_overlay(tmp_path: Path, capsys) -> None:
    out = tmp_path / "w.toml"
    _import(capsys, out, "--incident", "AAA:BBB")
    assert "edit the overlay" not in out.read_text()
    assert "write an overlay (--overlay)" in out.read_text()


def test_notes_go_to_the_file_and_the_terminal_gets_a_count(tmp_path: Path, capsys) -> None:
    out = tmp_path / "w.toml"
    err = _import(capsys, out, "--incident", "AAA:BBB")
    imported = import_world("1900-06-01", **FILES, incident="AAA:BBB")
    assert imported.notes  # else this test could not tell
    assert "note:" not in err
    assert f"{len(imported.notes)} note" in err and f"comments in {out}" in err
    text = out.read_text()
    for note in imported.notes:
        assert note.split(":")[-1].strip()[:40] in text
