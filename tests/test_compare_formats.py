"""``escalate compare``: every --format applies to every table; tails come with a verdict.

``--tails`` adds a second table (the tail exponents). On stdout, ``json`` gives
one object with both tables, ``table`` both text tables, and ``csv`` (one table
only) asks for ``-o``; with ``-o FILE`` each table gets its own file
(``FILE``, ``FILE_tails`` with the same suffix) in the chosen format.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import cli, warm_cache

import escalate
from escalate.analysis.tails import tail_exponents, verdict

pytest.importorskip("powerlaw", reason="compare --tails needs the stats extra")

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory) -> Path:
    warm_cache()
    out = tmp_path_factory.mktemp("cmp") / "r"
    escalate.run([CONFIGS / "teaching.toml", "europe_1914"], out, 4000, 1)
    return out


def test_json_with_tails_is_one_object_that_parses(results_dir: Path) -> None:
    r = cli("compare", results_dir, "--tails", "--format", "json")
    assert r.returncode == 0, r.stderr
    both = json.loads(r.stdout)  # "Extra data" if anything followed the JSON
    assert set(both) == {"compare", "tails"}
    expected = escalate.compare(escalate.read_results(results_dir))
    assert len(both["compare"]) == len(expected)
    assert [row["structure"] for row in both["tails"]][:2] == ["teaching", "europe_1914"]
    assert all("verdict" in row for row in both["tails"])


def test_json_without_tails_is_the_list_of_records(results_dir: Path) -> None:
    r = cli("compare", results_dir, "--format", "json")
    assert r.returncode == 0, r.stderr
    assert isinstance(json.loads(r.stdout), list)


def test_csv_on_stdout_holds_one_table_only(results_dir: Path) -> None:
    r = cli("compare", results_dir, "--tails", "--format", "csv")
    assert r.returncode == 2
    assert "give -o FILE" in r.stderr and r.stdout == ""
    r = cli("compare", results_dir, "--format", "csv")
    assert r.returncode == 0
    from io import StringIO

    assert "effect_size" in pd.read_csv(StringIO(r.stdout)).columns


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet", "table"])
def test_output_file_gets_every_table(results_dir: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"t.{fmt}"
    r = cli("compare", results_dir, "--tails", "--format", fmt, "-o", out)
    assert r.returncode == 0, r.stderr
    tails = tmp_path / f"t_tails.{fmt}"
    assert out.exists() and tails.exists()
    if fmt == "csv":
        df, tf = pd.read_csv(out), pd.read_csv(tails)
    elif fmt == "json":
        df, tf = pd.read_json(out), pd.read_json(tails)
    elif fmt == "parquet":
        df, tf = pd.read_parquet(out), pd.read_parquet(tails)
    else:
        assert "power law vs exponential" in tails.read_text()
        assert "P(world war)" in out.read_text()
        return
    assert "p_world_war" in set(df["metric"])
    assert list(tf["structure"][:2]) == ["teaching", "europe_1914"]
    assert tf["verdict"].iloc[0].startswith("power law")


def test_text_tails_say_the_verdict_and_label_the_context(results_dir: Path) -> None:
    r = cli("compare", results_dir, "--tails")
    assert r.returncode == 0, r.stderr
    assert "power law vs exponential" in r.stdout
    assert "[context] Clauset 2018" in r.stdout
    assert "number of belligerents" in r.stdout


def test_verdict_reads_the_sign_only_when_significant() -> None:
    assert verdict(-5.0, 0.001) == "power law rejected: exponential fits better"
    assert verdict(5.0, 0.001) == "power law favoured over exponential"
    assert verdict(-5.0, 0.5) == "inconclusive"
    assert verdict(float("nan"), 0.5) == ""


def _sizes(x: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"structure": "s", "belligerents": x.astype(np.int64)})


def test_a_geometric_tail_is_rejected_and_a_zipf_tail_is_not() -> None:
    rng = np.random.default_rng(7)
    geometric = tail_exponents(_sizes(rng.geometric(0.3, 20_000) + 1), wars_only=False)
    assert geometric["verdict"].iloc[0] == "power law rejected: exponential fits better"
    zipf = tail_exponents(_sizes(rng.zipf(2.2, 20_000)), wars_only=False)
    assert zipf["verdict"].iloc[0] == "power law favoured over exponential"
    assert 2.0 < zipf["alpha"].iloc[0] < 2.4
