"""Write docs/tutorial.ipynb from docs/tutorial.md (the notebook is generated).

    python docs/make_tutorial.py [--check]

Markdown between code blocks becomes markdown cells; each ```python block a code
cell; each ```bash block a ``%%bash`` code cell (Jupyter runs it in a shell).
Other fenced blocks (shown output) stay in the markdown. ``tests/test_tutorial.py``
checks that the notebook is current and executes its cells in order.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SOURCE = DOCS / "tutorial.md"
NOTEBOOK = DOCS / "tutorial.ipynb"
_BLOCK = re.compile(r"^```(bash|python)[ \t]*\n(.*?)^```[ \t]*\n?", re.DOTALL | re.MULTILINE)


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and lines[-1].endswith("\n"):
        lines[-1] = lines[-1][:-1]
    return lines


def cells(markdown: str) -> list[dict]:
    """The notebook's cells, in the order of the markdown."""
    out: list[dict] = []

    def add_markdown(text: str) -> None:
        if text.strip():
            out.append({"cell_type": "markdown", "metadata": {}, "source": _lines(text.strip())})

    pos = 0
    for m in _BLOCK.finditer(markdown):
        add_markdown(markdown[pos : m.start()])
        lang, code = m.group(1), m.group(2).rstrip("\n")
        source = f"%%bash\n{code}" if lang == "bash" else code
        out.append(
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": _lines(source),
            }
        )
        pos = m.end()
    add_markdown(markdown[pos:])
    for i, cell in enumerate(out):
        cell["id"] = f"cell-{i:03d}"
    return out


def notebook(markdown: str) -> str:
    """The ``.ipynb`` text (nbformat 4.5) of the tutorial."""
    nb = {
        "cells": cells(markdown),
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the notebook, or with ``--check`` fail if it is not current."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if the notebook is not current")
    args = ap.parse_args(argv)
    text = notebook(SOURCE.read_text(encoding="utf-8"))
    if args.check:
        if not NOTEBOOK.exists() or NOTEBOOK.read_text(encoding="utf-8") != text:
            print(f"{NOTEBOOK.name} is out of date: python docs/make_tutorial.py", file=sys.stderr)
            return 1
        return 0
    NOTEBOOK.write_text(text, encoding="utf-8")
    print(f"wrote {NOTEBOOK}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
