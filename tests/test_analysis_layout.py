"""Layout rules of escalate.analysis and escalate.viz, checked on the source.

Every module of the two packages is parsed with :mod:`ast` (nothing is
imported). A module may import only public names from other escalate modules
(a helper shared between modules is public within the package), and analysis
never imports viz: imports flow model -> engine -> results -> runner ->
analysis -> viz -> cli. Modules and functions stay small.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import escalate

PACKAGE_ROOT = Path(escalate.__file__).parent
MODULES = sorted(p for sub in ("analysis", "viz") for p in (PACKAGE_ROOT / sub).rglob("*.py"))
#: Private modules that may still be imported from: the version is public as
#: ``escalate.__version__`` and lives in ``_version`` so that it can be read early.
PRIVATE_MODULES_ALLOWED = {"escalate._version"}
#: What analysis must not import.
ABOVE_ANALYSIS = ("escalate.viz", "escalate.cli")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 120

#: (line, absolute module, imported names); names are empty for ``import x``
Import = tuple[int, str, list[str]]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_private(name: str) -> bool:
    """``_x`` is private; dunders such as ``__version__`` are not."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _imports(source: str, module: str, is_package: bool = False) -> list[Import]:
    """Every import of ``source`` (also inside functions), as absolute modules.

    ``module`` is the dotted name of the file, which resolves relative imports.
    """
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


def _imports_of(path: Path) -> list[Import]:
    return _imports(path.read_text(encoding="utf-8"), _module_name(path), path.stem == "__init__")


def _private_imports(imports: list[Import]) -> list[str]:
    """Private names, or names from private modules, imported from escalate."""
    bad = []
    for line, module, names in imports:
        bad += [f"line {line}: {n} from {module}" for n in names if _is_private(n)]
        if module not in PRIVATE_MODULES_ALLOWED and any(map(_is_private, module.split("."))):
            bad.append(f"line {line}: private module {module}")
    return bad


def _upward_imports(imports: list[Import]) -> list[str]:
    """Imports of viz or cli (also ``from escalate import viz``)."""
    return [
        f"line {line}: {module} {names}"
        for line, module, names in imports
        if any(
            target == up or target.startswith(up + ".")
            for target in [module, *(f"{module}.{n}" for n in names)]
            for up in ABOVE_ANALYSIS
        )
    ]


def test_the_modules_are_found():
    names = {_module_name(p) for p in MODULES}
    assert {"escalate.analysis.compare", "escalate.viz.tables"} <= names


@pytest.mark.parametrize("path", MODULES, ids=_module_name)
def test_no_private_name_is_imported_from_another_module(path):
    bad = _private_imports(_imports_of(path))
    assert not bad, f"{path.name} imports private names of other modules: {bad}"


@pytest.mark.parametrize(
    "path", [p for p in MODULES if p.parent.name == "analysis"], ids=_module_name
)
def test_analysis_does_not_import_viz(path):
    bad = _upward_imports(_imports_of(path))
    assert not bad, f"{path.name} imports from viz or cli: {bad}"


@pytest.mark.parametrize("path", MODULES, ids=_module_name)
def test_modules_and_functions_are_small(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    long = [
        f"{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{path.name}: functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_the_checks_catch_what_they_should():
    # the rules above, applied to a module that breaks each of them
    source = (
        "import numpy as np\n"
        "from .stats import _groups, compare\n"
        "from . import _common\n"
        "from ._common import groups\n"
        "from ..viz import tables\n"
        "from .. import viz, __version__\n"
        "from .._version import __version__\n"
        "def f():\n"
        "    import escalate.viz.plots\n"
        "    from escalate.analysis.stats import _QUANT\n"
    )
    imports = _imports(source, "escalate.analysis.fake")
    assert [m for _, m, _ in imports] == [
        "escalate.analysis.stats",
        "escalate.analysis",
        "escalate.analysis._common",
        "escalate.viz",
        "escalate",
        "escalate._version",
        "escalate.viz.plots",
        "escalate.analysis.stats",
    ]
    private = _private_imports(imports)
    assert private == [
        "line 2: _groups from escalate.analysis.stats",
        "line 3: _common from escalate.analysis",
        "line 4: private module escalate.analysis._common",
        "line 10: _QUANT from escalate.analysis.stats",
    ]
    assert [b.split(":")[0] for b in _upward_imports(imports)] == ["line 5", "line 6", "line 9"]
