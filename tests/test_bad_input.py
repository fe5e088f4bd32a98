"""Bad input on the command line: malformed worlds, bad arguments, bad output dirs.

Every case runs the real command (``python -m escalate``) and must exit with
code 2 (3 for a full disk), print exactly one line on stderr per problem naming
what is wrong and where, print no traceback, and leave an existing results
directory byte-identical. The malformed world files live in
``tests/bad_inputs/``; each says in ``# expect:`` comments what its messages
must contain, one comment per problem.
"""

from __future__ import annotations

import errno
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from helpers import cli, snapshot, warm_cache

import escalate
import escalate.results.store
from escalate import cli as escalate_cli
from escalate.model.entities import WorldError
from escalate.model.load import load_world
from escalate.results.store import read_manifest, scan_parts

HERE = Path(__file__).resolve().parent
BAD = sorted((HERE / "bad_inputs").glob("*.toml"))
CONFIGS = HERE.parent / "configs"
TEACHING = CONFIGS / "teaching.toml"
BASELINE = CONFIGS / "europe_1914_no_alliances.toml"


def expectations(path: Path) -> list[str]:
    """What the error lines of ``path`` must contain, one item per problem."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    found = re.findall(r"^# expect: (.+)$", text, re.MULTILINE)
    assert found, f"{path.name}: no '# expect:' line"
    return found


def assert_one_line_error(r: subprocess.CompletedProcess, code: int = 2) -> str:
    return assert_error_lines(r, 1, code)[0]


def assert_error_lines(r: subprocess.CompletedProcess, n: int, code: int = 2) -> list[str]:
    """The ``n`` lines of stderr, each an ``escalate...: error:`` line."""
    assert r.returncode == code, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.stderr.endswith("\n") and r.stderr.count("\n") == n, repr(r.stderr)
    lines = r.stderr.splitlines()
    assert all(line.startswith("escalate") and ": error: " in line for line in lines), lines
    assert r.stdout == ""
    return lines


def assert_expected(lines: list[str], path: Path) -> None:
    """Line i names ``path`` and holds the i-th expectation (the file's order)."""
    for line, expected in zip(lines, expectations(path), strict=True):
        assert str(path) in line  # the file ...
        assert expected in line  # ... the key path and the bad value


@pytest.fixture(scope="module")
def existing(tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    """A finished results directory (seed 1) and its bytes."""
    warm_cache()
    out = tmp_path_factory.mktemp("existing") / "results"
    escalate.run([TEACHING], out, 2000, 1, chunk_size=500, participants=True)
    return out, snapshot(out)


def test_the_corpus_is_large_enough() -> None:
    assert len(BAD) >= 30


# --------------------------------------------------------------------------- world files


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_malformed_world_file(path: Path, existing) -> None:
    out, before = existing
    # even with --overwrite, an invalid world must not touch the results there
    r = cli("run", TEACHING, path, "-n", 100, "-s", 1, "-o", out, "--overwrite")
    assert_expected(assert_error_lines(r, len(expectations(path))), path)
    assert snapshot(out) == before


@pytest.mark.parametrize("path", BAD[:3], ids=[p.stem for p in BAD[:3]])
def test_check_command_reports_the_same_error(path: Path) -> None:
    lines = assert_error_lines(cli("check", path), len(expectations(path)))
    assert_expected(lines, path)


#: (id, TOML text, what the error must contain). tomllib reports a construct left
#: open to the end of the file "at end of document"; the loader names its line.
UNCLOSED = [
    ("array", 'name = "x"\nids = ["A",\n  "B",\n', "the array opened at line 2, column 7"),
    ("array-no-newline", 'a = 1\nids = ["A"', "the array opened at line 2, column 7"),
    ("nested", "a = [\n  [1, 2],\n  [3,\n", "the array opened at line 3, column 3"),
    ("inline-table-in-array", "a = [\n  {x = 1},\n  {y = 2", "inline table opened at line 3"),
    ("multi-line-string", 'a = 1\nb = """one\ntwo\n', "multi-line string opened at line 2, col"),
    ("multi-line-literal", "a = 1\nb = '''one\ntwo\n", "multi-line string opened at line 2"),
    ("literal-string", "a = 'x'\nb = 'y\nc = 3\n", "the string opened at line 2, column 5"),
    ("basic-string-at-eof", 'a = 1\nb = "y', "the string opened at line 2, column 5"),
    ("table-header-at-eof", "a = 1\n[dynamics", "the table header opened at line 2, column 1"),
    # brackets and quotes inside comments and strings do not count
    ("comment", "a = [1, # ] not a close\n  2\n", "the array opened at line 1, column 5"),
    ("string", 'a = ["]", \'[\', "\\"]",\n', "the array opened at line 1, column 5"),
    ("quotes-ending-a-string", 'a = """x""""\n[t]\nb = [\n', "array opened at line 3, column 5"),
    ("headers-closed", "[[n]]\nid = 1\n[d]\nx = [\n", "the array opened at line 4, column 5"),
    # not at the end: tomllib names the line after the array; the hint names the array
    ("array-then-key", 'ids = ["A", "B"\nx = 1\n', "the array opened at line 1, column 7"),
]


@pytest.mark.parametrize("text, words", [c[1:] for c in UNCLOSED], ids=[c[0] for c in UNCLOSED])
def test_unclosed_constructs_are_located(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "w.toml"
    path.write_text(text)
    with pytest.raises(WorldError) as e:
        load_world(path)
    message = str(e.value)
    assert message.startswith(f"{path}: TOML syntax error: ") and "\n" not in message
    assert words in message and message.endswith("is never closed")


@pytest.mark.parametrize(
    "text",
    [
        "a = 1\nb =\n",  # a missing value at the end: no construct is open
        'a = "x\nb = [1,\n',  # tomllib names the line of the broken string itself
        "a = [1,\n 2,\n x]\n",  # an error inside an array that is closed later
    ],
)
def test_no_unclosed_hint_where_nothing_was_left_open(tmp_path: Path, text: str) -> None:
    path = tmp_path / "w.toml"
    path.write_text(text)
    with pytest.raises(WorldError, match="TOML syntax error") as e:
        load_world(path)
    assert "never closed" not in str(e.value)


# --------------------------------------------------------------------------- command lines


#: (id, arguments after "run", message fragment). In the arguments {world} and
#: {baseline} are bundled worlds, {out} the existing results (seed 1), {tmp} an
#: empty directory and {file} a regular file in it.
COMMAND_LINES = [
    ("replicates-zero", "{world} -n 0 -s 1 -o {out}", "--replicates/-n: must be positive, got 0"),
    ("replicates-negative", "{world} -n -5 -s 1 -o {out}", "must be positive, got -5"),
    ("replicates-float", "{world} -n 1.5 -s 1 -o {out}", "-n: not a whole number: '1.5'"),
    ("replicates-word", "{world} -n many -s 1 -o {out}", "not a whole number: 'many'"),
    ("replicates-empty", "{world} -n '' -s 1 -o {out}", "not a whole number: ''"),
    ("seed-negative", "{world} -n 10 -s -1 -o {out}", "--seed/-s: must be between 0 and 2**64"),
    ("seed-too-big", f"{{world}} -n 10 -s {2**64} -o {{out}}", "must be between 0 and 2**64 - 1"),
    ("threads-zero", "{world} -n 10 -s 1 -o {out} -t 0", "--threads/-t: must be positive"),
    ("threads-too-many", "{world} -n 10 -s 1 -o {out} -t 100000", "threads must be at most"),
    ("chunk-size-zero", "{world} -n 10 -s 1 -o {out} --chunk-size 0", "--chunk-size: must be"),
    ("dask-workers-zero", "{world} -n 10 -s 1 -o {out} --dask-local 0", "--dask-local: must be"),
    ("no-out", "{world} -n 10 -s 1", "the following arguments are required: --out/-o"),
    ("no-seed", "{world} -n 10 -o {out}", "required: --seed/-s"),
    ("no-world", "-n 10 -s 1 -o {out}", "required: WORLD"),
    (
        "unknown-option",
        "{world} -n 10 -s 1 -o {out} --replicas 5",
        "unknown option --replicas (did you mean --replicates?)",
    ),
    ("resume-overwrite", "{world} -n 10 -s 1 -o {out} --resume --overwrite", "not allowed with"),
    ("world-missing", "{tmp}/nowhere.toml -n 10 -s 1 -o {out}", "nowhere.toml: no such file"),
    ("world-is-a-directory", "{tmp} -n 10 -s 1 -o {out}", "is a directory, not a world file"),
    ("same-world-twice", "{world} {world} -n 10 -s 1 -o {out} --overwrite", "named 'teaching'"),
    ("out-is-a-file", "{world} -n 10 -s 1 -o {file}", "plain.txt: exists and is not a directory"),
    (
        "out-under-a-file",
        "{world} -n 10 -s 1 -o {file}/sub",
        "plain.txt/sub: cannot write there (Not a directory)",
    ),
    (
        "out-in-proc",
        "{world} -n 10 -s 1 -o /proc/escalate-test/out",
        "/proc/escalate-test/out: cannot write there",
    ),
    (
        "out-holds-results",
        "{world} -n 2000 -s 1 -o {out} --participants",
        "already holds results; use --resume to continue that run or --overwrite",
    ),
    (
        "out-holds-another-job",
        "{world} -n 2000 -s 2 -o {out}",
        "already holds another job: different seed (1 there, 2 now); use a new --out, or "
        "--overwrite",
    ),
    (
        "resume-other-seed",
        "{world} -n 2000 -s 2 -o {out} --participants --resume",
        "different seed (1 there, 2 now)",
    ),
    (
        "resume-other-world",
        "{baseline} -n 2000 -s 1 -o {out} --participants --resume",
        "different worlds (europe_1914_no_alliances, teaching)",
    ),
    (
        "resume-more-replicates",
        "{world} -n 3000 -s 1 -o {out} --participants --resume",
        "different replicates (2000 there, 3000 now)",
    ),
]


@pytest.mark.parametrize(
    "line, words", [c[1:] for c in COMMAND_LINES], ids=[c[0] for c in COMMAND_LINES]
)
def test_bad_command_line(tmp_path: Path, existing, line: str, words: str) -> None:
    out, before = existing
    plain = tmp_path / "plain.txt"
    plain.write_text("not a directory\n")
    places = {"world": TEACHING, "baseline": BASELINE, "out": out, "tmp": tmp_path, "file": plain}
    args = shlex.split(line.format(**{k: shlex.quote(str(v)) for k, v in places.items()}))
    err = assert_one_line_error(cli("run", *args))
    assert words in err
    assert snapshot(out) == before
    assert plain.read_text() == "not a directory\n"


def test_unknown_command() -> None:
    assert "invalid choice: 'fly'" in assert_one_line_error(cli("fly", "--high"))


# --------------------------------------------------------------------------- full disk


def test_full_disk_keeps_earlier_parts(tmp_path: Path, monkeypatch, capsys) -> None:
    """ENOSPC from the Parquet writer (simulated) -> exit 3, earlier parts kept."""
    out = tmp_path / "out"
    real = escalate.results.store._write_parquet
    calls = {"n": 0}

    def write_parquet(table, where, metadata):
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(where))
        return real(table, where, metadata)

    monkeypatch.setattr(escalate.results.store, "_write_parquet", write_parquet)
    args = ["run", str(TEACHING), "-n", "5000", "-s", "3", "-o", str(out), "--chunk-size", "1000"]
    assert escalate_cli.main(args) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err and "--resume" in err
    kept = sorted(p.name for p in out.rglob("*") if p.is_file())
    assert kept == [
        "manifest.json",
        "part-000000000000.parquet",
        "part-000000001000.parquet",
        "part-000000002000.parquet",
    ]  # no temporary left behind
    m = read_manifest(out)
    assert m.status == "failed" and m.done == {"teaching": [[0, 3000]]}
    assert "No space left on device" in m.error
    assert scan_parts(out, m) == {"teaching": {0, 1000, 2000}}

    monkeypatch.setattr(escalate.results.store, "_write_parquet", real)  # space freed: resume
    assert escalate_cli.main([*args, "--resume", "--quiet"]) == 0
    fresh = tmp_path / "fresh"
    escalate.run([TEACHING], fresh, 5000, 3, chunk_size=1000)
    assert escalate.read_results(out).equals(escalate.read_results(fresh))


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A 160 KiB tmpfs (needs root and mount rights, else the test is skipped)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(mnt)],
        capture_output=True,
        timeout=10,
    )
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=10)


def test_really_full_disk(tiny_disk: Path) -> None:
    existing = tiny_disk / "existing"
    escalate.run([TEACHING], existing, 1000, 1)
    before = snapshot(existing)
    out = tiny_disk / "out"
    r = cli("run", TEACHING, "-n", 200_000, "-s", 1, "-o", out, "--chunk-size", 2000)
    err = assert_one_line_error(r, code=3)
    assert "No space left on device" in err and "--resume" in err
    m = read_manifest(out)
    present = scan_parts(out, m)["teaching"]  # every part left is whole and ours
    assert present and len(present) < 100
    assert not [p for p in out.rglob(".*") if p.is_file()]  # no temporaries
    assert snapshot(existing) == before  # results already on the disk are intact
