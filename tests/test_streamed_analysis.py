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
from escalate.analysis.compare import compare
from escalate.analysis.metrics import REQUIRED_COLUMNS
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

    def counting(frag, kind, columns, row_filter, whole):
        t = original(frag, kind, columns, row_filter, whole)
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


# ---------------------------------------------------------------------------
# compare streamed part by part

from escalate.analysis import compare as compare_mod  # noqa: E402
from escalate.analysis import tally as tally_mod  # noqa: E402
from escalate.analysis.compare import compare_results  # noqa: E402
from escalate.cli import main as cli_main  # noqa: E402


@pytest.fixture(scope="module")
def small_parts(tmp_path_factory) -> Path:
    """A run in many small parts (the last one short)."""
    out = tmp_path_factory.mktemp("small_parts") / "out"
    escalate.run(WORLDS, out, 2300, 5, chunk_size=250)
    return out


@pytest.mark.parametrize("baseline", [None, "europe_1914_no_alliances"])
def test_streamed_compare_csv_is_byte_identical_to_in_memory(
    small_parts, tmp_path, baseline
) -> None:
    flags = [] if baseline is None else ["--baseline", baseline]
    path = tmp_path / "c.csv"
    assert cli_main(["compare", str(small_parts), "--format", "csv", "-o", str(path), *flags]) == 0
    in_memory = compare(read_results(small_parts), baseline=baseline).to_csv(index=False)
    assert path.read_text(encoding="utf-8") == in_memory
    streamed = compare_results(small_parts, baseline=baseline).to_csv(index=False)
    assert streamed == in_memory


def _windows(df: pd.DataFrame, size: int) -> list[dict[str, dict[str, np.ndarray]]]:
    """The rows of ``df`` as windows of ``size`` replicates, rows shuffled within each."""
    cols = compare_mod._read_columns(df)
    rep = df["replicate"].to_numpy()
    names = [str(c) for c in df["structure"].cat.categories]
    rng = np.random.default_rng(0)
    out = []
    for start in range(0, int(rep.max()) + 1, size):
        window = {}
        for name in names:
            idx = np.flatnonzero((df["structure"] == name).to_numpy() & (rep >= start)
                                 & (rep < start + size))  # fmt: skip
            if idx.size:
                idx = rng.permutation(idx)
                window[name] = {c: a[idx] for c, a in cols.items()}
        out.append(window)
    return out


@pytest.mark.parametrize("max_categories", [4096, 16])
def test_windows_with_incomplete_pairing_give_the_in_memory_table(
    small_parts, max_categories
) -> None:
    df = read_results(small_parts)
    rng = np.random.default_rng(1)
    df = df[rng.random(len(df)) < 0.6].reset_index(drop=True)  # replicates missing on both sides
    df.loc[df["structure"] == "europe_1914", "power_share"] = np.round(
        rng.random(int((df["structure"] == "europe_1914").sum())), 4
    )  # many distinct values: the coarse grid
    expected = compare(df, max_categories=max_categories)
    assert expected["n_pairs"].dropna().max() < (df["structure"] == "europe_1914").sum()
    opts = compare_mod._options(0.95, (3, 5, 10), 0, (0.5, 0.9, 0.99), 1000, max_categories)
    names = ["europe_1914", "europe_1914_no_alliances"]
    got = compare_mod._compare_windows(_windows(df, 97), names, None, opts)
    assert got.to_csv(index=False) == expected.to_csv(index=False)


def test_streamed_compare_holds_one_range_of_replicates_at_a_time(small_parts, monkeypatch) -> None:
    """Rows alive (Arrow tables and arrays) while each part is read: at most two ranges."""
    import weakref

    alive: list[tuple[weakref.ref, int]] = []
    held: list[int] = []
    read_part_table = read_mod._Plan.read
    table_columns = tally_mod.table_columns

    def rows_alive() -> int:
        return sum(n for ref, n in alive if ref() is not None)

    def reading(plan, frag):
        held.append(rows_alive())
        t = read_part_table(plan, frag)
        alive.append((weakref.ref(t), t.num_rows))
        return t

    def converting(t):
        held.append(rows_alive())
        cols = table_columns(t)
        alive.append((weakref.ref(cols["replicate"]), cols["replicate"].size))
        return cols

    monkeypatch.setattr(read_mod._Plan, "read", reading)
    monkeypatch.setattr(tally_mod, "table_columns", converting)
    compare_results(small_parts)
    assert len(held) == 2 * 2 * 10  # every part read once, and converted once
    # rows of Arrow tables and of converted columns still referenced when a part
    # is read (a table and its arrays may share buffers; both are counted): the
    # range being read (2 structures x 250) and the one before it at most
    assert max(held) <= 2 * (2 * 250)
    assert max(held) >= 2 * 250  # the counting sees a range's tables


def test_figures_from_cascade_counts_are_the_figures_from_rows(done, tmp_path) -> None:
    from escalate.results.read import cascade_counts
    from escalate.viz.plots import PLOT_COUNT_COLUMNS, plot_results

    counts = cascade_counts(done, by=PLOT_COUNT_COLUMNS, verify=True)
    assert int(counts["count"].sum()) == 2 * N
    assert len(counts) < N  # distinct combinations, not cascades
    parts = participant_counts(done)
    a = plot_results(read_results(done, columns=PLOT_COLUMNS), tmp_path / "a", parts, ["svg"])
    b = plot_results(counts, tmp_path / "b", parts, ["svg"])
    assert [p.name for p in a] == [p.name for p in b]
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes(), x.name


def test_report_from_counts_is_the_report_from_every_row(done) -> None:
    """`escalate report` in flat memory makes the page the in-memory report makes."""
    pytest.importorskip("matplotlib")
    from escalate.analysis.compare import compare_results
    from escalate.results.read import cascade_counts
    from escalate.viz.plots import PLOT_COUNT_COLUMNS
    from escalate.viz.report import render_report

    rows = read_results(done)
    counts = participant_counts(done, by=("nation", "side", "round"))
    whole = render_report(rows, counts, tails=False)
    streamed = render_report(
        cascade_counts(done, by=PLOT_COUNT_COLUMNS),
        counts,
        tails=False,
        table=compare_results(done),
    )
    assert streamed == whole
    assert whole.count("data:image/png;base64,") >= 4  # the figures are in both


def test_cli_report_streams(done, tmp_path) -> None:
    from escalate.cli import main

    out = tmp_path / "report.html"
    assert main(["report", str(done), "-o", str(out)]) == 0
    page = out.read_text()
    assert "Tail exponents of war size" in page and page.count("<figure>") >= 4
