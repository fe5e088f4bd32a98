"""The house rules of the package: one-way imports, a light root, a quiet library.

Layers, top to bottom: model -> importers -> engine -> results -> runner -> analysis -> viz -> cli.
A module may import from its own layer and the layers before it, never after it, and
nothing imports the package root.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numba
import pandas as pd
import pytest

import escalate

PACKAGE = Path(escalate.__file__).resolve().parent
LAYERS = ["model", "importers", "engine", "results", "runner", "analysis", "viz", "cli"]
TEACHING = PACKAGE.parent / "configs" / "teaching.toml"


def layer_of(module: str) -> int | None:
    """The layer index of ``escalate.X...`` (None for the root's own helpers)."""
    parts = module.split(".")
    if parts[0] != "escalate" or len(parts) < 2:
        return None
    name = parts[1]
    return LAYERS.index(name) if name in LAYERS else None


def imports_of(path: Path) -> list[tuple[str, int]]:
    """Absolute names of the escalate modules ``path`` imports, with line numbers."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    package = list(rel.parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            if node.module is None:  # from . import x
                found += [(f"{name}.{a.name}", node.lineno) for a in node.names]
            else:
                found.append((name, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
    return [(n, line) for n, line in found if n == "escalate" or n.startswith("escalate.")]


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")


def test_imports_flow_one_way_and_never_through_the_root() -> None:
    back = []
    for path in modules():
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        me = layer_of(".".join(rel.parts))
        for name, line in imports_of(path):
            if name == "escalate" and path.name != "__init__.py":
                back.append(f"{path.name}:{line} imports the package root")
            target = layer_of(name)
            if me is not None and target is not None and target > me:
                back.append(f"{rel}:{line} imports {name} (a later layer)")
    assert not back, "\n".join(back)


def test_the_layer_list_covers_every_subpackage() -> None:
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")} - {"worlds"}  # data
    assert subpackages <= set(LAYERS)


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
