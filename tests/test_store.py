"""Results that cannot be lost or lie: the lock, repair, checksums, failures, bounds.

Each test reproduces a way a careless colleague or a crash lost or falsified results
before, and checks the store now refuses, detects or repairs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from helpers import cli, snapshot, warm_cache

import escalate
import escalate.cli as escalate_cli
import escalate.results.manifest
import escalate.results.store
import escalate.runner
import escalate.runner.backends
import escalate.runner.jobs
from escalate.results.lock import LOCK, ResultsLocked, lock_results
from escalate.results.store import (
    MAX_PARTS,
    MAX_REPLICATES,
    PROGRESS,
    ResultsError,
    part_path,
    read_manifest,
    read_part,
)
from escalate.runner.parts import _FIRST_SLICE, _SLICE_GROWTH, _SLICE_SECONDS, next_slice

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TEACHING = CONFIGS / "teaching.toml"
EUROPE = CONFIGS / "europe_1914.toml"
SEED = 5
N = 4000
CHUNK = 1000


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    warm_cache()


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> Path:
    """A complete run of one world with participants."""
    out = tmp_path_factory.mktemp("store") / "out"
    escalate.run([TEACHING], out, N, SEED, chunk_size=CHUNK, participants=True)
    return out


def copy_run(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def parts(root: Path) -> dict[str, bytes]:
    """The part files of the run (not those set aside in quarantine) and their bytes."""
    return {
        k: v
        for k, v in snapshot(root).items()
        if Path(k).name.startswith("part-") and not k.startswith("quarantine")
    }


def run_args(out: Path, *extra: object) -> list[str]:
    return ["run", str(TEACHING), "-n", str(N), "-s", str(SEED), "-o", str(out),
            "--chunk-size", str(CHUNK), "--participants", "--quiet", *map(str, extra)]  # fmt: skip


# --------------------------------------------------------------------------- the lock


def test_a_second_job_is_refused_while_the_lock_is_held(tmp_path, full) -> None:
    out = copy_run(full, tmp_path / "out")
    before = snapshot(out)
    with lock_results(out):
        held = snapshot(out)
        for extra in ((), ("--overwrite",), ("--resume",)):
            r = cli(*run_args(out, *extra))
            assert r.returncode == 2, r.stderr
            assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
            assert "in use by another escalate job" in r.stderr
            assert f"pid {os.getpid()} on {socket.gethostname()}, started " in r.stderr
        r = cli("repair", out)
        assert r.returncode == 2 and "in use by another escalate job" in r.stderr
        assert snapshot(out) == held  # nothing touched
        with pytest.raises(ResultsLocked, match=r"in use .*pid \d+"):
            escalate.run([TEACHING], out, N, SEED, chunk_size=CHUNK, participants=True)
    assert snapshot(out) == before  # the lock file is gone with its holder
    assert not (out / LOCK).exists()


def test_the_lock_of_a_killed_process_is_taken_over(tmp_path, full) -> None:
    out = copy_run(full, tmp_path / "out")
    code = (
        "import os, signal, sys\n"
        "from escalate.results.lock import lock_results\n"
        "held = lock_results(sys.argv[1])\nheld.__enter__()\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(out)], timeout=60)
    assert r.returncode == -signal.SIGKILL
    assert json.loads((out / LOCK).read_text())["pid"] != os.getpid()  # left behind
    summary = escalate.run(
        [TEACHING], out, N, SEED, chunk_size=CHUNK, participants=True, resume=True
    )
    assert summary.parts_skipped == N // CHUNK
    assert not (out / LOCK).exists()


def slow_world(path: Path, n: int = 3000) -> Path:
    """A world of ``n`` nations in one collective-security organization and a chain
    of defense pacts: a millisecond or more per cascade, so that a run lasts."""
    ids = [f"N{i}" for i in range(n)]
    world = {
        "name": "slow",
        "incident": {"mode": "random"},
        "nations": [{"id": x, "power": 1.0} for x in ids],
        "organizations": [
            {"name": "UN", "kind": "collective_security", "members": ids,
             "response": {"military": 0.5, "sanctions": 0.3}}
        ],
        "alliances": [
            {"name": f"pact {i}", "kind": "defense", "members": [ids[i], ids[i + 1]]}
            for i in range(n - 1)
        ],
    }  # fmt: skip
    path.write_text(escalate.dump_world(escalate.world_from_dict(world)))
    return path


def test_overwrite_during_a_run_is_refused_and_the_run_completes(tmp_path) -> None:
    """`run -s 1 --out D &` then `run -s 2 --out D --overwrite` (and `--resume`): the
    others are refused, naming the running job; it completes with its own seed."""
    world, out = slow_world(tmp_path / "slow.toml"), tmp_path / "out"
    n, chunk = 8000, 200
    first = subprocess.Popen(
        [sys.executable, "-m", "escalate", "run", str(world), "-n", str(n), "-s", "1",
         "-o", str(out), "--chunk-size", str(chunk), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (out / LOCK).exists() or not (out / "manifest.json").exists():
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.02)
    others = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "escalate",
                "run",
                str(world),
                "-o",
                str(out),
                "--quiet",
                "--chunk-size",
                str(chunk),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for extra in (
            ["-n", "100", "-s", "2", "--overwrite"],
            ["-n", str(n), "-s", "1", "--resume"],
        )
    ]
    for p in others:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 2 and f"pid {first.pid} on " in err, err
        assert first.poll() is None  # the running job was not disturbed
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    m = read_manifest(out)
    assert m.seed == 1 and m.status == "complete"
    files = sorted((out / "cascades" / "structure=slow").glob("part-*.parquet"))
    assert len(files) == n // chunk
    assert {pq.read_metadata(f).metadata[b"escalate.seed"] for f in files} == {b"1"}
    assert len(escalate.read_results(out)) == n


# --------------------------------------------------------------------------- repair


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_a_truncated_part_points_to_repair_which_makes_resume_exact(tmp_path, full) -> None:
    out = copy_run(full, tmp_path / "out")
    bad = part_path(out, "cascades", "teaching", 2 * CHUNK)
    truncate(bad)
    before = snapshot(out)
    r = cli(*run_args(out, "--resume"))
    assert r.returncode == 2
    assert "part-000000002000.parquet: corrupt part" in r.stderr
    assert "escalate repair" in r.stderr and r.stderr.count("\n") == 1
    assert snapshot(out) == before

    r = cli("repair", out)
    assert r.returncode == 0, r.stderr
    assert "quarantined cascades/structure=teaching/part-000000002000.parquet" in r.stderr
    assert (out / "quarantine" / "cascades" / "structure=teaching" / bad.name).exists()
    m = read_manifest(out)
    assert m.status == "incomplete" and m.done["teaching"] == [[0, 2000], [3000, 4000]]

    r = cli(*run_args(out, "--resume"))
    assert r.returncode == 0, r.stderr
    assert parts(out) == parts(full)
    assert read_manifest(out).status == "complete"


def test_a_deleted_manifest_is_rebuilt_from_the_parts(tmp_path, full) -> None:
    out = copy_run(full, tmp_path / "out")
    (out / "manifest.json").unlink()
    part_path(out, "participants", "teaching", CHUNK).unlink()  # and one part lost
    r = cli(*run_args(out))
    assert r.returncode == 2 and "already holds results" in r.stderr
    r = cli(*run_args(out, "--resume"))
    assert r.returncode == 2 and "no manifest.json" in r.stderr and "escalate repair" in r.stderr

    report = escalate.repair(out)
    assert report.rebuilt_manifest and report.missing == 1 and not report.quarantined
    m, want = read_manifest(out), read_manifest(full)
    for key in ("seed", "replicates", "chunk_size", "participants", "worlds"):
        assert getattr(m, key) == getattr(want, key), key
    r = cli(*run_args(out, "--resume"))
    assert r.returncode == 0, r.stderr
    assert parts(out) == parts(full)


def test_repair_quarantines_foreign_parts_and_keeps_ours(tmp_path, full) -> None:
    out = copy_run(full, tmp_path / "out")
    other = tmp_path / "other"
    escalate.run([TEACHING], other, N, SEED + 1, chunk_size=CHUNK, participants=True)
    shutil.copy(
        part_path(other, "cascades", "teaching", 0), part_path(out, "cascades", "teaching", 0)
    )
    (out / "cascades" / "structure=stranger").mkdir()
    report = escalate.repair(out)
    why = dict(report.quarantined)
    assert "seed" in why["cascades/structure=teaching/part-000000000000.parquet"]
    assert "structure=stranger" in " ".join(why)
    assert report.kept == 2 * N // CHUNK - 1 and report.missing == 1
    escalate.run([TEACHING], out, N, SEED, chunk_size=CHUNK, participants=True, resume=True)
    assert parts(out) == parts(full)


def test_repair_of_a_directory_with_nothing_to_rebuild(tmp_path) -> None:
    (tmp_path / "cascades").mkdir()
    r = cli("repair", tmp_path)
    assert r.returncode == 2 and "nothing" not in r.stdout
    assert "no readable escalate part" in r.stderr
    r = cli("repair", tmp_path / "nowhere")
    assert r.returncode == 2 and "no such results directory" in r.stderr


# --------------------------------------------------------------------------- checksums


def data_region(path: Path) -> tuple[int, int]:
    """[4, start of the footer): the pages and their headers."""
    data = path.read_bytes()
    (footer,) = struct.unpack("<i", data[-8:-4])
    return 4, len(data) - 8 - footer


@pytest.mark.parametrize("table", ["cascades", "participants"])
def test_flipped_bytes_never_give_changed_rows(tmp_path, full, table) -> None:
    """Flip bytes anywhere in a part: every read either fails naming the file, or gives
    the original rows (the flip hit something that does not change them)."""
    rng = np.random.default_rng(8)
    out = copy_run(full, tmp_path / "out")
    path = part_path(out, table, "teaching", CHUNK)
    good, data = read_part(path, table), path.read_bytes()
    lo, hi = data_region(path)
    detected = 0
    for pos in [*rng.integers(lo, hi, 150), *rng.integers(hi, len(data), 50)]:
        flipped = bytearray(data)
        flipped[pos] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(flipped))
        try:
            assert read_part(path, table).equals(good), f"byte {pos}: changed rows accepted"
        except ResultsError as e:
            assert str(path) in str(e)
            detected += 1
    assert detected > 100  # most flips in pages are caught by a checksum


def test_corrupt_part_is_exit_2_with_the_path_for_every_reader(tmp_path, full) -> None:
    out = copy_run(full, tmp_path / "out")
    path = part_path(out, "cascades", "teaching", 3 * CHUNK)
    lo, hi = data_region(path)
    flipped = bytearray(path.read_bytes())
    flipped[(lo + hi) // 2] ^= 0xFF
    path.write_bytes(bytes(flipped))
    with pytest.raises(ResultsError, match=r"part-000000003000\.parquet: corrupt part"):
        escalate.read_results(out)
    for args in (("compare", out), ("plot", out, "-o", tmp_path / "fig"), ("report", out)):
        r = cli(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert "part-000000003000.parquet: corrupt part" in r.stderr
        assert "Traceback" not in r.stderr


def test_parts_are_written_with_page_checksums_and_a_digest(full) -> None:
    path = part_path(full, "cascades", "teaching", 0)
    md = pq.read_metadata(path)
    assert b"escalate.bytes_sha256" in md.metadata
    assert b"escalate.content_sha256" not in md.metadata
    # every data page carries a CRC: a reader that verifies them accepts the file...
    pq.read_table(path, page_checksum_verification=True)
    # ...and the world definition is stored once per file, not twice
    world = md.metadata[b"escalate.world"]
    assert path.read_bytes().count(world) == 1


# --------------------------------------------------------------------------- failures


def test_memory_error_is_one_line_and_leaves_a_resumable_directory(
    tmp_path, monkeypatch, capsys, full
) -> None:
    out = tmp_path / "out"
    real = escalate.runner.backends.part_arrays
    calls = {"n": 0}

    def part_arrays(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # after two parts
            raise MemoryError()
        return real(*args, **kwargs)

    monkeypatch.setattr(escalate.runner.backends, "part_arrays", part_arrays)
    assert escalate_cli.main(run_args(out)) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "out of memory" in err and "--resume" in err
    m = read_manifest(out)
    assert m.status == "failed" and m.error.startswith("out of memory")
    monkeypatch.setattr(escalate.runner.backends, "part_arrays", real)
    assert escalate_cli.main(run_args(out, "--resume")) == 0
    assert parts(out) == parts(full)


# --------------------------------------------------------------------------- manifest


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda m: m["worlds"]["teaching"].pop("hash"), "worlds['teaching']: no world hash"),
        (lambda m: m.update(chunk_size=0), "chunk_size: 0 is not a whole number"),
        (lambda m: m.update(replicates="many"), "replicates: 'many'"),
        (lambda m: m.update(status="partying"), "status: 'partying'"),
        (lambda m: m.update(format_version=99), "format_version 99: written by a newer escalate"),
        (lambda m: m.pop("seed"), "missing key 'seed'"),
        (lambda m: m.update(done={"teaching": [[0]]}), "done: not lists"),
    ],
)
def test_a_hand_edited_manifest_is_checked_like_a_world_file(tmp_path, full, edit, words) -> None:
    out = copy_run(full, tmp_path / "out")
    m = json.loads((out / "manifest.json").read_text())
    edit(m)
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ResultsError, match="invalid manifest: " + re.escape(words)):
        read_manifest(out)
    r = cli("compare", out)
    assert r.returncode == 2 and "invalid manifest" in r.stderr and "Traceback" not in r.stderr


def test_progress_is_appended_and_the_manifest_is_written_twice(tmp_path, monkeypatch) -> None:
    """The manifest's cost does not grow with the parts done (sweeps of many variants)."""
    writes: list[int] = []
    progress: list[str] = []
    real_write, real_record = (
        escalate.results.manifest.atomic_write_bytes,
        escalate.runner.jobs.record_progress,
    )

    def write(path, data):
        writes.append(len(data))
        return real_write(path, data)

    def record(out, *args):
        real_record(out, *args)
        progress.append((out / PROGRESS).read_text().splitlines()[-1])

    monkeypatch.setattr(escalate.results.manifest, "atomic_write_bytes", write)
    monkeypatch.setattr(escalate.runner.jobs, "record_progress", record)
    out = tmp_path / "out"
    escalate.run([TEACHING], out, 50 * 100, SEED, chunk_size=100)
    assert len(writes) == 2  # at the start and at the end
    assert len(progress) == 50 and json.loads(progress[-1])["stop"] <= 5000
    assert not (out / PROGRESS).exists()  # folded into the final manifest
    assert read_manifest(out).done == {"teaching": [[0, 5000]]}


def test_progress_of_a_killed_run_is_read_back(tmp_path, full) -> None:
    out = copy_run(full, tmp_path / "out")
    m = json.loads((out / "manifest.json").read_text())
    m.update(status="running", done={})
    (out / "manifest.json").write_text(json.dumps(m))
    lines = [json.dumps({"structure": "teaching", "start": s, "stop": s + CHUNK})
             for s in (0, CHUNK)]  # fmt: skip
    (out / PROGRESS).write_text("\n".join(lines) + '\n{"structure": "tea')  # cut by a crash
    assert read_manifest(out).done == {"teaching": [[0, 2 * CHUNK]]}


# --------------------------------------------------------------------------- bounds


@pytest.mark.parametrize(
    "args, words",
    [
        (["-n", "100_000_000_000_000", "-s", "1"], f"between 1 and {MAX_REPLICATES}"),
        (["-n", "1000", "-s", "1", "--chunk-size", "1_000_000_000"], "GiB of memory per part"),
        (["-n", str(MAX_REPLICATES), "-s", "1", "--chunk-size", "1"], f"(limit {MAX_PARTS:,})"),
        (["-n", "1000", "-s", str(2**64)], "between 0 and 2**64 - 1"),
    ],
)
def test_sizes_have_bounds_and_one_line_errors(tmp_path, args, words) -> None:
    out = tmp_path / "out"
    r = cli("run", TEACHING, "-o", out, *args)
    assert r.returncode == 2, r.stderr
    assert words in r.stderr and r.stderr.count("\n") == 1
    assert not out.exists()  # a refused job leaves nothing behind


def test_participant_labels_stay_dictionary_encoded(full) -> None:
    schema = pq.read_schema(part_path(full, "participants", "teaching", 0))
    assert str(schema.field("source").type) == "dictionary<values=string, indices=int32, ordered=0>"
    df = escalate.read_results(full, participants=True)
    assert df["source"].dtype == "category"


# --------------------------------------------------------------------------- slices


def test_kernel_slices_start_small_and_follow_the_measured_rate() -> None:
    assert _FIRST_SLICE <= 64
    # a world where one replicate takes 6 ms: a quarter of a second is ~40 replicates
    assert next_slice(_FIRST_SLICE, _FIRST_SLICE * 0.006, _FIRST_SLICE) == int(
        _SLICE_SECONDS / 0.006
    )
    # a fast world grows quickly, but by at most the growth factor per call
    assert next_slice(16, 1e-5, 16) == 16 * _SLICE_GROWTH
    assert next_slice(10**5, 0.1, 10**5) == int(10**5 / 0.1 * _SLICE_SECONDS)
    # a very slow world: one replicate per call
    assert next_slice(1, 10.0, 1) == 1


def test_a_string_column_read_back_as_bytes_is_corrupt(tmp_path, full) -> None:
    """A flipped footer bit can turn a string column into bytes with the same content:
    the digest tells text from bytes, and no reader error escapes as a traceback."""
    out = copy_run(full, tmp_path / "out")
    path = part_path(out, "cascades", "teaching", 0)
    md = pq.read_metadata(path).metadata
    table = read_part(path, "cascades")
    ids = table.column("initiator").cast("string").cast("binary")
    bad = table.set_column(table.schema.get_field_index("initiator"), "initiator", ids)
    with pq.ParquetWriter(path, bad.schema) as writer:
        writer.write_table(bad)
        writer.add_key_value_metadata({k.decode(): v.decode() for k, v in md.items()
                                       if k.startswith(b"escalate.")})  # fmt: skip
    with pytest.raises(ResultsError, match=r"part-000000000000\.parquet: corrupt part"):
        read_part(path, "cascades")
