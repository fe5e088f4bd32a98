"""Atomic parts, the manifest, --resume/--overwrite, and interrupts of a real run.

An interrupted run (SIGINT, SIGTERM or SIGKILL) keeps its finished parts;
``--resume`` completes it, and the result is byte for byte the parts of an
uninterrupted run. A directory holding another job is refused and left as it was.
"""

from __future__ import annotations

import json
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import cli, snapshot, warm_cache

import escalate
from escalate.results.store import ResultsError, part_path, read_manifest

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TEACHING = CONFIGS / "teaching.toml"
EUROPE = CONFIGS / "europe_1914.toml"
BASELINE = CONFIGS / "europe_1914_no_alliances.toml"
SEED = 1914
N = 5000
CHUNK = 1000
#: The interrupted command-line runs: enough parts to be caught mid-run.
BIG_N = 2_000_000
BIG_CHUNK = 10_000


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    warm_cache()


def parts(root: Path) -> dict[str, bytes]:
    """The finished part files under ``root`` with their bytes."""
    return {k: v for k, v in snapshot(root).items() if Path(k).name.startswith("part-")}


def temporaries(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*") if p.is_file()]


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> Path:
    """An uninterrupted run of two worlds with participants."""
    out = tmp_path_factory.mktemp("full") / "out"
    escalate.run([TEACHING, BASELINE], out, N, SEED, chunk_size=CHUNK, participants=True)
    return out


def copy_run(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def interrupt(out: Path, keep: dict[str, int]) -> None:
    """Make ``out`` look like a run killed mid-way: per structure keep the first parts
    (participants one part further, as they are written first), leave temporaries
    and the manifest of a running job."""
    for name, n in keep.items():
        for table, k in (("cascades", n), ("participants", n + 1)):
            files = sorted((out / table / f"structure={name}").glob("part-*.parquet"))
            for f in files[k:]:
                f.unlink()
        half = part_path(out, "cascades", name, n * CHUNK)
        half.with_name(f".{half.name}.tmp-4242-1").write_bytes(b"PAR1 half a file")
    (out / ".manifest.json.tmp-4242-1").write_text("{")
    m = json.loads((out / "manifest.json").read_text())
    m["status"] = "running"
    m["done"] = {}
    (out / "manifest.json").write_text(json.dumps(m))


# --------------------------------------------------------------------------- resume


def test_resume_gives_the_same_bytes_as_an_uninterrupted_run(tmp_path, full) -> None:
    out = copy_run(full, tmp_path / "out")
    interrupt(out, {"teaching": 2, "europe_1914_no_alliances": 0})
    assert temporaries(out)
    summary = escalate.run(
        [TEACHING, BASELINE], out, N, SEED, chunk_size=CHUNK, participants=True, resume=True
    )
    assert summary.parts_skipped == 2 and summary.parts_written == 8
    assert summary.rows == 8 * CHUNK
    assert parts(out) == parts(full)
    assert not temporaries(out)  # cleaned on resume
    m = read_manifest(out)
    assert m.status == "complete"
    assert m.done == {"teaching": [[0, N]], "europe_1914_no_alliances": [[0, N]]}
    for p in (False, True):
        pd.testing.assert_frame_equal(
            escalate.read_results(out, participants=p), escalate.read_results(full, participants=p)
        )


def test_resume_takes_the_chunk_size_of_the_run(tmp_path, full) -> None:
    out = copy_run(full, tmp_path / "out")
    interrupt(out, {"teaching": 3, "europe_1914_no_alliances": 1})
    r = cli("run", TEACHING, BASELINE, "-n", N, "-s", SEED, "-o", out, "--participants", "--resume")
    assert r.returncode == 0, r.stderr
    assert "4 parts already done" in r.stderr
    assert parts(out) == parts(full)


def test_resume_of_a_complete_run_changes_nothing(tmp_path, full) -> None:
    out = copy_run(full, tmp_path / "out")
    before = parts(out)
    r = cli(
        "run",
        TEACHING,
        BASELINE,
        "-n",
        N,
        "-s",
        SEED,
        "-o",
        out,
        "--participants",
        "--resume",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["rows"] == 0 and summary["parts_skipped"] == 10
    assert parts(out) == before


def test_resume_in_a_new_directory_starts_the_run(tmp_path) -> None:
    out = tmp_path / "new"
    escalate.run([TEACHING], out, 2000, SEED, resume=True)
    assert read_manifest(out).status == "complete"
    assert len(escalate.read_results(out)) == 2000


def test_readers_ignore_temporary_files(tmp_path, full) -> None:
    out = copy_run(full, tmp_path / "out")
    for name in ("teaching", "europe_1914_no_alliances"):
        p = part_path(out, "cascades", name, 0)
        p.with_name(f".{p.name}.tmp-1-1").write_bytes(b"not parquet at all")
    assert len(pd.read_parquet(out / "cascades")) == 2 * N
    pd.testing.assert_frame_equal(escalate.read_results(out), escalate.read_results(full))


# --------------------------------------------------------------------------- refusals


REFUSALS = [
    # (extra command-line arguments, expected words in the message)
    ([], "already holds results; use --resume"),
    (["--resume", "-s", SEED + 1], "different seed (1914 there, 1915 now)"),
    (["--resume", "-n", 2 * N], "different replicates"),
    (["--resume", "--chunk-size", 500], "different chunk-size"),
    (["--resume", "--no-participants"], "different participants"),
    (["--resume", "--other-worlds"], "different worlds (europe_1914, europe_1914_no_alliances)"),
    (["--resume", "--changed-world"], "different worlds (teaching)"),
]


REFUSAL_IDS = ["no-flag", "seed", "replicates", "chunk-size", "participants", "worlds", "edited"]


@pytest.mark.parametrize("extra, words", REFUSALS, ids=REFUSAL_IDS)
def test_refuses_another_job_and_keeps_the_directory(tmp_path, full, extra, words) -> None:
    out = copy_run(full, tmp_path / "out")
    (out / "notes.txt").write_text("mine")
    before = snapshot(out)
    worlds: list[Path] = [TEACHING, BASELINE]
    participants = ["--participants"]
    extra = list(extra)
    if "--no-participants" in extra:
        extra.remove("--no-participants")
        participants = []
    if "--other-worlds" in extra:
        extra.remove("--other-worlds")
        worlds = [TEACHING, EUROPE]
    if "--changed-world" in extra:
        extra.remove("--changed-world")
        changed = tmp_path / "teaching.toml"
        changed.write_text(TEACHING.read_text().replace("deterrence = 0.3", "deterrence = 0.31"))
        worlds = [changed, BASELINE]
    base = {"-n": N, "-s": SEED}
    for flag in ("-n", "-s"):
        if flag in extra:
            i = extra.index(flag)
            base[flag] = extra[i + 1]
            del extra[i : i + 2]
    r = cli("run", *worlds, "-n", base["-n"], "-s", base["-s"], "-o", out, *participants, *extra)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert words in r.stderr
    assert "--overwrite" in r.stderr
    assert snapshot(out) == before


def test_refuses_to_resume_over_a_foreign_part(tmp_path, full) -> None:
    other = tmp_path / "other"
    escalate.run([TEACHING, BASELINE], other, N, SEED + 1, chunk_size=CHUNK, participants=True)
    out = copy_run(full, tmp_path / "out")
    interrupt(out, {"teaching": 2, "europe_1914_no_alliances": 2})
    shutil.copy(
        part_path(other, "cascades", "teaching", CHUNK),
        part_path(out, "cascades", "teaching", CHUNK),
    )
    before = snapshot(out)
    with pytest.raises(ResultsError, match=r"cannot resume: .*part-000000001000.parquet: foreign"):
        escalate.run(
            [TEACHING, BASELINE], out, N, SEED, chunk_size=CHUNK, participants=True, resume=True
        )
    assert snapshot(out) == before


def test_refuses_to_resume_a_directory_without_manifest(tmp_path, full) -> None:
    out = copy_run(full, tmp_path / "out")
    (out / "manifest.json").unlink()
    before = snapshot(out)
    r = cli("run", TEACHING, BASELINE, "-n", N, "-s", SEED, "-o", out, "--participants", "--resume")
    assert r.returncode == 2
    assert "cannot resume" in r.stderr and "manifest.json" in r.stderr
    assert snapshot(out) == before


def test_overwrite_replaces_results_and_keeps_other_files(tmp_path, full) -> None:
    out = copy_run(full, tmp_path / "out")
    (out / "notes.txt").write_text("mine")
    r = cli("run", TEACHING, "-n", 2000, "-s", 7, "-o", out, "--overwrite", "--quiet")
    assert r.returncode == 0, r.stderr
    assert (out / "notes.txt").read_text() == "mine"
    assert not (out / "participants").exists()
    m = read_manifest(out)
    assert m.seed == 7 and list(m.worlds) == ["teaching"] and m.status == "complete"
    df = escalate.read_results(out)
    assert len(df) == 2000 and set(df["structure"]) == {"teaching"}


def test_resume_and_overwrite_exclude_each_other(tmp_path, full) -> None:
    out = copy_run(full, tmp_path / "out")
    before = snapshot(out)
    r = cli("run", TEACHING, "-n", N, "-s", SEED, "-o", out, "--resume", "--overwrite")
    assert r.returncode == 2 and "not allowed with argument" in r.stderr
    with pytest.raises(ValueError, match="exclude each other"):
        escalate.run([TEACHING], out, N, SEED, resume=True, overwrite=True)
    assert snapshot(out) == before


# --------------------------------------------------------------------------- interrupts


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("uninterrupted") / "out"
    escalate.run([EUROPE], out, BIG_N, SEED, chunk_size=BIG_CHUNK)
    return out


def start_big_run(out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "escalate", "run", str(EUROPE), "-n", str(BIG_N), "-s", str(SEED),
         "-o", str(out), "--chunk-size", str(BIG_CHUNK)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def wait_for_parts(proc: subprocess.Popen, out: Path, n: int = 1, timeout: float = 60) -> None:
    folder = out / "cascades" / "structure=europe_1914"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if folder.is_dir() and len(list(folder.glob("part-*.parquet"))) >= n:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    proc.kill()
    pytest.fail("no part was written in time")


def resume_command(stderr: str) -> list[str]:
    """The command the interrupted run says to resume with, ready to run here."""
    line = next(x for x in stderr.splitlines() if "Resume with: " in x)
    words = shlex.split(line.split("Resume with: ", 1)[1])
    assert words[0] == "escalate" and words[-1] == "--resume"
    return [sys.executable, "-m", "escalate", *words[1:]]


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_keeps_parts_and_resume_completes(tmp_path, uninterrupted, sig, code) -> None:
    out = tmp_path / "out"
    proc = start_big_run(out)
    wait_for_parts(proc, out)
    t = time.monotonic()
    proc.send_signal(sig)
    try:
        _, stderr = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    stopped = time.monotonic() - t
    assert proc.returncode == code, stderr
    assert stopped < 10, f"took {stopped:.1f} s to stop"
    assert "Traceback" not in stderr
    assert "interrupted" in stderr and "--resume" in stderr
    kept = parts(out)
    assert 1 <= len(kept) < BIG_N // BIG_CHUNK  # stopped mid-run, finished parts kept
    assert all(kept[k] == parts(uninterrupted)[k] for k in kept)
    assert not temporaries(out)  # the part being written was finished or removed
    m = read_manifest(out)
    assert m.status == "interrupted"
    assert sum(e - s for s, e in m.done["europe_1914"]) == len(kept) * BIG_CHUNK
    with pytest.raises(ResultsError, match=r"incomplete") as e:
        escalate.read_results(out)
    assert e.value.hint == "resume" and "--" not in str(e.value)  # API words, no flags

    r = subprocess.run(resume_command(stderr), capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stderr
    assert f"{len(kept)} parts already done" in r.stderr
    assert parts(out) == parts(uninterrupted)
    assert read_manifest(out).status == "complete"


def test_kill_9_then_resume_is_exact(tmp_path, uninterrupted) -> None:
    out = tmp_path / "out"
    proc = start_big_run(out)
    wait_for_parts(proc, out, n=3)
    for _ in range(5):  # readers during the run see whole parts only
        assert len(pd.read_parquet(out / "cascades")) % BIG_CHUNK == 0
    proc.kill()
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    kept = parts(out)
    assert len(kept) < BIG_N // BIG_CHUNK
    assert read_manifest(out).status == "running"
    # what a reader sees meanwhile: whole parts only
    assert len(pd.read_parquet(out / "cascades")) % BIG_CHUNK == 0
    r = cli("run", EUROPE, "-n", BIG_N, "-s", SEED, "-o", out, "--resume", "--quiet")
    assert r.returncode == 0, r.stderr
    assert parts(out) == parts(uninterrupted)
    assert not temporaries(out)
    a, b = escalate.read_results(out), escalate.read_results(uninterrupted)
    assert list(a.columns) == list(b.columns) and (a.dtypes == b.dtypes).all()
    assert a.equals(b)  # (assert_frame_equal is slow on millions of categoricals)
