"""The command line teaches: help on every argument, wrapped prose, plain messages.

``--help`` of every sub-command documents every argument (positional ones too)
and every default, wraps its prose to the terminal and shows examples as
written; messages count in words (``1 organization``), a resumed run with
nothing left says it is complete, ``generate`` refuses options that its
structure kind would ignore and names random structures by seed and density.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import cli, warm_cache

import escalate
from escalate.cli import build_parser
from escalate.model.generate import default_name
from escalate.model.load import load_world

TEACHING = Path(__file__).resolve().parents[1] / "configs" / "teaching.toml"


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


SUBCOMMANDS = sorted(_subparsers())


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_argument_has_help_and_every_default_is_told(command: str) -> None:
    p = _subparsers()[command]
    for action in p._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        name = action.dest
        assert action.help, f"escalate {command}: {name} has no help"
        has_default = action.default not in (None, False, argparse.SUPPRESS)
        if has_default and not action.required:
            assert "default" in action.help, f"escalate {command}: {name}'s default untold"


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help_is_wrapped_and_has_no_escaped_percent(command: str) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "escalate", command, "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
        timeout=60,
    )
    assert r.returncode == 0
    assert "%%" not in r.stdout
    assert "example" in r.stdout
    too_long = [line for line in r.stdout.splitlines() if len(line) > 90]
    assert not too_long, too_long


def test_long_descriptions_are_wrapped_to_the_terminal() -> None:
    p = _subparsers()["trace"]
    os.environ["COLUMNS"] = "60"
    try:
        text = p.format_help()
    finally:
        del os.environ["COLUMNS"]
    prose = text.split("positional arguments:")[0].splitlines()[3:]
    assert prose and max(len(line) for line in prose) <= 60
    # examples keep their lines
    assert "  escalate trace europe_1914 --seed 1 --replicate 0" in text


def test_generate_counts_in_words(tmp_path: Path) -> None:
    out = tmp_path / "cs.toml"
    r = cli("generate", "collective-security", "--nations", TEACHING, "-o", out)
    assert r.returncode == 0, r.stderr
    assert "0 alliances, 1 organization)" in r.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["hub", "--veto"], "--veto applies to collective-security and collective-defense"),
        (["bipolar", "--seed", "3"], "--seed apply to the random kind only, not bipolar"),
        (["none", "--density", "0.2"], "--density apply to the random kind only"),
    ],
)
def test_generate_refuses_options_its_kind_ignores(tmp_path: Path, args, words) -> None:
    out = tmp_path / "w.toml"
    r = cli("generate", *args, "--nations", TEACHING, "-o", out)
    assert r.returncode == 2
    assert words in r.stderr
    assert not out.exists()


def test_random_structures_are_named_by_seed_and_density(tmp_path: Path) -> None:
    names = set()
    for seed, density in (("1", "0.1"), ("2", "0.1"), ("1", "0.3")):
        out = tmp_path / f"r{seed}{density}.toml"
        r = cli("generate", "random", "--seed", seed, "--density", density,
                "--nations", TEACHING, "-o", out)  # fmt: skip
        assert r.returncode == 0, r.stderr
        names.add(load_world(out).name)
    assert names == {
        "teaching_random_s1_d0.1",
        "teaching_random_s2_d0.1",
        "teaching_random_s1_d0.3",
    }
    assert default_name("hub", "w") == "w_hub"


def test_resuming_a_complete_run_says_so(tmp_path: Path) -> None:
    warm_cache()
    out = tmp_path / "r"
    escalate.run([TEACHING], out, 300, 1, chunk_size=100)
    r = cli("run", TEACHING, "-n", 300, "-s", 1, "-o", out, "--resume")
    assert r.returncode == 0, r.stderr
    assert "already complete (300 replicates of 1 structure, 3 parts); nothing to do" in r.stderr
    assert "wrote 0 cascades" not in r.stderr


def test_plot_writes_to_dir_figures_by_default(tmp_path: Path) -> None:
    warm_cache()
    out = tmp_path / "r"
    escalate.run([TEACHING], out, 300, 1)
    r = cli("plot", out, "--formats", "png")
    assert r.returncode == 0, r.stderr
    written = [Path(line) for line in r.stdout.splitlines()]
    assert written and all(p.parent == out / "figures" and p.exists() for p in written)
