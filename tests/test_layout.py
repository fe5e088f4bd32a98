"""The house rules of the package: a light root, a quiet library, one public API.

The import rules (layers, nothing importing the package root) are pyproject.toml's
import contracts, checked by tests/test_imports.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numba
import pandas as pd
import pytest

import escalate

TEACHING = Path(escalate.__file__).resolve().parent.parent / "configs" / "teaching.toml"


@pytest.mark.parametrize(
    "module, absent",
    [
        ("escalate", ("numba", "pandas", "pyarrow", "numpy")),
        ("escalate.model", ("numba", "pandas", "pyarrow")),
        ("escalate.model.load", ("numba", "pandas", "pyarrow")),
    ],
)
def test_light_imports(module: str, absent: tuple[str, ...]) -> None:
    code = f"import sys, {module}; print([m for m in {absent!r} if m in sys.modules])"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_simulate_restores_the_callers_thread_count() -> None:
    numba.set_num_threads(1)
    try:
        escalate.simulate(TEACHING, 100, seed=1, threads=None)  # "all" for this call only
        assert numba.get_num_threads() == 1
        escalate.simulate(TEACHING, 100, seed=1, threads=numba.config.NUMBA_NUM_THREADS)
        assert numba.get_num_threads() == 1
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)


def test_simulate_gives_the_dtypes_of_read_results(tmp_path) -> None:
    df, people = escalate.simulate(TEACHING, 500, seed=3, participants=True)
    escalate.run([TEACHING], tmp_path / "o", 500, 3, participants=True)
    back = escalate.read_results(tmp_path / "o")
    back_people = escalate.read_results(tmp_path / "o", participants=True)
    assert dict(df.dtypes) == dict(back.dtypes)
    assert dict(people.dtypes) == dict(back_people.dtypes)
    for frame in (df, back):
        assert isinstance(frame["initiator"].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(df, back, check_categorical=False)


def test_the_library_prints_nothing(tmp_path, capfd) -> None:
    escalate.simulate(TEACHING, 100, seed=1)
    escalate.run([TEACHING], tmp_path / "o", 100, 1)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_public_names_resolve_and_compare_shows_its_signature() -> None:
    import inspect

    for name in escalate.__all__:
        assert getattr(escalate, name) is not None, name
    params = inspect.signature(escalate.compare).parameters
    assert "baseline" in params and "confidence" in params
    assert escalate.Interrupted.__module__ == "escalate.runner.jobs"
