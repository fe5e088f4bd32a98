"""Every hint the command line prints works when followed.

Each test gets the CLI into a situation that ends in a hint, does what the hint
says (the command in backticks, or the flag it names) and checks that it worked.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from helpers import warm_cache

import escalate
from escalate.cli import main
from escalate.results.errors import ResultsError


def _run(capsys, *argv: object) -> tuple[int, str]:
    """Run the CLI in this process: exit code and stderr."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:  # argparse
        code = int(e.code or 0)
    return code, capsys.readouterr().err


def _hinted_command(err: str) -> list[str]:
    """The ``escalate ...`` command between backticks in ``err``, as arguments."""
    commands = re.findall(r"`(escalate [^`]*)`", err)
    assert commands, err
    return shlex.split(commands[-1])[1:]


@pytest.fixture(autouse=True)
def _compiled() -> None:
    warm_cache()


def _done(out: Path) -> list[str]:
    return ["run", "teaching", "-n", "300", "-s", "1", "--chunk-size", "100", "-o", str(out)]


def test_same_job_hint_resume_and_overwrite_both_work(tmp_path: Path, capsys) -> None:
    out = tmp_path / "r"
    assert _run(capsys, *_done(out), "-q")[0] == 0
    code, err = _run(capsys, *_done(out))
    assert code == 2 and "use --resume to continue that run or --overwrite" in err
    for flag in ("--resume", "--overwrite"):
        code, err = _run(capsys, *_done(out), flag)
        assert code == 0, err


def test_another_job_hint_does_not_offer_resume(tmp_path: Path, capsys) -> None:
    out = tmp_path / "r"
    assert _run(capsys, *_done(out), "-q")[0] == 0
    other = ["run", "europe_1914", "-n", "300", "-s", "1", "-o", str(out)]
    code, err = _run(capsys, *other)
    assert code == 2
    assert "already holds another job: different worlds" in err
    assert "--resume" not in err  # it would fail: the directory holds another job
    assert "use a new --out, or --overwrite" in err
    code, err = _run(capsys, *other, "-o", tmp_path / "new", "-q")
    assert code == 0, err
    code, err = _run(capsys, *other, "--overwrite", "-q")
    assert code == 0, err
    assert _run(capsys, *other, "--resume", "-q")[0] == 0  # now it is that job


def test_incomplete_run_hint_is_the_exact_resume_command(tmp_path: Path, capsys) -> None:
    out = tmp_path / "r"
    assert _run(capsys, *_done(out), "-q")[0] == 0
    next(out.glob("cascades/*/part-000000000100.parquet")).unlink()
    code, err = _run(capsys, "compare", out)
    assert code == 2 and "the run is incomplete; finish it with `escalate run teaching" in err
    code, err = _run(capsys, *_hinted_command(err))
    assert code == 0, err
    assert _run(capsys, "compare", out)[0] == 0


def test_corrupt_part_hint_repair_then_resume(tmp_path: Path, capsys) -> None:
    out = tmp_path / "r"
    assert _run(capsys, *_done(out), "-q")[0] == 0
    next(out.glob("cascades/*/part-000000000100.parquet")).write_bytes(b"not parquet")
    code, err = _run(capsys, "compare", out)
    assert code == 2 and f"`escalate repair {out}`" in err
    repair, resume = re.findall(r"`(escalate [^`]*)`", err)
    assert _run(capsys, *shlex.split(repair)[1:])[0] == 0
    code, err = _run(capsys, *shlex.split(resume)[1:])
    assert code == 0, err
    assert _run(capsys, "compare", out)[0] == 0


def test_a_missing_directory_is_not_sent_to_repair(tmp_path: Path, capsys) -> None:
    code, err = _run(capsys, "compare", tmp_path / "nonexist")
    assert code == 2
    assert "repair" not in err
    assert "does not exist" in err


def test_a_parent_of_results_names_them(tmp_path: Path, capsys) -> None:
    out = tmp_path / "results" / "1914"
    assert _run(capsys, *_done(out), "-q")[0] == 0
    code, err = _run(capsys, "compare", tmp_path / "results")
    assert code == 2 and "repair" not in err
    assert f"it holds results directories: {out}" in err
    assert _run(capsys, "compare", out)[0] == 0


def test_the_api_names_its_own_keywords() -> None:
    # escalate.run into a directory that holds results: the message names resume= and
    # overwrite=, not the command line's flags
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        escalate.run(["teaching"], d, 100, 1)
        with pytest.raises(ResultsError) as e:
            escalate.run(["teaching"], d, 100, 1)
        assert "resume=True" in str(e.value) and "overwrite=True" in str(e.value)
        assert "--" not in str(e.value)
        with pytest.raises(ResultsError) as e:
            escalate.run(["teaching"], d, 100, 2)
        assert "overwrite=True" in str(e.value) and "resume=True" not in str(e.value)
        escalate.run(["teaching"], d, 100, 1, resume=True)
        escalate.run(["teaching"], d, 100, 2, overwrite=True)


def test_generate_force_hint(tmp_path: Path, capsys) -> None:
    out = tmp_path / "w.toml"
    assert _run(capsys, "generate", "bipolar", "--nations", "teaching", "-o", out)[0] == 0
    code, err = _run(capsys, "generate", "bipolar", "--nations", "teaching", "-o", out)
    assert code == 2 and "use --force to overwrite it" in err
    code, err = _run(capsys, "generate", "bipolar", "--nations", "teaching", "-o", out, "--force")
    assert code == 0, err


def test_did_you_mean_hint(tmp_path: Path, capsys) -> None:
    argv = ["run", "teaching", "-n", "100", "-s", "1", "-o", tmp_path / "r", "-q"]
    code, err = _run(capsys, *argv, "--particpants")
    assert code == 2
    (meant,) = re.findall(r"did you mean (--[a-z-]+)\?", err)
    assert _run(capsys, *argv, meant)[0] == 0


def test_sweep_hint(tmp_path: Path, capsys) -> None:
    out = tmp_path / "sw"
    argv = ["sweep", "teaching", "--set", "dynamics.deterrence=0,0.5", "-n", "100", "-s", "1"]
    assert _run(capsys, *argv, "-o", out, "-q")[0] == 0
    code, err = _run(capsys, "compare", out)
    assert code == 0 and "is a sweep; --sweep adds a table" in err
    code, err = _run(capsys, "compare", out, "--sweep")
    assert code == 0 and "is a sweep" not in err


def test_generated_variants_get_their_own_names_and_run_side_by_side(
    tmp_path: Path, capsys
) -> None:
    paths = []
    for extra in ([], ["--veto"], ["--reliability", "0.5"]):
        out = tmp_path / f"w{len(paths)}.toml"
        code, err = _run(capsys, "generate", "collective-security", "--nations", "teaching",
                         "-o", out, *extra)  # fmt: skip
        assert code == 0, err
        paths.append(out)
    code, err = _run(capsys, "run", *paths, "-n", "100", "-s", "1", "-o", tmp_path / "r", "-q")
    assert code == 0, err
    names = sorted(escalate.read_results(tmp_path / "r")["structure"].unique())
    assert names == [
        "teaching_collective_security",
        "teaching_collective_security_r0.5",
        "teaching_collective_security_veto",
    ]


def test_same_names_hint_at_name(tmp_path: Path, capsys) -> None:
    out = tmp_path / "w.toml"
    assert _run(capsys, "generate", "bipolar", "--nations", "teaching", "-o", out)[0] == 0
    twin = tmp_path / "twin.toml"
    twin.write_bytes(out.read_bytes())
    code, err = _run(capsys, "run", out, twin, "-n", "100", "-s", "1", "-o", tmp_path / "r")
    assert code == 2 and "(escalate generate --name NAME)" in err
    code, err = _run(capsys, "generate", "bipolar", "--nations", "teaching", "-o", twin,
                     "--force", "--name", "twin")  # fmt: skip
    assert code == 0, err
    code, err = _run(capsys, "run", out, twin, "-n", "100", "-s", "1", "-o", tmp_path / "r", "-q")
    assert code == 0, err


def test_import_refuses_to_overwrite_like_generate(tmp_path: Path, capsys) -> None:
    out = tmp_path / "w.toml"
    out.write_text("mine")
    # refused before any data file is read (these do not exist)
    argv = ["import", "--date", "1914-06-28", "--states", tmp_path / "s.csv", "--capabilities",
            tmp_path / "c.csv", "--cow", tmp_path / "a.csv", "-o", out]  # fmt: skip
    code, err = _run(capsys, *argv)
    assert code == 2 and f"{out} exists; use --force to overwrite it" in err
    assert out.read_text() == "mine"
    code, err = _run(capsys, *argv, "--force")
    assert code != 0 and "exists" not in err  # --force gets past it, to the missing files


def test_the_compile_notice_is_printed_when_not_on_a_terminal(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    import time

    import escalate.cli.commands_data
    import escalate.runner

    real = escalate.runner.warm_up

    def slow() -> None:  # as the first run on a machine: the kernel takes long to load
        time.sleep(0.5)
        real()

    monkeypatch.setattr(escalate.runner, "warm_up", slow)
    monkeypatch.setattr(escalate.cli.commands_data, "NOTE_AFTER_S", 0.2)
    code, err = _run(capsys, "run", "teaching", "-n", "100", "-s", "1", "-o", tmp_path / "r")
    assert code == 0, err
    assert "escalate: compiling the kernel" in err  # stderr is captured here: no terminal
    code, err = _run(capsys, "run", "teaching", "-n", "100", "-s", "1", "-o", tmp_path / "q", "-q")
    assert code == 0 and err == ""
