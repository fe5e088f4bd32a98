"""The import rules of the package: pyproject.toml's import contracts, and private names.

``lint-imports`` (import-linter) checks the contracts of ``[tool.importlinter]``: the
layers (model -> importers -> engine -> results -> runner -> analysis -> backtest ->
viz -> cli, each importing only from its own layer and those before it), nothing
importing the package root, a standard-library-only model, a reference that imports
neither the compiled engine nor numba. What import-linter cannot express is checked
here on the source: analysis, backtest and viz import no private name of another module.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import escalate

PACKAGE = Path(escalate.__file__).resolve().parent
ROOT = PACKAGE.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CONTRACTS = PYPROJECT["tool"]["importlinter"]["contracts"]


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the package found in ``cwd``, with ``cwd``'s pyproject.toml."""
    script = Path(sys.executable).parent / "lint-imports"
    command = [str(script)] if script.exists() else [shutil.which("lint-imports") or ""]
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [*command, "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def contract(name_start: str) -> dict:
    (found,) = [c for c in CONTRACTS if c["name"].startswith(name_start)]
    return found


# ------------------------------------------------------------------ the contracts


def test_lint_imports_keeps_every_contract() -> None:
    r = lint_imports(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in r.stdout


def test_the_contracts_catch_what_they_forbid(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "escalate", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    breaches = {
        "model/schema.py": "from escalate.cli import main  # an upward import\n",
        "results/read.py": "import escalate  # the package root\n",
        "model/entities.py": "import numpy  # not the standard library\n",
        "engine/reference/draws.py": "from escalate.engine import kernel  # the compiled engine\n",
    }
    for path, line in breaches.items():
        with open(tmp_path / "escalate" / path, "a", encoding="utf-8") as f:
            f.write(line)
    r = lint_imports(tmp_path)
    assert r.returncode != 0
    assert f"Contracts: {len(CONTRACTS) - 4} kept, 4 broken." in r.stdout, r.stdout
    assert "escalate.model.schema -> escalate.cli" in r.stdout
    assert "escalate.results.read -> escalate (l." in r.stdout
    assert "escalate.model.entities -> numpy" in r.stdout
    assert "escalate.engine.reference.draws -> escalate.engine.kernel" in r.stdout


def test_the_layers_cover_every_subpackage() -> None:
    layers = contract("Layers")["layers"]
    subpackages = {f"escalate.{p.parent.name}" for p in PACKAGE.glob("*/__init__.py")}
    assert subpackages - {"escalate.worlds"} == set(layers)  # worlds: data


#: Distributions whose import name differs from their name.
IMPORT_NAMES = {"scikit_learn": "sklearn"}


def test_the_model_forbids_every_dependency() -> None:
    """Forbidding every declared dependency leaves the model the standard library."""
    project = PYPROJECT["project"]
    declared = list(project["dependencies"])
    for extra, requirements in project["optional-dependencies"].items():
        if extra not in ("dev", "all", "docs"):  # dev, docs: tools; all: the other extras
            declared += requirements
    names = set()
    for requirement in declared:
        name, extras = re.match(r"([\w.-]+)(?:\[([\w,]+)\])?", requirement).groups("")
        name = name.replace("-", "_").lower()
        names.add(IMPORT_NAMES.get(name, name))
        names.update(e for e in extras.split(",") if e)
    assert names == set(contract("The model imports")["forbidden_modules"])


# ------------------------------------------------------------------ private names

#: Private modules that may still be imported from: the version is public as
#: ``escalate.__version__`` and lives in ``_version`` so that it can be read early.
PRIVATE_MODULES_ALLOWED = {"escalate._version"}
#: (line, absolute module, imported names); names are empty for ``import x``
Import = tuple[int, str, list[str]]
CHECKED = sorted(
    p for sub in ("analysis", "backtest", "viz") for p in (PACKAGE / sub).rglob("*.py")
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_private(name: str) -> bool:
    """``_x`` is private; dunders such as ``__version__`` are not."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def imports(source: str, module: str, is_package: bool = False) -> list[Import]:
    """Every import of ``source`` (also inside functions), as absolute modules."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, target] if target else base)
            found.append((node.lineno, target, [alias.name for alias in node.names]))
    return [i for i in found if i[1] == "escalate" or i[1].startswith("escalate.")]


def private_imports(found: list[Import]) -> list[str]:
    """Private names, or names from private modules, imported from escalate."""
    bad = []
    for line, module, names in found:
        bad += [f"line {line}: {n} from {module}" for n in names if _is_private(n)]
        if module not in PRIVATE_MODULES_ALLOWED and any(map(_is_private, module.split("."))):
            bad.append(f"line {line}: private module {module}")
    return bad


@pytest.mark.parametrize("path", CHECKED, ids=_module_name)
def test_no_private_name_is_imported_from_another_module(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    bad = private_imports(imports(text, _module_name(path), path.stem == "__init__"))
    assert not bad, f"{path.name} imports private names of other modules: {bad}"


def test_the_private_name_check_catches_what_it_should() -> None:
    source = (
        "import numpy as np\n"
        "from .compare import _groups, compare\n"
        "from . import _common\n"
        "from ._common import groups\n"
        "from .. import __version__\n"
        "from .._version import __version__\n"
        "def f():\n"
        "    from escalate.analysis.compare import _QUANT\n"
    )
    found = imports(source, "escalate.analysis.fake")
    assert [m for _, m, _ in found] == [
        "escalate.analysis.compare",
        "escalate.analysis",
        "escalate.analysis._common",
        "escalate",
        "escalate._version",
        "escalate.analysis.compare",
    ]
    assert private_imports(found) == [
        "line 2: _groups from escalate.analysis.compare",
        "line 3: _common from escalate.analysis",
        "line 4: private module escalate.analysis._common",
        "line 8: _QUANT from escalate.analysis.compare",
    ]
    assert len(CHECKED) > 10
