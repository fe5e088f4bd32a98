"""The one set of numba options every jitted function in escalate uses, and its cache.

Every jitted function is declared with :func:`jit` (``@jit()``, ``@jit(**PARALLEL_OPTIONS)``,
``@jit(**INLINE_OPTIONS)``): the options of :data:`NJIT_OPTIONS` plus a compiled-kernel
cache, which is what ``cache=True`` would give with these differences:

- **Where**: ``$NUMBA_CACHE_DIR/<dir>_<hash>/`` when ``NUMBA_CACHE_DIR`` is set (numba's
  own layout), else the per-user cache directory
  ``platformdirs.user_cache_dir("escalate")/numba/<version>-<hash>/`` (``~/.cache/escalate``
  on Linux), where ``<hash>`` is a short hash of the path of the package's source
  directory, so that two installs never share entries. Never the package directory:
  numba's default ``__pycache__`` next to the sources outlives ``pip uninstall`` and then
  shadows an editable install of the package.
- **Freshness**: an entry is valid for the sources of every module of the package that
  jits through this file (not only the function's own file), so that an edit of
  :mod:`escalate.rng` also recompiles the kernel that inlines its functions.
- **No writable directory** (read-only install, ``HOME`` and ``NUMBA_CACHE_DIR``
  unwritable): kernels are compiled without a cache, in every process, after one
  :class:`KernelCacheWarning`. A corrupt or truncated cache file is ignored: the
  kernel is compiled again and the entry overwritten.

Only the dispatchers made here get this cache: numba's global configuration is left
alone, so other libraries' jitted functions in the same process behave as usual.

The cache extends numba's private caching classes (``numba.core.caching``), which may
change in any release: pyproject.toml caps numba at the versions CI tests, and all the
code that touches them is :func:`_private_cache_class` (and the one assignment in
:func:`_attach_cache`). Should a numba version lack them, :func:`jit` falls back to
numba's own ``cache=True`` (in ``__pycache__`` next to the sources) after one
:class:`KernelCacheWarning`.

``fastmath`` stays off so that the kernel and the plain-Python reference agree bit
for bit; ``error_model`` "numpy" avoids a zero-division check in the hot loop
(divisions are guarded).
"""

from __future__ import annotations

import functools
import hashlib
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import platformdirs
from numba import njit
from numba.core import config
from numba.core.dispatcher import Dispatcher

from .._version import __version__

__all__ = [
    "INLINE_OPTIONS",
    "NJIT_OPTIONS",
    "PARALLEL_OPTIONS",
    "KernelCacheWarning",
    "jit",
    "user_cache_dir",
]

#: Options of every jitted function. No ``cache`` key: :func:`jit` attaches the cache.
NJIT_OPTIONS: dict[str, object] = {
    "nogil": True,
    "fastmath": False,
    "error_model": "numpy",
}
PARALLEL_OPTIONS: dict[str, object] = {**NJIT_OPTIONS, "parallel": True}
#: Small helpers of a kernel are inlined into it at numba-IR level: a real call
#: passing arrays costs atomic reference-count updates in the hot loop. (They are
#: compiled, and their cache written, only when called from Python directly.)
INLINE_OPTIONS: dict[str, object] = {**NJIT_OPTIONS, "inline": "always"}

F = TypeVar("F", bound=Callable[..., Any])


class KernelCacheWarning(RuntimeWarning):
    """The compiled-kernel cache cannot be used: kernels are compiled in every process."""


def jit(**options: object) -> Callable[[F], F]:
    """``numba.njit`` with :data:`NJIT_OPTIONS` (updated by ``options``) and escalate's cache."""
    merged = {**NJIT_OPTIONS, **options}
    if merged.pop("cache", True) is not True:
        raise ValueError("every escalate kernel is cached: do not pass cache=False")

    def decorate(func: F) -> F:
        if _private_cache_class() is None:
            return _numba_cache(func, merged)
        # the options are a dict of mixed types, which numba's typed overloads cannot see
        return _attach_cache(njit(**merged)(func))  # type: ignore[call-overload]

    return decorate


def user_cache_dir(py_file: str | os.PathLike[str]) -> Path:
    """The per-user cache directory of the kernels of the source file ``py_file``.

    ``platformdirs.user_cache_dir("escalate")/numba/<escalate version>-<hash>``: the hash
    (of the path of the file's directory) keeps two installs of the package apart.
    """
    source_dir = os.path.dirname(os.path.abspath(py_file))
    digest = hashlib.sha256(source_dir.encode()).hexdigest()[:12]
    return Path(platformdirs.user_cache_dir("escalate")) / "numba" / f"{__version__}-{digest}"


# -- freshness: the sources of every jitted module of the package ---------------------------


@functools.cache
def _file_digest(path: str, mtime_ns: int, size: int) -> bytes:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).digest()


@functools.cache
def _jitted_modules(source_dir: str) -> tuple[str, ...]:
    """The ``*.py`` files of ``source_dir`` that jit through this module (this one included)."""
    found = []
    for path in sorted(Path(source_dir).glob("*.py")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if path.name == "options.py" or "from .options import" in text:
            found.append(str(path))
    return tuple(found)


def _source_stamp(py_file: str) -> str:
    """A hash of ``py_file`` and of every jitted module next to it (their callees)."""
    py_file = os.path.abspath(py_file)
    paths = sorted({py_file, *_jitted_modules(os.path.dirname(py_file))})
    h = hashlib.sha256()
    for path in paths:
        st = os.stat(path)
        h.update(os.path.basename(path).encode() + b"\0")
        h.update(_file_digest(path, st.st_mtime_ns, st.st_size))
    return h.hexdigest()


@functools.cache
def _private_cache_class() -> type | None:
    """The class of escalate's cache, on numba's private caching classes (None: unavailable).

    The only code that touches ``numba.core.caching``: if this numba version lacks a
    class or method it extends, :func:`jit` falls back to numba's own cache.
    """
    try:
        return _build_cache_class()
    except (ImportError, AttributeError, TypeError) as exc:
        _warn_once(
            f"this numba version lacks the caching classes escalate extends ({exc}); "
            "numba's own cache (cache=True) is used",
            compiles=False,
        )
        return None


def _build_cache_class() -> type:
    from numba.core import caching

    # ``_UserProvidedCacheLocator`` in older numba versions.
    provided = getattr(caching, "UserProvidedCacheLocator", None)
    if provided is None:
        provided = caching._UserProvidedCacheLocator  # type: ignore[attr-defined]

    class _StampMixin:
        _py_file: str

        def get_source_stamp(self) -> str:
            return _source_stamp(self._py_file)

    class _EnvCacheLocator(_StampMixin, provided):  # type: ignore[valid-type,misc]
        """``$NUMBA_CACHE_DIR/...`` (numba's layout) when that variable is set."""

    class _UserCacheLocator(
        _StampMixin, caching._SourceFileBackedLocatorMixin, caching._CacheLocator
    ):
        """:func:`user_cache_dir`."""

        def __init__(self, py_func: Callable[..., Any], py_file: str) -> None:
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._cache_path = str(user_cache_dir(py_file))

        def get_cache_path(self) -> str:
            return self._cache_path

    class _CacheImpl(caching.CompileResultCacheImpl):
        # Never numba's in-tree ``__pycache__`` locator: see the module docstring.
        _locator_classes = [_EnvCacheLocator, _UserCacheLocator]  # noqa: RUF012 (numba's API)

    class _TolerantCacheFile(caching.IndexDataCacheFile):
        """An index and data files of which an unreadable one counts as missing."""

        def _load_index(self) -> dict:
            try:
                return super()._load_index()
            except Exception:  # truncated or corrupt index: start afresh, the save rewrites it
                return {}

        def load(self, key: Any) -> Any:
            try:
                return super().load(key)
            except Exception:  # truncated or corrupt data file: compile, the save overwrites it
                return None

    class _KernelCache(caching.FunctionCache):
        _impl_class = _CacheImpl

        def __init__(self, py_func: Callable[..., Any]) -> None:
            super().__init__(py_func)
            self._cache_file = _TolerantCacheFile(
                cache_path=self._cache_path,
                filename_base=self._impl.filename_base,
                source_stamp=self._impl.locator.get_source_stamp(),
            )

        def load_overload(self, sig: Any, target_context: Any) -> Any:
            try:
                return super().load_overload(sig, target_context)
            except Exception:  # an entry that cannot be rebuilt: compile instead
                return None

        def save_overload(self, sig: Any, data: Any) -> None:
            try:
                super().save_overload(sig, data)
            except OSError as exc:  # e.g. a full disk, or the directory became read-only
                _warn_once(f"cannot write the compiled-kernel cache in {self._cache_path} ({exc})")

    return _KernelCache


_warned = False


def _warn_once(problem: str, compiles: bool = True) -> None:
    """One :class:`KernelCacheWarning` per process; ``compiles``: says kernels compile every run."""
    global _warned
    if _warned:
        return
    _warned = True
    consequence = (
        "; kernels will be compiled on every run (about 20 s). "
        "Set NUMBA_CACHE_DIR to a writable directory to keep them."
        if compiles
        else "."
    )
    warnings.warn(f"escalate: {problem}{consequence}", KernelCacheWarning, stacklevel=4)


def _attach_cache(dispatcher: F) -> F:
    """Give ``dispatcher`` escalate's kernel cache, or none (one warning) if none is writable."""
    if not isinstance(dispatcher, Dispatcher):  # NUMBA_DISABLE_JIT=1: a plain function
        return dispatcher
    cache_class = _private_cache_class()
    assert cache_class is not None  # jit() checked
    try:
        dispatcher._cache = cache_class(dispatcher.py_func)  # type: ignore[attr-defined]
    except (RuntimeError, OSError):  # "no locator available": no writable directory
        _warn_no_directory(dispatcher.py_func)
    return dispatcher


def _numba_cache(func: F, options: dict[str, object]) -> F:
    """``numba.njit(cache=True)``: the fallback when numba's caching classes changed."""
    try:
        return njit(cache=True, **options)(func)  # type: ignore[call-overload]
    except RuntimeError:  # "no locator available": no writable directory
        _warn_no_directory(func)
        return njit(**options)(func)  # type: ignore[call-overload]


def _warn_no_directory(py_func: Callable[..., Any]) -> None:
    tried = [str(user_cache_dir(py_func.__code__.co_filename))]
    cache_dir = getattr(config, "CACHE_DIR", "")  # set from the environment at import
    if cache_dir:
        tried.insert(0, f"NUMBA_CACHE_DIR={cache_dir}")
    where = ", ".join(tried)
    _warn_once(f"no writable directory for the compiled-kernel cache (tried {where})")
