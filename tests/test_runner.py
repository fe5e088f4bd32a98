"""The simulate/run API: columns and dtypes, layout, metadata, invariance, progress.

Rows depend only on (world, seed, replicate): not on threads, chunk size, the
backend or the other worlds in the run. Subprocess tests run the real command
line (``python -m escalate``) with a time limit.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import numba
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from helpers import CASCADE_COLUMNS, PARTICIPANT_COLUMNS, cli, warm_cache

import escalate
from escalate.model.load import load_world, world_from_dict
from escalate.results.store import read_manifest
from escalate.runner import RunSummary

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TEACHING = CONFIGS / "teaching.toml"
EUROPE = CONFIGS / "europe_1914.toml"
BASELINE = CONFIGS / "europe_1914_no_alliances.toml"

INTEGER_COLUMNS = [
    "belligerents",
    "side_a",
    "side_d",
    "majors",
    "rounds",
    "broken_promises",
    "sanctions",
    "diplomacy",
]
VIA = {"initial", "defense", "offense", "entente", "plan", "organization"}
METADATA_KEYS = {
    "escalate.world_name",
    "escalate.world_hash",
    "escalate.seed",
    "escalate.replicate_start",
    "escalate.replicate_stop",
    "escalate.version",
    "escalate.numba_version",
}
SEED = 20240628
N = 3000


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    warm_cache()


@pytest.fixture(scope="module")
def teaching() -> tuple[pd.DataFrame, pd.DataFrame]:
    return escalate.simulate(TEACHING, N, SEED, participants=True)


def rows(df: pd.DataFrame, structure: str | None = None) -> pd.DataFrame:
    """The rows of one structure with plain (non-categorical) columns, index 0..n-1."""
    if structure is not None:
        df = df[df["structure"] == structure]
    df = df.drop(columns="structure").reset_index(drop=True)
    for c in df.columns:
        dtype = df[c].dtype
        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype):
            df[c] = df[c].astype(object)
    return df


def assert_same_rows(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(rows(a), rows(b), check_exact=True)


# --------------------------------------------------------------------------- simulate


def test_simulate_columns_and_dtypes(teaching) -> None:
    df, _ = teaching
    assert list(df.columns) == ["structure", *CASCADE_COLUMNS]
    assert len(df) == N
    assert isinstance(df["structure"].dtype, pd.CategoricalDtype)
    assert list(df["structure"].cat.categories) == ["teaching"]
    assert df["replicate"].dtype == np.int64
    assert (df["replicate"].to_numpy() == np.arange(N)).all()
    for c in ("deterred", "vetoed", "world_war"):
        assert df[c].dtype == bool, c
    for c in INTEGER_COLUMNS:
        assert pd.api.types.is_integer_dtype(df[c].dtype), c
    assert df["power_share"].dtype == np.float64
    for c in ("initiator", "target", "winner"):  # categoricals, as read_results gives them
        assert isinstance(df[c].dtype, pd.CategoricalDtype), c
    assert list(df["winner"].cat.categories) == ["A", "D"]
    assert list(df["initiator"].cat.categories) == list(load_world(TEACHING).ids)  # file order
    ids = set(load_world(TEACHING).ids)
    assert set(df["initiator"]) <= ids and set(df["target"]) <= ids
    assert (df["initiator"] != df["target"]).all()
    # winner is null exactly when deterred, else A or D
    assert df["winner"].isna().equals(df["deterred"])
    assert set(df["winner"].dropna()) <= {"A", "D"}
    assert (df["belligerents"] == df["side_a"] + df["side_d"]).all()
    assert df["power_share"].between(0.0, 1.0 + 1e-12).all()
    assert df["deterred"].any() and df["world_war"].any()  # the teaching world shows both


def test_simulate_start_gives_the_same_replicates(teaching) -> None:
    df, _ = teaching
    tail = escalate.simulate(TEACHING, N - 1000, SEED, start=1000)
    assert_same_rows(tail, df.iloc[1000:])


def test_simulate_is_reproducible_and_seed_dependent(teaching) -> None:
    df, _ = teaching
    assert_same_rows(escalate.simulate(TEACHING, N, SEED), df)
    other = escalate.simulate(TEACHING, N, SEED + 1)
    assert not rows(other).equals(rows(df))


def test_participants_consistent_with_cascades(teaching) -> None:
    df, p = teaching
    assert list(p.columns) == ["structure", *PARTICIPANT_COLUMNS]
    assert p["replicate"].dtype == np.int64
    assert pd.api.types.is_integer_dtype(p["round"].dtype)
    for c in ("nation", "side", "via", "source"):
        assert isinstance(p[c].dtype, pd.CategoricalDtype), c
    assert set(p["via"]) <= VIA and set(p["side"]) <= {"A", "D"}
    casc = df.set_index("replicate")
    # one row per belligerent, sides as counted
    count = p.groupby("replicate").size().reindex(casc.index, fill_value=0)
    assert (count == casc["belligerents"]).all()
    for side, col in (("A", "side_a"), ("D", "side_d")):
        n = p[p["side"] == side].groupby("replicate").size().reindex(casc.index, fill_value=0)
        assert (n == casc[col]).all(), side
    # a nation enters once per replicate
    assert not p.duplicated(["replicate", "nation"]).any()
    # round 0, via initial: exactly the initiator (side A) and the target (side D)
    init = p[p["via"] == "initial"].set_index(["replicate", "side"])["nation"]
    fought = casc[~casc["deterred"]]
    assert (p.loc[p["via"] == "initial", "round"] == 0).all()
    assert len(init) == 2 * len(fought)
    for side, col in (("A", "initiator"), ("D", "target")):
        got = init.xs(side, level="side").reindex(fought.index).astype(object)
        assert (got == fought[col].astype(object)).all(), side
    # deterred replicates have no participants
    assert not p["replicate"].isin(casc.index[casc["deterred"]]).any()
    # sources: null for the initial pair, named otherwise
    assert p.loc[p["via"] == "initial", "source"].isna().all()
    assert p.loc[p["via"] != "initial", "source"].notna().all()


def test_simulate_bad_arguments() -> None:
    with pytest.raises(ValueError, match="replicates"):
        escalate.simulate(TEACHING, 0, 1)
    with pytest.raises(ValueError, match="seed"):
        escalate.simulate(TEACHING, 10, -1)
    with pytest.raises(ValueError, match="threads"):
        escalate.simulate(TEACHING, 10, 1, threads=numba.config.NUMBA_NUM_THREADS + 1)
    with pytest.raises(escalate.WorldError, match="no such file"):
        escalate.simulate(CONFIGS / "missing.toml", 10, 1)


# --------------------------------------------------------------------------- run


def test_run_layout_metadata_and_manifest(tmp_path: Path, teaching) -> None:
    out = tmp_path / "out"
    summary = escalate.run([TEACHING, BASELINE], out, N, SEED, chunk_size=1000, participants=True)
    assert isinstance(summary, RunSummary)
    assert summary.rows == 2 * N and summary.parts_written == 6 and summary.parts_skipped == 0
    assert summary.structures == ["teaching", "europe_1914_no_alliances"]
    worlds = {w.name: w for w in map(load_world, (TEACHING, BASELINE))}
    for table in ("cascades", "participants"):
        for name, w in worlds.items():
            files = sorted((out / table / f"structure={name}").iterdir())
            assert [f.name for f in files] == [f"part-{s:012d}.parquet" for s in (0, 1000, 2000)], (
                table,
                name,
            )
            for f, start in zip(files, (0, 1000, 2000), strict=True):
                md = {k.decode(): v.decode() for k, v in pq.read_metadata(f).metadata.items()}
                assert set(md) >= METADATA_KEYS, f
                assert md["escalate.world_name"] == name
                assert md["escalate.world_hash"] == w.canonical_hash()
                assert md["escalate.seed"] == str(SEED)
                assert md["escalate.replicate_start"] == str(start)
                assert md["escalate.replicate_stop"] == str(start + 1000)
                assert md["escalate.version"] == escalate.__version__
                assert md["escalate.numba_version"] == numba.__version__
                assert world_from_dict(json.loads(md["escalate.world"])).canonical_hash() == (
                    w.canonical_hash()
                )
    m = read_manifest(out)
    assert m.status == "complete" and m.seed == SEED and m.replicates == N
    assert {k: v["hash"] for k, v in m.worlds.items()} == {
        k: w.canonical_hash() for k, w in worlds.items()
    }
    assert m.done == {name: [[0, N]] for name in worlds}
    assert m.escalate_version == escalate.__version__ and m.numba_version == numba.__version__
    assert not list(out.rglob(".*"))  # no temporaries left

    # plain pandas reads the dataset with its structure partition
    plain = pd.read_parquet(out / "cascades")
    assert len(plain) == 2 * N
    assert set(plain["structure"].astype(str)) == set(worlds)
    assert set(CASCADE_COLUMNS) <= set(plain.columns)

    df = escalate.read_results(out)
    casc, part = teaching
    assert_same_rows(df[df["structure"] == "teaching"], casc)
    p = escalate.read_results(out, participants=True)
    assert_same_rows(p[p["structure"] == "teaching"], part)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("reference") / "out"
    escalate.run([TEACHING, EUROPE], out, N, SEED)
    return escalate.read_results(out)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threads": 1},
        {"threads": 2, "chunk_size": 777},
        {"chunk_size": 1},
        {"chunk_size": N},
    ],
    ids=["threads1", "threads2-chunk777", "chunk1", "one-part"],
)
def test_rows_do_not_depend_on_threads_or_chunks(tmp_path, reference, kwargs) -> None:
    if kwargs.get("threads", 1) > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("needs two threads")
    n = 20 if kwargs.get("chunk_size") == 1 else N
    escalate.run([TEACHING, EUROPE], tmp_path / "o", n, SEED, **kwargs)
    df = escalate.read_results(tmp_path / "o")
    for name in ("teaching", "europe_1914"):
        assert_same_rows(
            df[df["structure"] == name], reference[reference["structure"] == name].head(n)
        )


def test_rows_do_not_depend_on_other_worlds_in_the_run(tmp_path, reference) -> None:
    escalate.run([EUROPE], tmp_path / "alone", N, SEED, chunk_size=1024)
    escalate.run([BASELINE, EUROPE, TEACHING], tmp_path / "three", N, SEED)
    alone = escalate.read_results(tmp_path / "alone")
    three = escalate.read_results(tmp_path / "three")
    want = reference[reference["structure"] == "europe_1914"]
    assert_same_rows(alone, want)
    assert_same_rows(three[three["structure"] == "europe_1914"], want)
    assert list(three["structure"].cat.categories) == [
        "europe_1914_no_alliances",
        "europe_1914",
        "teaching",
    ]


def test_dask_backend_gives_identical_rows(tmp_path, reference) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        for sub in ("a", "b"):  # twice on one client: task keys must not collide
            summary = escalate.run(
                [TEACHING, EUROPE],
                tmp_path / sub,
                N,
                SEED,
                chunk_size=1000,
                backend="dask",
                client=client,
                participants=True,
            )
            assert summary.backend == "dask" and summary.rows == 2 * N
    for sub in ("a", "b"):
        df = escalate.read_results(tmp_path / sub)
        for name in ("teaching", "europe_1914"):
            assert_same_rows(df[df["structure"] == name], reference[reference["structure"] == name])
        m = read_manifest(tmp_path / sub)
        assert m.status == "complete" and m.done == {"teaching": [[0, N]], "europe_1914": [[0, N]]}
    local = tmp_path / "local"
    escalate.run([TEACHING], local, N, SEED, chunk_size=1000, participants=True)
    assert_same_rows(
        escalate.read_results(local, participants=True),
        escalate.read_results(tmp_path / "a", participants=True, structures=["teaching"]),
    )


def test_run_argument_errors(tmp_path) -> None:
    out = tmp_path / "o"
    with pytest.raises(ValueError, match="no worlds"):
        escalate.run([], out, 10, 1)
    with pytest.raises(ValueError, match="chunk_size"):
        escalate.run([TEACHING], out, 10, 1, chunk_size=0)
    with pytest.raises(ValueError, match="named 'teaching'"):
        escalate.run([TEACHING, TEACHING], out, 10, 1)
    with pytest.raises(ValueError, match="backend"):
        escalate.run([TEACHING], out, 10, 1, backend="spark")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="client"):
        escalate.run([TEACHING], out, 10, 1, backend="dask")
    assert not out.exists()


# --------------------------------------------------------------------------- progress


def test_progress_bar_in_process(tmp_path, capsys) -> None:
    escalate.run([TEACHING], tmp_path / "a", N, SEED, progress=True)
    err = capsys.readouterr().err
    assert "100%" in err and "cascade/s" in err
    escalate.run([TEACHING], tmp_path / "b", N, SEED, progress=False)
    assert capsys.readouterr().err == ""


def _run_on_tty(args: list[str], timeout: float = 60) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal; returns (code, stdout, terminal text)."""
    master, slave = pty.openpty()
    # a real terminal has a size; tqdm sizes its bar from it
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "escalate", *args],
        stdout=subprocess.PIPE,
        stderr=slave,
        stdin=subprocess.DEVNULL,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    stdout, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    return proc.returncode, stdout.decode(), b"".join(chunks).decode(errors="replace")


def test_cli_progress_only_on_a_terminal(tmp_path) -> None:
    args = [str(EUROPE), "-n", "200000", "-s", "1", "--chunk-size", "50000"]
    code, out, term = _run_on_tty(["run", *args, "-o", str(tmp_path / "tty")])
    assert code == 0, term
    assert "cascade/s" in term and "100%" in term  # the bar: rate and ETA/elapsed
    assert term.rstrip().splitlines()[-1].startswith("wrote 200,000 cascades")

    r = cli("run", *args, "-o", tmp_path / "pipe")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr  # no bar: only the summary line
    assert lines[0].startswith("wrote 200,000 cascades of 1 structure(s) in ")
    assert "cascades/s" in lines[0] and str(tmp_path / "pipe") in lines[0]

    code, out, term = _run_on_tty(["run", *args, "-o", str(tmp_path / "quiet"), "--quiet"])
    assert code == 0 and out == "" and term.strip() == ""


def test_cli_json_summary(tmp_path) -> None:
    r = cli("run", TEACHING, BASELINE, "-n", "2000", "-s", "7", "-o", tmp_path / "j", "--json")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    summary = json.loads(r.stdout)
    assert summary["rows"] == 4000 and summary["replicates"] == 2000
    assert summary["out"] == str(tmp_path / "j")
    assert summary["structures"] == ["teaching", "europe_1914_no_alliances"]
    assert summary["seconds"] > 0 and summary["cascades_per_second"] > 0
    assert summary["backend"] == "local" and summary["parts_skipped"] == 0
    df = escalate.read_results(tmp_path / "j")
    assert len(df) == 4000
    assert_same_rows(df[df["structure"] == "teaching"], escalate.simulate(TEACHING, 2000, 7))
