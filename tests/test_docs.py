"""The API reference (docs/api.md) is generated from the docstrings and kept current."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

import escalate

ROOT = Path(__file__).resolve().parent.parent
API = ROOT / "docs" / "api.md"


@pytest.fixture(scope="module")
def make_api() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_api", ROOT / "docs" / "make_api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_api"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rendered(make_api: ModuleType) -> str:
    return make_api.render()


def test_api_reference_is_current(rendered: str) -> None:
    assert API.read_text(encoding="utf-8") == rendered, (
        "docs/api.md is stale: run python docs/make_api.py"
    )


def test_every_public_name_is_documented(rendered: str) -> None:
    for name in escalate.__all__:
        assert f"### `escalate.{name}`" in rendered, name


def test_subpackages_are_covered(make_api: ModuleType, rendered: str) -> None:
    modules = make_api.module_names()
    for name in ("escalate.model", "escalate.runner", "escalate.results.read"):
        assert name in modules
    for name in ("escalate.analysis.intervals", "escalate.viz.plots"):
        assert name in modules
    assert "### `escalate.model.world_from_dict`" in rendered
    assert "### `escalate.analysis.intervals.wilson_interval`" in rendered


def test_functions_are_written_out_once(rendered: str) -> None:
    # escalate.run is documented in full under escalate, then pointed to
    assert rendered.count("Run every world for ``replicates`` cascades") == 1
    assert "The same as [`escalate.run`](#escalaterun)." in rendered


def test_numpy_sections_become_markdown(make_api: ModuleType) -> None:
    doc = """Summary.

    Parameters
    ----------
    x : int
        The x,
        on two lines.
    y
        The y.

    Returns
    -------
    int
        The sum.

    Examples
    --------
    >>> 1 + 1  # doctest: +SKIP
    2
    """
    assert make_api.markdown(doc) == (
        "Summary.\n\n**Parameters**\n\n- `x` (int): The x,\n  on two lines.\n"
        "- `y`: The y.\n\n**Returns**\n\n- int: The sum.\n\n**Examples**\n\n"
        "```pycon\n>>> 1 + 1\n2\n```"
    )
