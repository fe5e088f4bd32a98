"""The story of one cascade (``escalate trace``) ends in the kernel's row."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers import cli, kernel_frames, normalize

import escalate
from escalate.results.schema import CASCADE_COLUMNS

COLUMNS = tuple(c.name for c in CASCADE_COLUMNS)


@pytest.mark.parametrize("name", ["europe_1914", "teaching"])
def test_the_story_ends_in_the_kernels_row(name) -> None:
    world = escalate.load_world(name)
    seed, count = 11, 150
    kernel, people = kernel_frames(world, seed, 0, count, True)
    for rep in range(count):
        story = escalate.trace(world, seed, rep)
        row = normalize(pd.DataFrame([story.row]), COLUMNS)
        assert row.iloc[0].to_dict() == kernel.iloc[rep].to_dict(), rep
        entered = [e["nation"] for e in story.events if e["event"] == "enter"]
        assert entered == list(people[people["replicate"] == rep]["nation"]), rep
        assert story.events[0]["event"] == "incident"
        if not (story.row["deterred"] or story.row["settled"]):
            assert story.events[-1]["event"] == "outcome"


def test_every_draw_in_the_story_is_a_uniform() -> None:
    story = escalate.trace("teaching", seed=2, replicate=5)
    draws = [e["draw"] for e in story.events if "draw" in e]
    assert draws and all(0.0 <= u < 1.0 for u in draws)
    kinds = {e["event"] for e in story.events}
    assert {"incident", "attack", "enter"} <= kinds


def test_trace_command_text_and_json() -> None:
    r = cli("trace", "teaching", "--seed", 1, "--replicate", 3)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("teaching, seed 1, replicate 3\nround 0\n  incident: ")
    assert "outcome: " in r.stdout
    r = cli("trace", "teaching", "-s", 1, "-r", 3, "--json")
    data = json.loads(r.stdout)
    assert data["replicate"] == 3 and data["events"][0]["event"] == "incident"
    assert data["row"] == escalate.trace("teaching", 1, 3).row
    r = cli("trace", "teaching", "-s", 1, "-r", -1)
    assert r.returncode == 2 and "must be 0 or more" in r.stderr


def test_outcome_line_counts_in_words() -> None:
    """One broken promise is not "1 broken promises" (replicate 3: one broken, three majors)."""
    import escalate

    last = escalate.trace("teaching", seed=1, replicate=3).text().splitlines()[-2]
    assert "3 majors, a world war; 1 broken promise, " in last, last
