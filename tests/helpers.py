"""Shared test helpers: run a world through both engines and compare the results.

The two engines are the numba kernel (:mod:`escalate.engine.kernel`, driven through
:mod:`escalate.results.arrow`) and the plain-Python reference
(:mod:`escalate.engine.reference`). Both are turned into pandas frames with plain
Python values (``None`` for nulls), so that they can be compared row by row and
exactly, floats included.
"""

from __future__ import annotations

import contextlib
import math
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numba
import pandas as pd

from escalate.engine.compile import CompiledWorld, compile_world
from escalate.engine.reference import simulate_reference
from escalate.model.entities import World
from escalate.model.load import world_from_dict
from escalate.results import schema
from escalate.results.arrow import run_arrays, to_tables

#: The importer's fixture files (tests/data/importer/), as ``import_world``'s arguments.
IMPORTER = Path(__file__).resolve().parent / "data" / "importer"
IMPORTER_FILES = {
    "states": IMPORTER / "states.csv",
    "capabilities": IMPORTER / "nmc.csv",
    "majors": IMPORTER / "majors.csv",
    "atop": IMPORTER / "atop.csv",
    "cow": IMPORTER / "cow.csv",
}

__all__ = [
    "CASCADE_COLUMNS",
    "ENGINES",
    "PARTICIPANT_COLUMNS",
    "assert_frames_equal",
    "binomial_tolerance",
    "cli",
    "engines",
    "frames_equal",
    "kernel_frames",
    "make_world",
    "normalize",
    "reference_frames",
    "simulate",
    "single_thread",
    "snapshot",
    "warm_cache",
]

ENGINES = ("kernel", "reference")
#: The result columns, from the one schema (escalate.results.schema).
CASCADE_COLUMNS = tuple(c.name for c in schema.CASCADE_COLUMNS)
PARTICIPANT_COLUMNS = tuple(c.name for c in schema.PARTICIPANT_COLUMNS)


def _plain(value: Any) -> Any:
    """A plain Python value: numpy scalars unwrapped, NaN/NA/None as None."""
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def normalize(frame: pd.DataFrame | None, columns: Sequence[str]) -> pd.DataFrame | None:
    """``frame`` restricted to ``columns``, object dtype, plain Python values, index 0..n-1."""
    if frame is None:
        return None
    missing = [c for c in columns if c not in frame.columns]
    assert not missing, f"missing columns {missing}"
    data = {c: [_plain(v) for v in frame[c].tolist()] for c in columns}
    return pd.DataFrame(data, columns=list(columns), dtype=object)


def _as_world(world: World | dict) -> World:
    return world if isinstance(world, World) else world_from_dict(world, source="test")


def kernel_frames(
    world: World | dict | CompiledWorld,
    seed: int,
    start: int,
    count: int,
    participants: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Cascades and participants of replicates ``start .. start+count-1`` from the kernel."""
    cw = world if isinstance(world, CompiledWorld) else compile_world(_as_world(world))
    out, parts = run_arrays(cw, seed, start, count, participants)
    casc, part = to_tables(cw, start, out, parts, participants)
    return (
        normalize(casc.to_pandas(), CASCADE_COLUMNS),
        normalize(None if part is None else part.to_pandas(), PARTICIPANT_COLUMNS),
    )


def reference_frames(
    world: World | dict,
    seed: int,
    start: int,
    count: int,
    participants: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Cascades and participants of replicates ``start .. start+count-1`` from the reference."""
    casc, part = simulate_reference(_as_world(world), count, seed, start, participants)
    if count == 0:
        casc = pd.DataFrame(columns=list(CASCADE_COLUMNS))
    if part is None and participants:
        part = pd.DataFrame(columns=list(PARTICIPANT_COLUMNS))
    return normalize(casc, CASCADE_COLUMNS), normalize(part, PARTICIPANT_COLUMNS)


def simulate(
    engine: str,
    world: World | dict,
    count: int = 64,
    seed: int = 12345,
    start: int = 0,
    participants: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run ``world`` through the engine named ``engine`` (one of :data:`ENGINES`)."""
    if engine == "kernel":
        return kernel_frames(world, seed, start, count, participants)
    if engine == "reference":
        return reference_frames(world, seed, start, count, participants)
    raise ValueError(f"unknown engine {engine!r}")


def engines(
    world: World | dict,
    seed: int,
    start: int,
    count: int,
    participants: bool = True,
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame | None]]:
    """The same replicates from both engines: ``{"kernel": (c, p), "reference": (c, p)}``."""
    w = _as_world(world)
    return {e: simulate(e, w, count, seed, start, participants) for e in ENGINES}


def _rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in frame.itertuples(index=False, name=None)]


def _same(a: Any, b: Any) -> bool:
    """Exact equality of two plain values: same type and ``==`` (floats to the last bit)."""
    return type(a) is type(b) and a == b


def frames_equal(a: pd.DataFrame | None, b: pd.DataFrame | None) -> bool:
    """True when two normalized frames have the same columns and identical rows."""
    if a is None or b is None:
        return a is None and b is None
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    return all(
        len(x) == len(y) and all(_same(u, v) for u, v in zip(x, y, strict=True))
        for x, y in zip(_rows(a), _rows(b), strict=True)
    )


def assert_frames_equal(a: pd.DataFrame | None, b: pd.DataFrame | None, what: str = "") -> None:
    """Assert :func:`frames_equal`, reporting the first differing row."""
    if frames_equal(a, b):
        return
    label = f"{what}: " if what else ""
    assert a is not None and b is not None, f"{label}one frame is None"
    assert list(a.columns) == list(b.columns), (
        f"{label}columns {list(a.columns)} != {list(b.columns)}"
    )
    ra, rb = _rows(a), _rows(b)
    for i, (x, y) in enumerate(zip(ra, rb, strict=False)):
        if not all(_same(u, v) for u, v in zip(x, y, strict=True)):
            cols = [c for c, u, v in zip(a.columns, x, y, strict=True) if not _same(u, v)]
            raise AssertionError(f"{label}row {i} differs in {cols}:\n  {x}\n  {y}")
    raise AssertionError(f"{label}{len(ra)} rows != {len(rb)} rows")


def make_world(
    nations: dict[str, float] | Iterable[str],
    initiator: str = "A",
    target: str = "B",
    *,
    majors: Iterable[str] = (),
    alliances: Iterable[dict] = (),
    organizations: Iterable[dict] = (),
    plans: Iterable[dict] = (),
    incident: dict | None = None,
    **dynamics: Any,
) -> dict:
    """A small world dict: ``nations`` maps ids to power (a list of ids: power 1 each)."""
    powers = dict(nations) if isinstance(nations, dict) else dict.fromkeys(nations, 1.0)
    majors = set(majors)
    return {
        "name": "test",
        "dynamics": dynamics,
        "incident": incident or {"initiator": initiator, "target": target},
        "nations": [
            {"id": i, "name": i, "power": float(p), "major": i in majors} for i, p in powers.items()
        ],
        "alliances": list(alliances),
        "organizations": list(organizations),
        "plans": list(plans),
    }


def binomial_tolerance(p: float, n: int, z: float = 4.0) -> float:
    """``z`` standard errors of a binomial proportion ``p`` estimated from ``n`` trials."""
    return z * math.sqrt(p * (1.0 - p) / n)


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run the kernel on one thread inside the block (the thread count is restored).

    Many tiny kernel calls on a loaded machine are much faster without the
    parallel region's thread hand-offs; results do not depend on it (tested).
    """
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def warm_cache() -> None:
    """Compile (or load) the kernel once, one process at a time, before subprocesses."""
    import fcntl
    import tempfile

    from escalate.runner import warm_up

    lock = Path(tempfile.gettempdir()) / "escalate-tests-warm-up.lock"
    with open(lock, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            warm_up()
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def cli(*args: object, timeout: float = 90) -> subprocess.CompletedProcess:
    """Run ``python -m escalate ARGS`` in a subprocess and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "escalate", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones too) with its bytes."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }
