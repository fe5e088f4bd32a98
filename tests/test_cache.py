"""Where compiled kernels are cached, and that a missing or broken cache never stops a run.

The cache lives in ``$NUMBA_CACHE_DIR`` when that is set, else in the per-user cache
directory (platformdirs), never in the package directory: numba's ``__pycache__``
there outlives ``pip uninstall`` and then hides an editable install. Without a
writable directory kernels are compiled in every process after one warning; a
truncated cache file is recompiled and overwritten.

The kernel itself is checked where it is cheap: a new process loads it from the cache
this one wrote or read, in seconds. What a fresh, truncated or unwritable cache does is
the cache class's, the same for every function jitted through escalate's ``jit``; a small
function in a module of its own shows it in seconds, where compiling the kernel from
scratch takes minutes (and the first command of a fresh install does it anyway).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import platformdirs
import pytest

import escalate
from escalate.engine.kernel import run_chunk
from escalate.engine.options import PARALLEL_OPTIONS, jit

PACKAGE = Path(escalate.__file__).resolve().parent
TIMEOUT = 600  # a hang guard: a subprocess loads the kernel in seconds

#: Simulates a small world into ``df``.
SETUP = """
import hashlib
import escalate
from escalate.engine.kernel import run_chunk

world = escalate.world_from_dict({
    "name": "cache-test",
    "incident": {"initiator": "A", "target": "B"},
    "nations": [{"id": i, "power": 1.0, "major": True} for i in "ABCD"],
    "alliances": [
        {"name": "x", "kind": "defense", "members": ["B", "C"]},
        {"name": "y", "kind": "offense", "members": ["A", "D"]},
    ],
})
df = escalate.simulate(world, 500, seed=3)
"""
#: Prints the kernel's cache directory, its hits and misses, and a digest of the rows.
REPORT = """
stats = run_chunk.stats
print("CACHE", stats.cache_path)
print("HITS", sum(stats.cache_hits.values()), "MISSES", sum(stats.cache_misses.values()))
print("DIGEST", hashlib.sha256(df.to_csv().encode()).hexdigest())
"""
SCRIPT = SETUP + REPORT


def _expected_digest() -> str:
    """The digest :data:`SCRIPT` prints, from this process (its kernel is warm)."""
    scope: dict = {}
    exec(SETUP, scope)
    return hashlib.sha256(scope["df"].to_csv().encode()).hexdigest()


def _run(tmp_path: Path, script: str = SCRIPT, **env: str) -> tuple[dict[str, str], str]:
    """Run ``script`` in ``tmp_path`` with ``env`` in a subprocess; its printed values, stderr."""
    full = {
        k: v
        for k, v in os.environ.items()
        if k not in {"NUMBA_CACHE_DIR", "NUMBA_CACHE_LOCATOR_CLASSES", "PYTHONWARNINGS"}
    }
    full.update(env)
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=full,
        cwd=tmp_path,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "Error" not in proc.stderr, proc.stderr
    values = {}
    for line in proc.stdout.splitlines():
        key, _, rest = line.partition(" ")
        values[key] = rest
    return values, proc.stderr


def _package_cache_files() -> dict[Path, int]:
    """Numba cache files in the package directory, with their modification times."""
    return {p: p.stat().st_mtime_ns for p in PACKAGE.rglob("*") if p.suffix in {".nbi", ".nbc"}}


def _truncate(files: list[Path]) -> dict[Path, int]:
    """Cut each file to half its size; the new sizes."""
    assert files
    sizes = {}
    for f in files:
        size = f.stat().st_size // 2
        os.truncate(f, size)
        sizes[f] = size
    return sizes


def test_kernel_cache_dir_is_outside_the_package_and_honours_numba_cache_dir(tmp_path, monkeypatch):
    # The kernel this process loaded: wherever the test runner put it, not in the package.
    assert run_chunk.stats.cache_path is not None
    assert not Path(run_chunk.stats.cache_path).resolve().is_relative_to(PACKAGE)

    # NUMBA_CACHE_DIR set: numba's layout under it.
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path / "numba"))
    path = Path(jit(**PARALLEL_OPTIONS)(run_chunk.py_func).stats.cache_path)
    assert path.parent == tmp_path / "numba"

    # Not set: the per-user cache directory, per version and install.
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = Path(jit(**PARALLEL_OPTIONS)(run_chunk.py_func).stats.cache_path)
    assert path.is_relative_to(platformdirs.user_cache_dir("escalate"))
    assert path.is_relative_to(tmp_path)
    assert path.name.startswith(escalate.__version__ + "-")
    assert path.is_dir()


def test_a_new_process_loads_the_kernel_from_the_cache(tmp_path):
    # This process compiled the kernel (and wrote the cache) or loaded it from there.
    expected = _expected_digest()
    before = _package_cache_files()
    env = {k: os.environ[k] for k in ("NUMBA_CACHE_DIR",) if k in os.environ}
    out, err = _run(tmp_path, **env)
    assert out["DIGEST"] == expected
    assert out["HITS"] == "1 MISSES 0", (out, err)
    assert "CacheWarning" not in err
    cache = Path(out["CACHE"]).resolve()
    assert cache == Path(run_chunk.stats.cache_path).resolve()
    assert not cache.is_relative_to(PACKAGE)
    assert _package_cache_files() == before


# What a fresh, broken or missing cache does is the cache class's, the same for every
# function jitted through escalate's ``jit``: a small parallel function in a module of its
# own shows it in seconds, where the kernel would take minutes to compile each time.
TINY_MODULE = """
import numpy as np
from numba import prange

from escalate.engine.options import PARALLEL_OPTIONS, jit


@jit(**PARALLEL_OPTIONS)
def tiny(n):
    out = np.empty(n)
    for i in prange(n):
        out[i] = 2.0 * i + 1.0
    return out
"""
TINY_SCRIPT = """
import sys
sys.path.insert(0, ".")
from tinykernel import tiny

values = tiny(5)
stats = tiny.stats
print("CACHE", stats.cache_path)
print("HITS", sum(stats.cache_hits.values()), "MISSES", sum(stats.cache_misses.values()))
print("DIGEST", values.tolist())
"""
TINY_VALUES = "[1.0, 3.0, 5.0, 7.0, 9.0]"


def test_a_fresh_cache_is_written_in_the_user_cache_dir_and_loaded_from_it(tmp_path):
    (tmp_path / "tinykernel.py").write_text(TINY_MODULE)
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(xdg)}
    before = _package_cache_files()

    # Compiled, written under XDG_CACHE_HOME (no NUMBA_CACHE_DIR), nothing in the package.
    out, err = _run(tmp_path, script=TINY_SCRIPT, **env)
    assert out["DIGEST"] == TINY_VALUES and out["HITS"] == "0 MISSES 1"
    cache = Path(out["CACHE"])
    assert cache.is_relative_to(xdg / "escalate"), out["CACHE"]
    assert cache.name.startswith(escalate.__version__ + "-")
    assert sorted(cache.glob("tinykernel.tiny-*.nbi")) and sorted(cache.glob("*.nbc"))
    assert not list(tmp_path.rglob("__pycache__/*.nbi"))

    # The next process loads it from there.
    out, err = _run(tmp_path, script=TINY_SCRIPT, **env)
    assert out["DIGEST"] == TINY_VALUES
    assert out["HITS"] == "1 MISSES 0"
    assert "CacheWarning" not in err
    assert _package_cache_files() == before


def test_truncated_cache_files_are_recompiled_and_overwritten(tmp_path):
    (tmp_path / "tinykernel.py").write_text(TINY_MODULE)
    env = {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    out, err = _run(tmp_path, script=TINY_SCRIPT, **env)
    assert out["DIGEST"] == TINY_VALUES and out["HITS"] == "0 MISSES 1"
    cache = Path(out["CACHE"])
    assert cache.is_relative_to(tmp_path / "xdg" / "escalate")
    assert sorted(cache.glob("tinykernel.tiny-*.nbi")) and sorted(cache.glob("*.nbc"))

    # Every data file truncated: recompiled (no traceback, same values) and overwritten.
    cut = _truncate(sorted(cache.glob("*.nbc")))
    out, err = _run(tmp_path, script=TINY_SCRIPT, **env)
    assert out["DIGEST"] == TINY_VALUES and out["HITS"].split()[0] == "0"
    assert all(f.stat().st_size > size for f, size in cut.items())

    # Every index truncated: the same, and the indexes are written again...
    cut = _truncate(sorted(cache.glob("*.nbi")))
    out, err = _run(tmp_path, script=TINY_SCRIPT, **env)
    assert out["DIGEST"] == TINY_VALUES and out["HITS"].split()[0] == "0"
    assert all(f.stat().st_size > size for f, size in cut.items())

    # ... so that the next run loads the function from the cache.
    out, err = _run(tmp_path, script=TINY_SCRIPT, **env)
    assert out["DIGEST"] == TINY_VALUES
    assert out["HITS"] == "1 MISSES 0"
    assert "CacheWarning" not in err


def test_no_writable_cache_dir_compiles_with_one_warning(tmp_path):
    (tmp_path / "tinykernel.py").write_text(TINY_MODULE)
    # Tests run as root, which ignores permission bits: a path under a regular file
    # cannot be created by anyone.
    afile = tmp_path / "afile"
    afile.write_text("")
    out, err = _run(
        tmp_path,
        script=TINY_SCRIPT,
        NUMBA_CACHE_DIR=str(afile / "cache"),
        HOME=str(afile / "home"),
        XDG_CACHE_HOME=str(afile / "xdg"),
    )
    assert out["DIGEST"] == TINY_VALUES
    assert out["CACHE"] == "None"
    warnings = [line for line in err.splitlines() if "KernelCacheWarning" in line]
    assert len(warnings) == 1, err
    assert str(afile / "cache") in warnings[0] and str(afile / "xdg") in warnings[0]
    assert "every run" in warnings[0]


def _double(x):
    return 2.0 * x


def test_kernels_get_escalates_cache():
    from numba.core import caching

    assert isinstance(run_chunk._cache, caching.FunctionCache)
    assert type(run_chunk._cache).__name__ == "_KernelCache"


def test_without_numbas_private_caching_classes_jit_falls_back_to_cache_true(tmp_path, monkeypatch):
    from numba.core import caching

    from escalate.engine import options

    # as if a numba release renamed a private class escalate extends (numba itself does
    # not look it up by name at run time)
    monkeypatch.delattr(caching, "_SourceFileBackedLocatorMixin")
    monkeypatch.setattr(options, "_warned", False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path / "numba"))
    options._private_cache_class.cache_clear()
    try:
        with pytest.warns(options.KernelCacheWarning, match="lacks the caching classes"):
            double = jit()(_double)
        assert options._private_cache_class() is None
        assert type(double._cache) is caching.FunctionCache  # numba's own, as cache=True
        assert double(np.arange(3.0)).tolist() == [0.0, 2.0, 4.0]
        cache = Path(double.stats.cache_path)
        assert cache.is_relative_to(tmp_path / "numba")
        assert sorted(cache.glob("*_double*.nbi")) and sorted(cache.glob("*_double*.nbc"))
    finally:
        monkeypatch.undo()
        options._private_cache_class.cache_clear()
    assert options._private_cache_class() is not None


def test_jit_refuses_to_turn_the_cache_off():
    with pytest.raises(ValueError, match="cached"):
        jit(cache=False)


def test_ci_runs_every_test() -> None:
    """The command CI runs (the README's) selects no markers: nothing is left out."""
    import tomllib

    pyproject = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    options = pyproject["tool"]["pytest"]["ini_options"]
    assert "-m" not in options["addopts"].split()
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    dev = [line for line in readme.splitlines() if "pip install -e '.[dev]'" in line]
    assert len(dev) == 1 and "python -m pytest" in dev[0], dev
    pytest_args = dev[0].split("python -m pytest", 1)[1].split()
    assert "-m" not in pytest_args and "-k" not in pytest_args, pytest_args
