"""What the README and the tutorial say of the code holds (issue: the second hour)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from helpers import cli, warm_cache

import escalate
from escalate.results.schema import CASCADE_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
TUTORIAL = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")


def test_the_last_line_of_trace_is_the_row_run_writes() -> None:
    warm_cache()
    r = cli("trace", "teaching", "--seed", 1, "--replicate", 3)
    assert r.returncode == 0, r.stderr
    last = r.stdout.splitlines()[-1]
    assert last.startswith("row: ")
    values = dict(item.split("=", 1) for item in last.removeprefix("row: ").split())
    assert list(values) == [c.name for c in CASCADE_COLUMNS]
    row = escalate.simulate("teaching", 1, seed=1, start=3).iloc[0]
    for column, text in values.items():
        value = row[column]
        if isinstance(value, float):
            assert abs(float(text) - value) <= 1e-5 * max(1.0, abs(value)), column
        else:
            assert text == str(value), column
    # and the README shows that very line
    assert last in README


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.DOTALL | re.MULTILINE)


def test_the_tutorial_reads_only_what_it_wrote() -> None:
    written: set[str] = set()
    for block in re.findall(r"^```(?:bash|python)\n(.*?)^```", TUTORIAL, re.DOTALL | re.MULTILINE):
        for path in re.findall(r"--out (\S+)|escalate\.(?:run|sweep)\([^)]*?\"([^\"]+)\"", block):
            written.update(p for p in path if p)
        for path in re.findall(r"(?:read_results|read_variants)\(\"([^\"]+)\"", block):
            assert path in written, f"the tutorial reads {path} before writing it"
    assert "results/sweep_py" in written


def test_get_going_installs_what_the_tutorial_needs() -> None:
    get_going = README.split("## Get going", 1)[1].split("\n## ", 1)[0]
    install = next(line for line in get_going.splitlines() if "pip install" in line)
    assert "[plot]" in install or "[all]" in install  # the tutorial draws in its third command
    assert "escalate draw" in _blocks(TUTORIAL, "bash")[0]


def test_the_compile_time_is_told_alike() -> None:
    from escalate.cli import commands_data

    notice = Path(commands_data.__file__).read_text(encoding="utf-8")
    assert "takes 30 to 90 s" in notice
    docs = README + "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    assert "about 20 s" not in docs
    assert docs.count("30 to 90 s") >= 2
    assert "under 10 minutes" not in docs


def test_compare_puts_the_baseline_first_in_python_as_on_the_command_line() -> None:
    warm_cache()
    df = escalate.simulate("teaching", 300, seed=1)
    other = escalate.simulate("europe_1914_no_alliances", 300, seed=1)
    both = pd.concat([df.astype({"structure": str}), other.astype({"structure": str})])
    table = escalate.compare(both, baseline="europe_1914_no_alliances")
    assert list(table["structure"].drop_duplicates()) == ["europe_1914_no_alliances", "teaching"]


def test_compare_sweep_prints_the_compact_table_alone(tmp_path: Path) -> None:
    warm_cache()
    out = tmp_path / "sw"
    r = cli("sweep", "teaching", "--set", "dynamics.deterrence=0,0.5", "-n", 200, "-s", 1,
            "-o", out, "-q")  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = cli("compare", out, "--sweep")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("dynamics.deterrence")
    assert len(lines) == 1 + 2 + 1  # header, a row per variant, the note
    assert "every metric of every variant: escalate compare" in r.stderr
