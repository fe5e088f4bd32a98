"""The output path: dictionary columns from the kernel's codes, and the writer pool.

Parts are byte for byte the same whatever the number of writer threads (and of
kernel threads); at most ``writers + 1`` parts are in memory at once; ids and
labels are Arrow dictionaries on disk and categoricals when read back; parts of
an earlier version (plain string columns) are still read, alone or mixed with
new ones. No test here measures time.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numba
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import snapshot, warm_cache

import escalate
from escalate.results.digest import BYTES_KEY, content_digest
from escalate.results.digest import CONTENT_KEY as DIGEST_KEY
from escalate.results.schema import (
    CASCADE_COLUMNS,
    CASCADE_SCHEMA,
    PARTICIPANT_COLUMNS,
    PARTICIPANT_SCHEMA,
    categorical_columns,
)
from escalate.results.store import part_metadata, read_part
from escalate.runner import backends

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
EUROPE = CONFIGS / "europe_1914.toml"
TEACHING = CONFIGS / "teaching.toml"
SEED = 7
N = 2400
LABELS = {
    "cascades": ("initiator", "target", "winner"),
    "participants": ("nation", "side", "via", "source"),
}


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    warm_cache()


def parts_of(out: Path) -> dict[str, bytes]:
    """The part files of a run with their bytes (not the manifest: it holds versions)."""
    return {k: v for k, v in snapshot(out).items() if k.endswith(".parquet")}


def test_parts_have_the_same_bytes_whatever_the_writers_and_threads(tmp_path) -> None:
    runs = [(1, 1), (2, 2), (4, 1), (3, min(2, numba.config.NUMBA_NUM_THREADS))]
    got = {}
    for writers, threads in runs:
        out = tmp_path / f"w{writers}t{threads}"
        escalate.run([TEACHING, EUROPE], out, N, SEED, chunk_size=300, participants=True,
                     writers=writers, threads=threads)  # fmt: skip
        got[(writers, threads)] = parts_of(out)
    first = got[runs[0]]
    assert len(first) == 2 * 2 * N // 300  # two worlds, two tables
    for key, files in got.items():
        assert files == first, key


@pytest.mark.parametrize("writers", [1, 2, 3])
def test_parts_in_memory_are_bounded_by_the_writers(tmp_path, monkeypatch, writers) -> None:
    made = backends.part_arrays
    write = backends._write_one
    lock = threading.Lock()
    live = [0]  # parts computed and not yet written
    most = [0]
    release = threading.Event()

    def counted_tables(*args, **kwargs):
        tables = made(*args, **kwargs)
        with lock:
            live[0] += 1
            most[0] = max(most[0], live[0])
        return tables

    def slow_write(*args, **kwargs):
        release.wait(0.05)  # writers slower than the kernel: the pool fills up
        write(*args, **kwargs)
        with lock:
            live[0] -= 1

    monkeypatch.setattr(backends, "part_arrays", counted_tables)
    monkeypatch.setattr(backends, "_write_one", slow_write)
    summary = escalate.run([TEACHING], tmp_path / "o", 40 * 25, SEED, chunk_size=25,
                           writers=writers)  # fmt: skip
    assert summary.rows == 1000 and live[0] == 0
    assert most[0] <= writers + 1  # the documented bound
    assert most[0] >= min(writers, 2)  # and writers do work side by side


def test_labels_are_dictionaries_on_disk_and_categoricals_read_back(tmp_path) -> None:
    out = tmp_path / "o"
    escalate.run([EUROPE], out, N, SEED, participants=True)
    for table, schema in (("cascades", CASCADE_SCHEMA), ("participants", PARTICIPANT_SCHEMA)):
        (path,) = (out / table).rglob("*.parquet")
        on_disk = pq.read_schema(path)
        for name in LABELS[table]:
            assert pa.types.is_dictionary(on_disk.field(name).type), name
            encodings = (
                pq.ParquetFile(path)
                .metadata.row_group(0)
                .column(on_disk.get_field_index(name))
                .encodings
            )
            assert "RLE_DICTIONARY" in encodings or "PLAIN_DICTIONARY" in encodings, name
        assert on_disk.remove_metadata().equals(schema), table
        df = escalate.read_results(out, participants=table == "participants")
        for name in LABELS[table]:
            assert isinstance(df[name].dtype, pd.CategoricalDtype), name
    # the schema says which columns are categorical: every id and label
    assert set(categorical_columns(CASCADE_COLUMNS)) == set(LABELS["cascades"])
    assert set(categorical_columns(PARTICIPANT_COLUMNS)) == set(LABELS["participants"])


def test_simulate_gives_the_rows_of_run(tmp_path) -> None:
    casc, people = escalate.simulate(EUROPE, N, SEED, participants=True, threads=1)
    escalate.run([EUROPE], tmp_path / "o", N, SEED, participants=True, chunk_size=700)
    back = escalate.read_results(tmp_path / "o")
    back_people = escalate.read_results(tmp_path / "o", participants=True)
    for got, want in ((casc, back), (people, back_people)):
        # the same frames: values, dtypes, categories (built without Arrow in simulate)
        pd.testing.assert_frame_equal(got, want)


def _as_earlier_version(path: Path, table: str) -> None:
    """Rewrite a part as an earlier escalate wrote it: labels as plain strings."""
    t = read_part(path, table)
    cols = [c.cast(pa.string()) if pa.types.is_dictionary(c.type) and n != "source" else c
            for n, c in zip(t.column_names, t.columns, strict=True)]  # fmt: skip
    schema = pa.schema([pa.field(n, c.type) for n, c in zip(t.column_names, cols, strict=True)])
    plain = pa.Table.from_arrays(cols, schema=schema)
    meta = {k: v for k, v in part_metadata(path).items() if k != BYTES_KEY}
    meta[DIGEST_KEY] = content_digest(plain)
    with pq.ParquetWriter(path, schema, compression="zstd", write_page_checksum=True) as w:
        w.write_table(plain)
        w.add_key_value_metadata(meta)


def test_parts_of_an_earlier_version_are_read_alone_or_mixed(tmp_path) -> None:
    out = tmp_path / "o"
    escalate.run([EUROPE], out, N, SEED, participants=True, chunk_size=1000)
    want = escalate.read_results(out)
    want_people = escalate.read_results(out, participants=True)
    for table in ("cascades", "participants"):
        first = sorted((out / table).rglob("*.parquet"))[0]
        _as_earlier_version(first, table)
        assert pa.types.is_string(pq.read_schema(first).field(LABELS[table][0]).type)
    got = escalate.read_results(out)
    got_people = escalate.read_results(out, participants=True)
    for a, b in ((got, want), (got_people, want_people)):
        for name in (*LABELS["cascades"], *LABELS["participants"]):
            if name in a.columns:
                assert isinstance(a[name].dtype, pd.CategoricalDtype), name
        pd.testing.assert_frame_equal(a.astype(object), b.astype(object))
