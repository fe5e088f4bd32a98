"""The bundled worlds: ``configs/*.toml``, shipped as the package data ``escalate.worlds``.

The repository keeps its worlds in ``configs/`` at the top level; the build maps
that folder to the package ``escalate.worlds`` (``[tool.setuptools] package-dir``
in ``pyproject.toml``), so a wheel has them in ``escalate/worlds/`` and an
editable install finds them in ``configs/``. Either way they are read with
:mod:`importlib.resources`, by name: ``europe_1914`` is
``escalate/worlds/europe_1914.toml``.

:func:`escalate.model.load.load_world` takes a bundled name wherever it takes a
path (a path that exists wins); ``escalate worlds`` lists them.
"""

from __future__ import annotations

import difflib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["PACKAGE", "bundled_names", "bundled_world", "close_names", "looks_like_name"]

#: The package whose data files are the bundled worlds.
PACKAGE = "escalate.worlds"
_SUFFIX = ".toml"


def _folder() -> Traversable | None:
    try:
        return resources.files(PACKAGE)
    except ModuleNotFoundError:  # pragma: no cover - an install without the worlds
        return None


def bundled_names() -> tuple[str, ...]:
    """The names of the bundled worlds, sorted (``europe_1914``, ...).

    Returns
    -------
    tuple of str
        The file names without ``.toml``; empty if the install has no worlds.
    """
    folder = _folder()
    if folder is None:
        return ()  # pragma: no cover
    return tuple(
        sorted(
            f.name[: -len(_SUFFIX)]
            for f in folder.iterdir()
            if f.name.endswith(_SUFFIX) and f.is_file()
        )
    )


def bundled_world(name: str) -> tuple[bytes, str] | None:
    """The bytes of the bundled world ``name`` and where they come from.

    Parameters
    ----------
    name
        A name from :func:`bundled_names`.

    Returns
    -------
    (bytes, str) or None
        The TOML file's bytes and its location (the file's path where the
        install has one), or None if no bundled world has that name.
    """
    if name not in bundled_names():
        return None
    folder = _folder()
    assert folder is not None
    item = folder / f"{name}{_SUFFIX}"
    where = str(item) if isinstance(item, Path) else f"<{PACKAGE}>/{name}{_SUFFIX}"
    return item.read_bytes(), where


def looks_like_name(text: str) -> bool:
    """Whether ``text`` may name a bundled world rather than a file.

    A name has no directory part and no ``.toml`` suffix: ``europe_1914`` is a
    name, ``europe_1914.toml`` and ``configs/europe_1914`` are paths.
    """
    return (
        bool(text)
        and text not in (".", "..")
        and "/" not in text
        and "\\" not in text
        and not text.endswith(_SUFFIX)
    )


def close_names(text: str) -> list[str]:
    """Bundled names close to ``text`` (a did-you-mean), best first."""
    names = bundled_names()
    exact = [n for n in names if n.lower() == text.lower()]
    return exact or difflib.get_close_matches(text, names, n=2, cutoff=0.6)
