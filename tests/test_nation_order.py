"""The categories of a nation column are the world's nation ids in file order (README).

The kernel numbers nations by sorted id; the results must not: users index by
the order of the file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from helpers import warm_cache

import escalate
from escalate.model.load import load_world


def test_nation_columns_follow_the_file_not_the_alphabet(tmp_path: Path) -> None:
    warm_cache()
    w = load_world("europe_1914")
    ids = list(w.ids)
    assert ids != sorted(ids)  # else this test could not tell the two apart
    df, people = escalate.simulate(w, 500, seed=1, participants=True)
    for column in (df["initiator"], df["target"], people["nation"]):
        assert list(column.cat.categories) == ids
    out = tmp_path / "r"
    escalate.run([w], out, 500, 1, participants=True)
    read = escalate.read_results(out)
    assert list(read["target"].cat.categories) == ids
    # the values are the same nations as before, only the order of categories changed
    assert (read["target"].astype(str) == df["target"].astype(str)).all()
    assert (df["target"].astype(str) == "SRB").all()
    raw = pd.read_parquet(out / "participants")
    assert list(raw["nation"].cat.categories) == ids
    counts = raw["nation"].astype(str).value_counts()
    assert counts.equals(people["nation"].astype(str).value_counts())
