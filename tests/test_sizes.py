"""Sizes that cannot creep back: every module and every function of the package is short.

A module has at most :data:`MAX_MODULE_LINES` lines and a function at most
:data:`MAX_FUNCTION_LINES` (decorators and docstring included), so that each fits in
one reading. The only way past a limit is an entry of :data:`EXCEPTIONS` with its
reason, and an entry that is no longer needed is an error too: the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import escalate

PACKAGE = Path(escalate.__file__).resolve().parent
ROOT = PACKAGE.parent
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 120

#: ``"path"`` (a module) or ``"path:function"`` -> why it may be longer, for now.
EXCEPTIONS: dict[str, str] = {}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def module_lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def function_lines(source: str) -> dict[str, int]:
    """Every function (methods and nested ones too, by qualified name): its lines."""
    sizes: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                    sizes[name] = child.end_lineno - first + 1  # type: ignore[operator]
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return sizes


def _too_long() -> dict[str, int]:
    found = {}
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        if (n := len(text.splitlines())) > MAX_MODULE_LINES:
            found[_name(path)] = n
        for name, n in function_lines(text).items():
            if n > MAX_FUNCTION_LINES:
                found[f"{_name(path)}:{name}"] = n
    return found


def test_modules_and_functions_are_short() -> None:
    long = {k: n for k, n in _too_long().items() if k not in EXCEPTIONS}
    limits = f"modules <= {MAX_MODULE_LINES} lines, functions <= {MAX_FUNCTION_LINES}"
    assert not long, f"over the limits ({limits}): {long}"


def test_every_exception_is_still_needed_and_has_a_reason() -> None:
    long = _too_long()
    stale = [k for k in EXCEPTIONS if k not in long]
    assert not stale, f"no longer over the limit, remove from EXCEPTIONS: {stale}"
    assert all(len(reason) > 40 for reason in EXCEPTIONS.values())


def test_the_walk_finds_every_kind_of_function() -> None:
    source = (
        "import functools\n"
        "@functools.cache\n"
        "def f():\n"
        "    def inner():\n"
        "        pass\n"
        "class C:\n"
        "    async def m(self):\n"
        "        pass\n"
    )
    assert function_lines(source) == {"f": 4, "f.inner": 2, "C.m": 2}
    assert len(_modules()) > 50 and PACKAGE / "engine" / "kernel.py" in _modules()
