"""Analysis in flat memory: the dataset scan, pushed-down selections, participant counts.

The streamed readers must give exactly what reading everything gave, read only
the parts and columns asked for, and never hold more participant rows at once
than one part has (counted, not timed or measured in bytes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import escalate
from escalate.analysis.metrics import REQUIRED_COLUMNS
from escalate.analysis.stats import compare
from escalate.results import read as read_mod
from escalate.results.read import participant_counts, read_results, scan_results
from escalate.results.store import read_part
from escalate.viz.plots import PLOT_COLUMNS, figures_of

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
WORLDS = [CONFIGS / "europe_1914.toml", CONFIGS / "europe_1914_no_alliances.toml"]
NAMES = ["europe_1914", "europe_1914_no_alliances"]
N, CHUNK, SEED = 3000, 1000, 11


@pytest.fixture(scope="module")
def done(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("streamed") / "out"
    escalate.run(WORLDS, out, N, SEED, chunk_size=CHUNK, participants=True)
    return out


@pytest.fixture
def materialised(monkeypatch) -> list[tuple[str, int, tuple[str, ...]]]:
    """Every part table the scan builds: (file name, rows, columns)."""
    seen: list[tuple[str, int, tuple[str, ...]]] = []
    original = read_mod._read_fragment

    def counting(frag, columns, row_filter, whole):
        t = original(frag, columns, row_filter, whole)
        seen.append((Path(frag.path).parent.name + "/" + Path(frag.path).name, t.num_rows,
                     tuple(t.column_names)))  # fmt: skip
        return t

    monkeypatch.setattr(read_mod, "_read_fragment", counting)
    return seen


def _part_by_part(out: Path, table: str) -> pd.DataFrame:
    """The table as read before the dataset scan: every part whole, concatenated."""
    frames = []
    for name in NAMES:
        for f in sorted((out / table / f"structure={name}").glob("part-*.parquet")):
            df = read_part(f, table).to_pandas()
            df.insert(0, "structure", name)
            frames.append(df)
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("participants", [False, True])
def test_scan_reads_the_same_values_as_part_by_part(done, participants) -> None:
    table = "participants" if participants else "cascades"
    df = read_results(done, participants=participants)
    old = _part_by_part(done, table)
    assert list(df.columns) == list(old.columns)
    for c in df.columns:
        got, want = df[c], old[c]
        if isinstance(got.dtype, pd.CategoricalDtype):
            got = got.astype(object).where(got.notna(), None)
            want = want.astype(object).where(want.notna(), None)
        assert got.tolist() == want.tolist(), c


def test_replicate_range_and_structures_are_pushed_down(done, materialised) -> None:
    df = read_results(done, structures=[NAMES[1]], replicates=(1500, 2500))
    full = read_results(done)
    want = full[(full["structure"] == NAMES[1]) & full["replicate"].between(1500, 2499)]
    assert df["replicate"].tolist() == list(range(1500, 2500))
    assert (df["world_war"].to_numpy() == want["world_war"].to_numpy()).all()
    # only the two parts that overlap the range, of the one structure, were opened
    opened = [name for name, _, _ in materialised[: -2 * (N // CHUNK)]]
    assert opened == [
        f"structure={NAMES[1]}/part-000000001000.parquet",
        f"structure={NAMES[1]}/part-000000002000.parquet",
    ]
    # and their rows were filtered in the scan, not after it
    assert [rows for _, rows, _ in materialised[:2]] == [500, 500]


def test_columns_are_pushed_down(done, materialised) -> None:
    df = read_results(done, columns=["world_war", "belligerents"])
    assert list(df.columns) == ["structure", "world_war", "belligerents"]
    assert {cols for _, _, cols in materialised} == {("world_war", "belligerents")}
    with pytest.raises(escalate.ResultsError, match="no column named 'nope'"):
        read_results(done, columns=["nope"])


def test_an_empty_replicate_range(done) -> None:
    df = read_results(done, replicates=(N, N + 10), columns=["world_war"])
    assert len(df) == 0 and list(df.columns) == ["structure", "world_war"]
    assert sum(t.num_rows for _, t in scan_results(done, replicates=(5, 5))) == 0


def _text_levels(index: pd.MultiIndex) -> pd.MultiIndex:
    """Label levels as text, numbers as numbers (the two tables' labels differ in kind)."""
    return index.set_levels(
        [lv if pd.api.types.is_numeric_dtype(lv.dtype) else lv.astype(str) for lv in index.levels]
    )


@pytest.mark.parametrize(
    "by", [("nation", "side", "round"), ("nation",), ("via", "source"), ("round",)]
)
def test_participant_counts_equal_group_sizes_of_every_row(done, by) -> None:
    rows = read_results(done, participants=True)
    want = rows.groupby(["structure", *by], observed=True, dropna=False).size()
    got = participant_counts(done, by=by).set_index(["structure", *by])["count"]
    assert got.dtype == np.int64
    want.index = _text_levels(want.index)
    g = got.copy()
    g.index = _text_levels(g.index)
    assert g.sort_index().to_dict() == want.sort_index().to_dict()
    assert int(got.sum()) == len(rows)


def test_participants_are_never_all_materialised(done, materialised) -> None:
    total = len(read_results(done, participants=True))
    materialised.clear()
    participant_counts(done)
    rows = [r for _, r, _ in materialised]
    assert sum(rows) == total  # every row counted once ...
    assert max(rows) < total / 3  # ... one part at a time (6 parts here) ...
    assert {cols for _, _, cols in materialised} == {("nation", "side", "round")}  # ... 3 columns


def test_figures_from_counts_equal_figures_from_rows(done) -> None:
    results = read_results(done, columns=PLOT_COLUMNS)
    rows = read_results(done, participants=True)
    counts = participant_counts(done)
    a, b = figures_of(results, rows), figures_of(results, counts)
    ha, hb = a["heatmap"].axes[0].get_images()[0], b["heatmap"].axes[0].get_images()[0]
    assert np.array_equal(ha.get_array(), hb.get_array())
    ta = [t.get_text() for t in a["heatmap"].axes[0].get_yticklabels()]
    assert ta == [t.get_text() for t in b["heatmap"].axes[0].get_yticklabels()]
    la = [ln.get_ydata() for ln in a["entry_curve"].axes[0].get_lines()]
    lb = [ln.get_ydata() for ln in b["entry_curve"].axes[0].get_lines()]
    assert len(la) == len(lb) and all(np.array_equal(x, y) for x, y in zip(la, lb, strict=True))


def test_compare_on_the_columns_it_reads_equals_compare_on_everything(done) -> None:
    pytest.importorskip("scipy")
    full = compare(read_results(done), n_resamples=200)
    few = compare(read_results(done, columns=REQUIRED_COLUMNS), n_resamples=200)
    pd.testing.assert_frame_equal(full, few)


def test_a_selection_still_fails_on_a_corrupt_page(tmp_path, done) -> None:
    import shutil

    out = Path(shutil.copytree(done, tmp_path / "out"))
    part = out / "cascades" / f"structure={NAMES[0]}" / "part-000000001000.parquet"
    data = bytearray(part.read_bytes())
    data[len(data) // 3] ^= 0xFF
    part.write_bytes(bytes(data))
    with pytest.raises(escalate.ResultsError, match="corrupt part"):
        read_results(out, check=False)
