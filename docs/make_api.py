"""Generate docs/api.md, the API reference, from the docstrings (standard library only).

Usage: ``python docs/make_api.py`` rewrites ``docs/api.md``; ``--check`` only says
whether it is up to date (exit 1 if not). ``tests/test_docs.py`` runs the same check.

Documented: every name of ``escalate.__all__``, then the ``__all__`` of
:mod:`escalate.model` and :mod:`escalate.runner` and of every module of
``escalate.results``, ``escalate.analysis`` and ``escalate.viz``. A function or class
is written out in full where it first appears; later sections point to it. Numpy-style
docstrings are turned into light Markdown: section headings in bold, parameters as a
list, examples and literal blocks fenced.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import pkgutil
import re
import sys
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "api.md"

#: Packages documented through their own ``__all__``.
PACKAGES = ("escalate", "escalate.model", "escalate.importers", "escalate.runner")
#: Packages documented module by module (each module's ``__all__``).
MODULE_PACKAGES = ("escalate.results", "escalate.analysis", "escalate.viz")
#: Numpy docstring sections whose entries are ``name : type`` lines.
ITEM_SECTIONS = {
    "Parameters",
    "Other Parameters",
    "Returns",
    "Yields",
    "Raises",
    "Warns",
    "Attributes",
}
#: A signature longer than this is written one parameter per line.
WIDTH = 88

HEADER = """\
# API reference

Generated from the docstrings by `python docs/make_api.py`: do not edit by hand
(`tests/test_docs.py` fails when this file is stale). The command-line interface is
described in the [README](../README.md).
"""


class _Annotation:
    """An annotation kept as its source text (the modules use postponed annotations)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def module_names() -> list[str]:
    """The modules documented, in the order of the reference."""
    names = list(PACKAGES)
    for package in MODULE_PACKAGES:
        path = importlib.import_module(package).__path__
        for info in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
            module = importlib.import_module(f"{package}.{info.name}")
            if not info.name.startswith("_") and hasattr(module, "__all__"):
                names.append(module.__name__)
    return names


def anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _annotation(value: Any) -> Any:
    if value is inspect.Parameter.empty:
        return value
    if isinstance(value, typing.ForwardRef):
        value = value.__forward_arg__
    return _Annotation(value if isinstance(value, str) else inspect.formatannotation(value))


def signature(name: str, obj: Any, *, method: bool = False) -> str | None:
    """``name(parameters) -> return`` as in the source, or None if it has none.

    A class gets its constructor's parameters and no return; a method (``method``)
    loses its first parameter (``self`` or ``cls``).
    """
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    params = [p.replace(annotation=_annotation(p.annotation)) for p in sig.parameters.values()]
    if method:
        params = params[1:]
    returns = inspect.Signature.empty if inspect.isclass(obj) else sig.return_annotation
    sig = sig.replace(parameters=params, return_annotation=_annotation(returns))
    text = f"{name}{sig}"
    if " at 0x" in text:
        raise ValueError(f"{name}: a default value has no stable repr: {text}")
    if len(text) <= WIDTH:
        return text
    # one parameter per line, as ruff format would write it
    parts = [
        str(p) for p in sig.replace(return_annotation=inspect.Signature.empty).parameters.values()
    ]
    kinds = [p.kind for p in sig.parameters.values()]
    lines = []
    for i, (part, kind) in enumerate(zip(parts, kinds, strict=True)):
        prev = kinds[i - 1] if i else None
        if kind is inspect.Parameter.KEYWORD_ONLY and prev not in (
            inspect.Parameter.KEYWORD_ONLY,
            inspect.Parameter.VAR_POSITIONAL,
        ):
            lines.append("    *,")
        lines.append(f"    {part},")
        if kind is inspect.Parameter.POSITIONAL_ONLY and (
            i + 1 == len(kinds) or kinds[i + 1] is not inspect.Parameter.POSITIONAL_ONLY
        ):
            lines.append("    /,")
    ret = sig.return_annotation
    tail = ")" if ret is inspect.Signature.empty else f") -> {ret!r}"
    return "\n".join([f"{name}(", *lines, tail])


def _roles(text: str) -> str:
    """Sphinx roles (``:func:`~a.b.c```) as inline code (```c```)."""

    def repl(m: re.Match[str]) -> str:
        target = m.group(2)
        return f"`{target.rsplit('.', 1)[-1]}`" if m.group(1) else f"`{target}`"

    return re.sub(r":[a-z]+:`(~?)([^`]+)`", repl, text)


def markdown(doc: str) -> str:
    """A numpy-style docstring as Markdown."""
    lines = inspect.cleandoc(doc).splitlines()
    out: list[str] = []
    section = None
    i = 0
    while i < len(lines):
        line = lines[i]
        following = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if (
            line.strip()
            and not line.startswith(" ")
            and following
            and set(following) == {"-"}
            and len(following) == len(line.strip())
        ):
            section = line.strip()
            out += [f"**{section}**", ""]
            i += 2
            continue
        if line.startswith(">>>"):
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            block = [re.sub(r"\s*# doctest: .*$", "", x) for x in block]
            out += ["```pycon", *block, "```"]
            continue
        if section in ITEM_SECTIONS and line.strip() and not line.startswith(" "):
            i += 1
            body = []
            while i < len(lines) and (
                lines[i].startswith(" ")
                or (not lines[i].strip() and lines[i + 1 : i + 2] and lines[i + 1][:1] == " ")
            ):
                body.append(lines[i][4:])
                i += 1
            out += _item(section, line, body)
            continue
        if line.startswith("    ") and (not out or not out[-1].strip()):
            block = []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                block.append(lines[i][4:])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            out += ["```text", *block, "```", ""]
            continue
        if line.endswith("::"):
            line = line[:-1]
        out.append(_roles(line))
        i += 1
    text = "\n".join(out).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def _item(section: str, line: str, body: list[str]) -> list[str]:
    """One entry of a Parameters/Returns/Raises section as a Markdown list item."""
    name, sep, kind = line.partition(" : ")
    if sep:
        head = f"`{name.strip()}` ({_roles(kind.strip())})"
    elif section in ("Returns", "Yields"):
        head = _roles(line.strip())  # a type
    else:
        head = f"`{line.strip()}`"
    if not body:
        return [f"- {head}"]
    first, *rest = body
    return [f"- {head}: {_roles(first)}", *(f"  {_roles(x)}".rstrip() for x in rest)]


def _own_doc(obj: Any) -> str | None:
    doc = obj.__doc__ if isinstance(obj.__doc__, str) else None
    return inspect.cleandoc(doc) if doc and doc.strip() else None


def _data_comment(module: ModuleType, name: str) -> str | None:
    """The ``#:`` comment above ``name = ...`` in the module that assigns it."""
    candidates = [module] + [
        m for key, m in sorted(sys.modules.items()) if key.startswith("escalate.") and m
    ]
    for m in candidates:
        try:
            source = inspect.getsource(m)
        except (OSError, TypeError):
            continue
        lines = source.splitlines()
        for node in ast.parse(source).body:
            targets = []
            if isinstance(node, ast.Assign):
                targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                targets = [node.target.id]
            if name not in targets or getattr(m, name, None) is not getattr(module, name):
                continue
            comment: list[str] = []
            k = node.lineno - 2
            while k >= 0 and lines[k].startswith("#:"):
                comment.insert(0, lines[k][2:].strip())
                k -= 1
            return " ".join(comment) or None
    return None


def _data(module: ModuleType, name: str, obj: Any) -> list[str]:
    kind = type(obj).__name__
    value = repr(obj)
    if typing.get_origin(obj) is not None:  # a type alias such as Literal[...]
        code = f"{name} = {value.replace('typing.', '')}"
    elif name.isupper() and len(value) <= WIDTH - len(name) - len(kind) - 5:
        code = f"{name}: {kind} = {value}"
    else:
        code = f"{name}: {kind}"
    out = ["```python", code, "```", ""]
    comment = _data_comment(module, name)
    if comment:
        out += [_roles(comment), ""]
    return out


def _members(cls: type) -> list[tuple[str, Any]]:
    """Public methods and properties defined by the class itself, in source order."""
    out: list[tuple[str, Any]] = []
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, staticmethod | classmethod):
            out.append((name, value.__func__))
        elif isinstance(value, property) or inspect.isfunction(value):
            out.append((name, value))
    return out


def _class(qualname: str, cls: type) -> list[str]:
    if typing.is_typeddict(cls):
        fields = [f"    {k}: {_annotation(v)!r}" for k, v in cls.__annotations__.items()]
        code = "\n".join([f"class {cls.__name__}(TypedDict):", *fields])
    else:
        sig = signature(cls.__name__, cls)
        code = f"class {sig or cls.__name__}"
    out = ["```python", code, "```", ""]
    doc = _own_doc(cls)
    out += [markdown(doc) if doc else "(no docstring)", ""]
    for name, member in _members(cls):
        if isinstance(member, property):
            out += [f"#### `{qualname}.{name}` (property)", ""]
            doc = _own_doc(member)
        else:
            sig = signature(name, member, method=not isinstance(vars(cls)[name], staticmethod))
            out += [f"#### `{qualname}.{name}`", "", "```python", sig or name, "```", ""]
            doc = _own_doc(member)
        out += [markdown(doc) if doc else "(no docstring)", ""]
    return out


def render() -> str:
    """The text of docs/api.md."""
    sections = [(name, importlib.import_module(name)) for name in module_names()]
    contents = [f"- [`{name}`](#{anchor(name)})" for name, _ in sections]
    out = [HEADER, "## Contents", "", *contents, ""]
    seen: dict[int, str] = {}  # id of a function or class -> where it is written out
    for name, module in sections:
        out += [f"## `{name}`", ""]
        doc = _own_doc(module)
        if doc:
            out += [markdown(doc), ""]
        for public in module.__all__:
            obj = getattr(module, public)
            qualname = f"{name}.{public}"
            out += [f"### `{qualname}`", ""]
            if not (inspect.isclass(obj) or inspect.isroutine(obj)):
                out += _data(module, public, obj)
            elif id(obj) in seen:
                first = seen[id(obj)]
                out += [f"The same as [`{first}`](#{anchor(first)}).", ""]
            elif inspect.isclass(obj):
                seen[id(obj)] = qualname
                out += _class(qualname, obj)
            else:
                seen[id(obj)] = qualname
                sig = signature(public, obj)
                out += ["```python", sig or public, "```", ""]
                doc = _own_doc(obj)
                out += [markdown(doc) if doc else "(no docstring)", ""]
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write docs/api.md, or with ``--check`` say whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/api.md is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is stale: run python docs/make_api.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
