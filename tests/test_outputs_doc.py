"""docs/outputs.md describes every output column: results, comparison, tails, sweeps.

Each column name must appear in backticks in the document, the results tables
are the schema's own (:func:`escalate.results.schema.markdown_table`), and the
words the issue of first use asked for (rounds are not days, what power and
power share are relative to) are there.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from escalate.analysis.metrics import OUTPUT_COLUMNS, metric_specs
from escalate.results.schema import CASCADE_COLUMNS, PARTICIPANT_COLUMNS, markdown_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "outputs.md"
TEXT = DOC.read_text(encoding="utf-8")


def _described(name: str) -> bool:
    return f"`{name}`" in TEXT


def test_results_tables_are_the_schemas() -> None:
    assert markdown_table(CASCADE_COLUMNS) in TEXT
    assert markdown_table(PARTICIPANT_COLUMNS) in TEXT


def test_every_column_of_the_comparison_is_described() -> None:
    missing = [c for c in OUTPUT_COLUMNS if not _described(c)]
    assert not missing, f"docs/outputs.md lacks {missing}"


def test_every_metric_is_described() -> None:
    for spec in metric_specs((3, 5, 10), (0.5, 0.9, 0.99)):
        pattern = re.sub(r"_ge_\d+$", "_ge_K", spec.metric)
        pattern = re.sub(r"^q\d+_", "q50_", pattern)
        pattern = re.sub(r"^mean_.*", "mean_X", pattern)
        pattern = re.sub(r"^q50_.*", "q50_X", pattern)
        assert _described(pattern), spec.metric


def test_every_column_of_the_tails_is_described() -> None:
    pytest.importorskip("powerlaw", reason="the tails table needs the stats extra")
    from escalate.analysis.tails import tail_exponents

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"structure": "s", "belligerents": rng.zipf(2.5, 2000)})
    missing = [c for c in tail_exponents(df, wars_only=False).columns if not _described(c)]
    assert not missing, f"docs/outputs.md lacks {missing}"


def test_units_that_first_users_asked_about_are_explained() -> None:
    words = " ".join(TEXT.split())
    assert "not a unit of time" in words  # rounds
    assert "total power of the nations *in the world file*" in words  # power share
    assert "CINC share" in words  # power
    assert "It is not the battle deaths" in words  # war size


def test_every_column_of_the_sweep_table_is_described() -> None:
    from escalate.viz.sweep import sweep_table

    variants = pd.DataFrame({"structure": ["a", "b"], "dynamics.deterrence": [0.0, 0.5]})
    compare_df = pd.DataFrame(
        {
            "structure": [s for s in "ab" for _ in range(2)],
            "metric": ["p_world_war", "mean_belligerents"] * 2,
            "label": ["P(world war)", "mean belligerents"] * 2,
            "estimate": [0.1, 2.0, 0.2, 3.0],
            "low": [0.0, 1.0, 0.1, 2.0],
            "high": [0.2, 3.0, 0.3, 4.0],
            "p_holm": [np.nan, np.nan, 0.01, 0.02],
        }
    )
    columns = sweep_table(compare_df, variants).columns
    missing = [c for c in columns if not _described(c)]
    assert not missing, f"docs/outputs.md lacks {missing}"
