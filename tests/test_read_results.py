"""Reading a results directory back: checks of the manifest and of every part.

``read_results`` refuses a dataset with missing, foreign, unknown or unreadable
parts with a :class:`ResultsError` naming the file and what is wrong, and
returns categorical ``structure``, ``initiator`` and ``target`` columns.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import escalate
from escalate.results.store import ResultsError, part_path

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TEACHING = CONFIGS / "teaching.toml"
BASELINE = CONFIGS / "europe_1914_no_alliances.toml"
SEED = 7
N = 3000
CHUNK = 1000
NAMES = ["teaching", "europe_1914_no_alliances"]


@pytest.fixture(scope="module")
def done(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("done") / "out"
    escalate.run([TEACHING, BASELINE], out, N, SEED, chunk_size=CHUNK, participants=True)
    return out


@pytest.fixture(scope="module")
def other_seed(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("other") / "out"
    escalate.run([TEACHING, BASELINE], out, N, SEED + 1, chunk_size=CHUNK, participants=True)
    return out


@pytest.fixture
def out(tmp_path, done) -> Path:
    return Path(shutil.copytree(done, tmp_path / "out"))


def test_categorical_columns_and_values(done) -> None:
    df = escalate.read_results(done)
    assert len(df) == 2 * N
    for col in ("structure", "initiator", "target"):
        assert isinstance(df[col].dtype, pd.CategoricalDtype), col
    assert list(df["structure"].cat.categories) == NAMES  # the run's order
    assert (df["structure"].value_counts() == N).all()
    teaching = df[df["structure"] == "teaching"]
    assert (teaching["replicate"].to_numpy() == np.arange(N)).all()
    want = escalate.simulate(TEACHING, N, SEED)
    for col in ("initiator", "target"):
        assert (teaching[col].astype(str).to_numpy() == want[col].astype(str).to_numpy()).all()
    pd.testing.assert_frame_equal(
        teaching.drop(columns=["structure", "initiator", "target"]).reset_index(drop=True),
        want.drop(columns=["structure", "initiator", "target"]),
    )
    p = escalate.read_results(done, participants=True)
    assert isinstance(p["nation"].dtype, pd.CategoricalDtype)
    assert isinstance(p["structure"].dtype, pd.CategoricalDtype)
    assert p.groupby("structure", observed=True).size().to_dict() == (
        df.groupby("structure", observed=True)["belligerents"].sum().to_dict()
    )


def test_selecting_structures_and_columns(done) -> None:
    df = escalate.read_results(done, structures=["europe_1914_no_alliances"], columns=["world_war"])
    assert list(df.columns) == ["structure", "world_war"]
    assert len(df) == N and list(df["structure"].cat.categories) == [NAMES[1]]
    df = escalate.read_results(done, columns=["structure", "initiator"])
    assert list(df.columns) == ["structure", "initiator"]
    assert isinstance(df["initiator"].dtype, pd.CategoricalDtype)
    with pytest.raises(ResultsError, match=r"no structure named 'nope'.*have: teaching"):
        escalate.read_results(done, structures=["nope"])


def test_missing_part(out) -> None:
    part_path(out, "cascades", "teaching", CHUNK).unlink()
    with pytest.raises(ResultsError) as e:
        escalate.read_results(out)
    msg = str(e.value)
    assert "structure=teaching" in msg and "1 of 3 parts missing" in msg
    assert "part-000000001000.parquet" in msg and e.value.hint == "resume"
    escalate.read_results(out, participants=True)  # the other table is whole


def test_missing_participants_part(out) -> None:
    part_path(out, "participants", NAMES[1], 2 * CHUNK).unlink()
    with pytest.raises(ResultsError, match=r"participants.*1 of 3 parts missing"):
        escalate.read_results(out, participants=True)
    assert len(escalate.read_results(out)) == 2 * N


def test_foreign_part_of_another_seed(out, other_seed) -> None:
    target = part_path(out, "cascades", "teaching", CHUNK)
    shutil.copy(part_path(other_seed, "cascades", "teaching", CHUNK), target)
    with pytest.raises(ResultsError) as e:
        escalate.read_results(out)
    msg = str(e.value)
    assert str(target) in msg and "foreign part" in msg and f"seed {SEED + 1} != {SEED}" in msg


def test_foreign_part_of_another_world(out) -> None:
    target = part_path(out, "cascades", NAMES[1], 0)
    shutil.copy(part_path(out, "cascades", "teaching", 0), target)
    with pytest.raises(ResultsError, match=r"foreign part.*world hash"):
        escalate.read_results(out)


def test_part_outside_the_layout(out) -> None:
    shutil.copy(
        part_path(out, "cascades", "teaching", 0), part_path(out, "cascades", "teaching", 500)
    )
    with pytest.raises(ResultsError, match=r"part-000000000500.parquet: unexpected part"):
        escalate.read_results(out)


def test_unknown_structure_directory(out) -> None:
    ghost = out / "cascades" / "structure=ghost"
    shutil.copytree(out / "cascades" / "structure=teaching", ghost)
    with pytest.raises(ResultsError, match=r"structure\(s\) not in manifest.json: ghost"):
        escalate.read_results(out)


def test_no_manifest(out) -> None:
    (out / "manifest.json").unlink()
    with pytest.raises(ResultsError, match=r"no manifest\.json; not an escalate results directory"):
        escalate.read_results(out)
    with pytest.raises(ResultsError, match=r"no manifest\.json"):
        escalate.read_results(out.parent / "nowhere")


def test_unreadable_manifest(out) -> None:
    (out / "manifest.json").write_text('{"seed": 1')
    with pytest.raises(ResultsError, match=r"manifest\.json: unreadable manifest"):
        escalate.read_results(out)
    (out / "manifest.json").write_text('{"seed": 1, "color": "red"}')
    with pytest.raises(ResultsError, match="invalid manifest: unknown key 'color'"):
        escalate.read_results(out)


def test_corrupt_part(out) -> None:
    target = part_path(out, "cascades", "teaching", 2 * CHUNK)
    target.write_bytes(b"PAR1 this is not a parquet file PAR1")
    with pytest.raises(ResultsError, match=r"part-000000002000.parquet: corrupt part"):
        escalate.read_results(out)


def test_participants_of_a_run_without_them(tmp_path) -> None:
    escalate.run([TEACHING], tmp_path / "o", 100, SEED)
    with pytest.raises(ResultsError, match="without participants"):
        escalate.read_results(tmp_path / "o", participants=True)


def test_check_false_skips_the_first_scan_but_not_the_check_of_each_part(
    tmp_path, out, other_seed
) -> None:
    """check=False reads an incomplete run; a part of another run is still refused."""
    d = tmp_path / "copy"
    shutil.copytree(out, d)
    part_path(d, "cascades", "teaching", 0).unlink()
    assert len(escalate.read_results(d, check=False)) == 2 * N - CHUNK
    shutil.copy(
        part_path(other_seed, "cascades", "teaching", 0), part_path(d, "cascades", "teaching", 0)
    )
    with pytest.raises(ResultsError, match="foreign part"):
        escalate.read_results(d, check=False)
