"""What the README and the tutorial say of the code holds (issue: the second hour)."""

from __future__ import annotations

import re
from pathlib import Path

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
