"""The digest of a part's bytes: made while writing, checked on reading."""

from __future__ import annotations

import hashlib
import io
import shutil
import struct
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import warm_cache

import escalate
import escalate.results.store as store
from escalate.results.digest import BYTES_KEY, HashingFile, digest_problem, file_digest
from escalate.results.errors import ResultsError
from escalate.results.schema import CASCADE_SCHEMA
from escalate.results.store import part_path, read_part, write_part

TEACHING = Path(__file__).resolve().parents[1] / "configs" / "teaching.toml"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    warm_cache()
    out = tmp_path_factory.mktemp("digest") / "out"
    escalate.run([TEACHING], out, 3000, 4, chunk_size=1000, participants=True)
    return out


def footer_start(data: bytes) -> int:
    (length,) = struct.unpack("<i", data[-8:-4])
    return len(data) - 8 - length


def test_the_digest_written_is_that_of_the_bytes_before_the_footer(run_dir) -> None:
    for table in ("cascades", "participants"):
        path = part_path(run_dir, table, "teaching", 1000)
        meta = pq.read_metadata(path)
        data = path.read_bytes()
        stored = meta.metadata[BYTES_KEY.encode()].decode()
        assert file_digest(path, meta.num_rows) == stored
        # the row count is part of it: the same bytes claiming another count differ
        assert file_digest(path, meta.num_rows + 1) != stored
        # and it is the digest of exactly the bytes before the footer
        h = hashlib.sha256(f"escalate part\0rows={meta.num_rows}\0".encode())
        h.update(data[: footer_start(data)])
        assert h.hexdigest() == stored


def test_a_flip_anywhere_before_the_footer_is_caught_with_any_selection(tmp_path, run_dir) -> None:
    """With ``verify``, a selection of one column still checks every byte of the part."""
    out = tmp_path / "out"
    shutil.copytree(run_dir, out)
    path = part_path(out, "cascades", "teaching", 2000)
    data = path.read_bytes()
    rng = np.random.default_rng(3)
    end = footer_start(data)
    for pos in rng.integers(4, end, 25):
        flipped = bytearray(data)
        flipped[pos] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(flipped))
        with pytest.raises(ResultsError, match=r"part-000000002000\.parquet: corrupt part"):
            escalate.read_results(out, columns=["world_war"], verify=True)
    path.write_bytes(data)
    assert len(escalate.read_results(out, columns=["world_war"], verify=True)) == 3000


def test_a_part_claiming_other_rows_is_corrupt(tmp_path, run_dir) -> None:
    path = part_path(run_dir, "participants", "teaching", 0)
    meta = pq.read_metadata(path)
    assert digest_problem(path, meta) is None
    # a file whose bytes were hashed with another row count is refused by it
    t = read_part(path, "participants")
    other = tmp_path / "p.parquet"
    write_part(other, t.slice(0, t.num_rows - 1), {})
    assert digest_problem(other, pq.read_metadata(other)) is None
    assert digest_problem(other, pq.read_metadata(other), t) == "its row counts disagree"


def test_hashing_file_sees_every_write() -> None:
    buf = io.BytesIO()
    sink = HashingFile(buf, rows=2)
    with pq.ParquetWriter(sink, pa.schema([("x", pa.int16())])) as w:
        w.write_table(pa.table({"x": pa.array([1, 2], pa.int16())}))
        digest = sink.hexdigest()
        w.add_key_value_metadata({BYTES_KEY: digest})
    assert sink.size == len(buf.getvalue()) == sink.tell()
    assert sink.footer_starts_at(sink.hashed)
    assert not sink.footer_starts_at(sink.hashed - 1)
    assert footer_start(buf.getvalue()) == sink.hashed


def test_a_writer_that_adds_pages_after_the_digest_is_refused(tmp_path, monkeypatch) -> None:
    """If pyarrow ever wrote pages at close, the digest would not cover them: no part."""
    monkeypatch.setattr(HashingFile, "footer_starts_at", lambda self, position: False)
    path = tmp_path / "d" / "part.parquet"
    with pytest.raises(RuntimeError, match="does not cover every page"):
        write_part(path, pa.table({"x": [1]}), {})
    assert list(path.parent.iterdir()) == []  # nothing left, not even a temporary


def test_power_share_is_dictionary_encoded_and_pages_checksummed() -> None:
    opts = store.parquet_options(CASCADE_SCHEMA)
    assert "power_share" in opts["use_dictionary"]
    assert "replicate" not in opts["use_dictionary"]
    assert opts["write_page_checksum"] is True
