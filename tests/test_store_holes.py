"""Holes in the results store found by an attack of faults, corruptions, races and
hostile inputs: each test reproduces one (on the run ``escalate run teaching -n 5000
-s 3 --participants``, whose first parts are called C and P) and checks that nothing
is lost, nothing is silently wrong, and nothing is written outside the directory.

Byte offsets are those of parts written by pyarrow 26; each corruption checks that
it hits what it means to hit.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import snapshot, warm_cache

import escalate
import escalate.cli as escalate_cli
import escalate.runner.backends
import escalate.runner.jobs
from escalate.results.lock import LOCK, ResultsLocked, lock_results
from escalate.results.read import cascade_counts, participant_counts, scan_results
from escalate.results.store import ResultsError, read_manifest
from escalate.runner.jobs import Interrupted, _signals_raise

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TEACHING = CONFIGS / "teaching.toml"
N, SEED = 5000, 3
C = Path("cascades/structure=teaching/part-000000000000.parquet")
P = Path("participants/structure=teaching/part-000000000000.parquet")


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    warm_cache()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """``escalate run teaching -n 5000 -s 3 -o base --participants``."""
    out = tmp_path_factory.mktemp("holes") / "base"
    escalate.run([TEACHING], out, N, SEED, participants=True)
    return out


@pytest.fixture
def d(tmp_path, base) -> Path:
    """A copy of the run, to damage."""
    return Path(shutil.copytree(base, tmp_path / "d"))


def flip(path: Path, *edits: tuple[int, int]) -> None:
    """XOR the bytes at the given offsets with the given masks."""
    b = bytearray(path.read_bytes())
    for offset, mask in edits:
        b[offset] ^= mask
    path.write_bytes(bytes(b))


def run_cli(capsys, *args: object) -> tuple[int, str]:
    code = escalate_cli.main([str(a) for a in args])
    err = capsys.readouterr().err
    return code, err


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def _footer_start(b: bytes) -> int:
    """Where a Parquet file's footer (the Thrift FileMetaData) begins."""
    return len(b) - 8 - int.from_bytes(b[-8:-4], "little")


def _find_all(b: bytes, pattern: bytes) -> list[int]:
    out, i = [], b.find(pattern)
    while i >= 0:
        out.append(i)
        i = b.find(pattern, i + 1)
    return out


def _row_group_rows_byte(path: Path, rows: int) -> int:
    """The offset of the last byte of the row group's num_rows varint in the footer.

    The footer holds the count twice (the file's and the row group's), as the same
    zigzag varint; flipping the row group's changes only ``row_group(0).num_rows``.
    """
    z, varint = 2 * rows, bytearray()
    while True:
        byte, z = z & 0x7F, z >> 7
        varint.append(byte | (0x80 if z else 0))
        if not z:
            break
    b = path.read_bytes()
    start = _footer_start(b)
    for i in _find_all(b[start:], bytes(varint)):
        at = start + i + len(varint) - 1
        flipped = bytearray(b)
        flipped[at] ^= 0x01
        try:
            meta = pq.read_metadata(pa.BufferReader(bytes(flipped)))
        except Exception:
            continue
        if meta.num_rows == rows and meta.row_group(0).num_rows != rows:
            return at
    raise AssertionError("no row-group num_rows varint found")


def run_args(out: Path, *extra: object) -> list[object]:
    return ["run", TEACHING, "-n", N, "-s", SEED, "-o", out, "--participants", "-q", *extra]


# --------------------------------------------------------------------------- silently wrong


def test_1_every_reader_verifies_the_participants(d, capsys) -> None:
    rows = pq.read_metadata(d / P).num_rows
    flip(d / P, (_row_group_rows_byte(d / P, rows), 0x01))  # bit 0 of its last byte
    footer = pq.read_metadata(d / P)
    assert footer.num_rows == rows and footer.row_group(0).num_rows != rows
    with pytest.raises(ResultsError, match="corrupt part"):
        participant_counts(d)
    for command in ("plot", "report"):
        code, err = run_cli(capsys, command, d)
        assert code == 2 and str(d / P) in one_line(err)


def test_2_a_replicate_range_does_not_trust_the_footer_statistics(d) -> None:
    before = escalate.read_results(d, replicates=(1000, 2000))
    b = (d / C).read_bytes()
    start = _footer_start(b)
    at = [start + i for i in _find_all(b[start:], (4999).to_bytes(8, "little"))]
    assert at  # the max statistic of `replicate`
    flip(d / C, *((x + 1, 0x10) for x in at))  # 4999 -> 903: the row group would be skipped
    got = escalate.read_results(d, replicates=(1000, 2000), verify=True)
    assert len(got) == 1000 and got.equals(before)
    assert cascade_counts(d, by=["world_war"], replicates=(1000, 2000))["count"].sum() == 1000


def test_3_a_streaming_reader_does_not_mix_two_worlds(tmp_path) -> None:
    out = tmp_path / "out"
    escalate.run([TEACHING], out, N, SEED, chunk_size=500)
    scan = scan_results(out, columns=["replicate", "world_war"], verify=True)
    _name, first = next(scan)
    assert first.num_rows == 500
    data = escalate.load_world(TEACHING).to_dict()
    data["nations"][0]["power"] = data["nations"][0]["power"] * 2
    other = escalate.world_from_dict(data)
    assert (
        other.name == "teaching"
        and other.canonical_hash() != read_manifest(out).worlds["teaching"]["hash"]
    )
    escalate.run([other], out, N, SEED, chunk_size=500, overwrite=True)
    with pytest.raises(ResultsError, match="replaced by another job"):
        list(scan)


# --------------------------------------------------------------------------- data lost


def test_4_overwrite_keeps_the_old_results_until_the_new_run_is_complete(
    d, monkeypatch, capsys
) -> None:
    old = escalate.read_results(d)
    real = escalate.runner.backends.write_part
    calls = {"n": 0}

    def write_part(path, table, metadata):
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, table, metadata)

    monkeypatch.setattr(escalate.runner.backends, "write_part", write_part)
    args = ["run", TEACHING, "-n", 4000, "-s", 9, "-o", d, "--chunk-size", 1000, "-q"]
    code, err = run_cli(capsys, *args, "--overwrite")
    assert code == 3 and "--resume" in one_line(err)
    assert escalate.read_results(d).equals(old)  # still the old run, readable
    assert read_manifest(d).status == "complete" and read_manifest(d).seed == SEED
    monkeypatch.setattr(escalate.runner.backends, "write_part", real)
    code, err = run_cli(capsys, *args, "--resume")  # finishes the new run, then swaps it in
    assert code == 0, err
    m = read_manifest(d)
    assert (m.seed, m.replicates, m.status) == (9, 4000, "complete")
    assert len(escalate.read_results(d)) == 4000
    assert not (d / ".staging").exists()


def test_5_overwrite_refuses_to_delete_files_escalate_did_not_write(d, capsys) -> None:
    (d / "participants" / "notes.txt").write_text("mine")
    (d / "cascades" / "structure=teaching" / "mydata.csv").write_text("a,b\n")
    before = snapshot(d)
    code, err = run_cli(capsys, *run_args(d, "--overwrite"))
    assert code == 2 and "not written by escalate" in one_line(err)
    assert snapshot(d) == before


def test_6_deleting_the_lock_file_does_not_let_a_second_job_in(d) -> None:
    with lock_results(d):
        (d / LOCK).unlink()
        with pytest.raises(ResultsLocked, match="in use by another escalate job"):
            escalate.run([TEACHING], d, N, SEED, participants=True, overwrite=True)
        (d / LOCK).write_text('{"pid": 1}')  # some other file where the lock was
    assert (d / LOCK).read_text() == '{"pid": 1}'  # not ours: not removed
    assert len(escalate.read_results(d)) == N


def test_7_a_symlinked_table_is_refused_and_its_target_untouched(tmp_path, base, capsys) -> None:
    target = Path(shutil.copytree(base, tmp_path / "target"))
    proj = tmp_path / "proj"
    proj.mkdir()
    shutil.copy(base / "manifest.json", proj / "manifest.json")
    (proj / "cascades").symlink_to(target / "cascades")
    shutil.copytree(base / "participants", proj / "participants")
    before = snapshot(target)
    code, err = run_cli(capsys, *run_args(proj, "--overwrite"))
    assert code == 2 and "symbolic link" in one_line(err)
    assert snapshot(target) == before
    assert len(escalate.read_results(target)) == N


def test_8_links_inside_the_directory_are_never_written_through(tmp_path, d, capsys) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (d / LOCK).symlink_to(victim)
    code, err = run_cli(capsys, *run_args(d, "--overwrite"))
    assert code == 2 and "symbolic link" in one_line(err)
    assert victim.read_text() == "precious"
    (d / LOCK).unlink()
    (d / "figures").mkdir()
    (d / "figures" / "p_world_war.png").symlink_to(victim)
    code, err = run_cli(capsys, "plot", d)
    assert code == 2 and "symbolic link" in one_line(err)
    assert victim.read_text() == "precious"
    shutil.rmtree(d / "figures")
    outside = tmp_path / "outside"
    outside.mkdir()
    (d / "quarantine").symlink_to(outside)
    flip(d / C, (100, 0x01))
    code, err = run_cli(capsys, "repair", d)
    assert code == 2 and "symbolic link" in one_line(err)
    assert list(outside.iterdir()) == []


# --------------------------------------------------------------------------- hangs, crashes


def _python(code: str, *args: object, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


READ_RANGE = (
    "import sys, escalate\n"
    "try:\n"
    "    escalate.read_results(sys.argv[1], replicates=(1000, 2000))\n"
    "except escalate.ResultsError as e:\n"
    "    print(e)\n"
)


def test_9_a_footer_flip_or_a_fifo_does_not_hang_a_reader(d) -> None:
    flip(d / C, (25410, 0x01))
    r = _python(READ_RANGE, d)
    assert r.returncode == 0 and f"{d / C}: corrupt part" in r.stdout, r.stderr
    (d / C).unlink()
    os.mkfifo(d / C)
    r = _python(READ_RANGE, d)
    assert r.returncode == 0 and "not a regular file" in r.stdout, r.stderr


def test_10_a_page_header_flip_is_one_line_naming_the_part(d, capsys) -> None:
    flip(d / P, (2267, 0x80), (2273, 0x80), (7916, 0x80), (7922, 0x80))
    with pytest.raises(ResultsError, match="corrupt part"):
        participant_counts(d)
    with pytest.raises(ResultsError, match="corrupt part"):
        participant_counts(d, replicates=(0, 100))
    code, err = run_cli(capsys, "plot", d)
    assert code == 2 and str(d / P) in one_line(err)


def test_11_a_part_with_more_rows_than_its_range_is_refused_from_its_footer(d, monkeypatch) -> None:
    from escalate.results.store import _write_parquet

    real = pq.read_table(d / C)
    keys = {
        k.decode(): v.decode()
        for k, v in pq.read_metadata(d / C).metadata.items()
        if k.startswith(b"escalate.") and k != b"escalate.bytes_sha256"
    }
    hostile = pa.concat_tables([real] * 100).cast(real.schema)  # 500,000 rows
    (d / C).unlink()
    _write_parquet(hostile, d / C, keys)  # a valid digest of its own bytes
    decoded = []
    real_read = pq.ParquetFile.read

    def read(self, *args, **kwargs):
        decoded.append(1)
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read", read)
    for reader in (
        lambda: escalate.read_results(d, columns=["world_war"]),
        lambda: cascade_counts(d, by=["world_war"]),
    ):
        with pytest.raises(ResultsError, match="500,000 rows for the 5,000 replicates"):
            reader()
    assert decoded == []
    report = escalate.repair(d)
    assert [why for _, why in report.quarantined] == [
        "corrupt part (500,000 rows for the 5,000 replicates 0 .. 4999)"
    ]


# --------------------------------------------------------------------------- statuses, codes


def _edit_manifest(d: Path, **changes: object) -> None:
    m = json.loads((d / "manifest.json").read_text())
    m.update(changes)
    (d / "manifest.json").write_text(json.dumps(m))


@pytest.mark.parametrize("edit", ["seed", "chunk_size", "world hash", "another run"])
def test_16_repair_trusts_parts_that_agree_over_an_edited_manifest(
    tmp_path, d, edit, capsys
) -> None:
    parts_before = {k: v for k, v in snapshot(d).items() if "part-" in k}
    if edit == "seed":
        _edit_manifest(d, seed=SEED + 1)
    elif edit == "chunk_size":
        _edit_manifest(d, chunk_size=1000)
    elif edit == "world hash":
        m = json.loads((d / "manifest.json").read_text())
        m["worlds"]["teaching"]["hash"] = "0" * 64
        (d / "manifest.json").write_text(json.dumps(m))
    else:
        other = tmp_path / "other"
        escalate.run([TEACHING], other, 2000, 11, chunk_size=500)
        shutil.copy(other / "manifest.json", d / "manifest.json")
    code, err = run_cli(capsys, "repair", d)
    assert code == 0, err
    assert "rebuilt the manifest from the parts" in err and "0 moved" in err
    assert {k: v for k, v in snapshot(d).items() if "part-" in k} == parts_before
    m = read_manifest(d)
    assert (m.seed, m.replicates, m.status) == (SEED, N, "complete")
    assert len(escalate.read_results(d)) == N


def test_17_an_interrupt_during_resume_verification_is_no_corrupt_part(
    d, monkeypatch, capsys
) -> None:
    _edit_manifest(d, status="interrupted")
    before = snapshot(d)

    def read(self, *args, **kwargs):
        raise Interrupted(signal.SIGTERM)

    monkeypatch.setattr(pq.ParquetFile, "read", read)
    code, err = run_cli(capsys, *run_args(d, "--resume"))
    assert code == 128 + signal.SIGTERM, err
    assert "corrupt" not in err and "interrupted" in err
    assert snapshot(d) == before  # nothing marked, moved or removed


def test_18_a_second_signal_while_stopping_follows_the_first(tmp_path) -> None:
    with _signals_raise():
        with pytest.raises(Interrupted):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C while stopping: absorbed
        time.sleep(0.1)
    # a whole run: the second signal lands in the cleanup after the first
    out = tmp_path / "out"
    real = escalate.runner.jobs._record_stop

    def record_stop(*args):
        os.kill(os.getpid(), signal.SIGINT)
        return real(*args)

    escalate.runner.jobs._record_stop = record_stop
    try:
        with pytest.raises(Interrupted), _raise_on_first_part():
            escalate.run([TEACHING], out, 4000, SEED, chunk_size=1000)
    finally:
        escalate.runner.jobs._record_stop = real
    assert read_manifest(out).status == "interrupted"
    assert not list(out.rglob(".*tmp-*"))


class _raise_on_first_part:  # noqa: N801 - a context manager named as what it does
    def __enter__(self):
        self.real = escalate.runner.jobs.record_progress

        def record(*args):
            self.real(*args)
            os.kill(os.getpid(), signal.SIGINT)

        escalate.runner.jobs.record_progress = record
        return self

    def __exit__(self, *exc):
        escalate.runner.jobs.record_progress = self.real
        return False


@pytest.mark.parametrize("when", ["after a part is recorded", "while a part is written"])
def test_19_a_directory_moved_mid_run_fails_and_is_not_recreated(
    tmp_path, monkeypatch, capsys, when
) -> None:
    """Moved between parts, or under a writer thread that had passed its check."""
    out, moved = tmp_path / "out", tmp_path / "moved"
    after = when.startswith("after")
    module = escalate.runner.jobs if after else escalate.runner.backends
    name = "record_progress" if after else "_write_one"
    real = getattr(module, name)

    def hook(where, *args):
        if after:
            real(where, *args)
        if not moved.exists() and (out / "manifest.json").exists():
            os.rename(out, moved)
        if not after:
            real(where, *args)  # FileNotFoundError: the directory is gone

    monkeypatch.setattr(module, name, hook)
    args = ["run", TEACHING, "-n", 20000, "-s", SEED, "-o", out, "--chunk-size", 1000, "-q"]
    code, err = run_cli(capsys, *args)
    assert code == 2 and "was moved" in one_line(err)
    assert not out.exists()
    assert read_manifest(moved).status == "running"


def test_20_a_full_disk_at_start_exits_3_naming_the_directory(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    real = os.ftruncate

    def ftruncate(fd, n):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "ftruncate", ftruncate)
    code, err = run_cli(capsys, *run_args(out))
    assert code == 3 and f"{out}" in one_line(err) and "No space left on device" in err
    assert not out.exists()  # no empty directory left behind
    monkeypatch.setattr(os, "ftruncate", real)


def test_20_an_output_error_names_the_file(d, monkeypatch, capsys) -> None:
    def write_text(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", write_text)
    table = d / "table.csv"
    code, err = run_cli(capsys, "compare", d, "--format", "csv", "-o", table)
    assert code == 3 and f"{table}: No space left on device" in one_line(err)


def test_21_a_reader_during_another_job_is_told_so(d, capsys) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(d)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout.readline() == b"held\n"
        (d / "manifest.json").unlink()  # as between the two renames of a swap
        with pytest.raises(ResultsError, match="another escalate job is writing") as e:
            escalate.read_results(d)
        assert e.value.hint is None and f"pid {holder.pid} on " in str(e.value)
        code, err = run_cli(capsys, "compare", d)
        assert code == 2 and "another escalate job is writing" in one_line(err)
        assert "repair" not in err
    finally:
        holder.communicate(b"\n", timeout=60)


HOLD = (
    "import sys\n"
    "from escalate.results.lock import lock_results\n"
    "with lock_results(sys.argv[1]):\n"
    "    print('held', flush=True)\n"
    "    sys.stdin.readline()\n"
)


def test_22_overwrite_removes_the_stale_variants_and_figures(d, capsys) -> None:
    (d / "variants.csv").write_text("structure,x\nold,1\n")
    (d / "figures").mkdir()
    (d / "figures" / "p_world_war.png").write_bytes(b"old")
    code, err = run_cli(capsys, *run_args(d, "--overwrite"))
    assert code == 0, err
    assert not (d / "variants.csv").exists() and not (d / "figures").exists()
    code, err = run_cli(capsys, "plot", d, "--formats", "png")
    assert code == 0, err


@pytest.mark.parametrize("flag", ["-r"])
def test_23_trace_refuses_numbers_that_would_wrap(flag, capsys) -> None:
    code, err = run_cli(capsys, "trace", TEACHING, "-s", 1, flag, 2**64)
    assert code == 2 and "2**64 - 1" in one_line(err)


def test_11_a_participants_part_with_more_rows_than_nations_allow_is_refused(d) -> None:
    from escalate.results.store import _write_parquet

    real = pq.read_table(d / P)
    keys = {
        k.decode(): v.decode()
        for k, v in pq.read_metadata(d / P).metadata.items()
        if k.startswith(b"escalate.") and k != b"escalate.bytes_sha256"
    }
    (d / P).unlink()
    _write_parquet(pa.concat_tables([real] * 3).cast(real.schema), d / P, keys)
    too_many = f"{3 * real.num_rows:,} rows, more than 7 nations x 5,000"
    with pytest.raises(ResultsError, match=too_many):
        participant_counts(d)
    report = escalate.repair(d)
    assert [why for _, why in report.quarantined] == [f"corrupt part ({too_many} replicates)"]


def test_18_a_second_ctrl_c_exits_130_like_the_first(tmp_path) -> None:
    """Two SIGINTs 0.15 s apart: one way out, exit 130, status interrupted, no temporaries."""
    out = tmp_path / "out"
    p = subprocess.Popen(
        [sys.executable, "-m", "escalate", "run", str(CONFIGS / "europe_1914.toml"),
         "-n", "400000", "-s", "1", "-o", str(out), "--chunk-size", "20000",
         "--participants", "-q"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(out.glob("cascades/structure=*/part-*.parquet")):
        assert p.poll() is None and time.monotonic() < deadline, p.communicate()
        time.sleep(0.02)
    time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    time.sleep(0.15)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert "Exception ignored" not in err and "Traceback" not in err
    assert read_manifest(out).status == "interrupted"
    assert not list(out.rglob("*.tmp-*"))
