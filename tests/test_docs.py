"""The documentation site: every page in the navigation, every public module in the API
reference, and the README a front page that links into the site.

The site itself is built by CI (``mkdocs build --strict``: a broken link or a docstring
mkdocstrings cannot read fails it); these tests need no mkdocs.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import escalate

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
API = (DOCS / "api.md").read_text(encoding="utf-8")
MKDOCS = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")

#: Documented whole (their ``__all__``), then module by module.
PACKAGES = (
    "escalate", "escalate.model", "escalate.importers", "escalate.runner", "escalate.backtest",
)  # fmt: skip
MODULE_PACKAGES = ("escalate.results", "escalate.analysis", "escalate.viz")


def public_modules() -> list[str]:
    names = list(PACKAGES)
    for package in MODULE_PACKAGES:
        path = importlib.import_module(package).__path__
        for info in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
            module = importlib.import_module(f"{package}.{info.name}")
            if not info.name.startswith("_") and hasattr(module, "__all__"):
                names.append(module.__name__)
    return names


def test_every_public_module_is_in_the_api_reference() -> None:
    directives = re.findall(r"^::: (\S+)$", API, flags=re.M)
    assert directives == public_modules()


def test_every_public_name_has_a_docstring() -> None:
    # mkdocstrings renders what is there: a name without a docstring would be bare
    for name in escalate.__all__:
        obj = getattr(escalate, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), name


def test_every_page_is_in_the_navigation_and_exists() -> None:
    nav = re.findall(r":\s*([\w-]+\.md)\s*$", MKDOCS, flags=re.M)
    for page in nav:
        assert (DOCS / page).is_file(), page
    pages = {p.name for p in DOCS.glob("*.md")}
    assert pages == set(nav), pages ^ set(nav)


def test_the_readme_is_a_front_page_that_links_into_the_docs() -> None:
    assert README.count("\n") <= 200
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", README))
    for page in ("tutorial.md", "model.md", "worlds.md", "cli.md", "compare.md", "python.md",
                 "results.md", "performance.md", "development.md", "api.md"):  # fmt: skip
        assert page in linked, page
        assert (DOCS / page).is_file(), page
