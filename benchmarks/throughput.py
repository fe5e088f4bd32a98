"""Throughput benchmark: cascades per second of the kernel and of ``escalate run``.

Measures, for each world (by default the IC-equivalent world and europe_1914):

* ``reference``: the plain-Python reference (``escalate.engine.reference``) on a small
  number of replicates, one thread; the baseline of every speed-up.
* ``kernel``: the numba kernel alone (``escalate.results.arrow.run_arrays``) on output
  arrays allocated once and reused across repeats; compilation excluded by a
  warm-up call; one row per thread count.
* ``simulate``: ``escalate.simulate`` (kernel, then pandas DataFrames from its arrays).
* ``end_to_end``: ``escalate.run`` into a fresh temporary directory per repeat
  (world compilation, kernel, Arrow tables, Parquet files, manifest).
* ``ratio``: ``simulate`` and ``end_to_end`` rates / kernel rate, per thread count.
* ``writer``: one writer thread alone turning one part's arrays into Arrow tables,
  encoding and writing them (Parquet, digest): the output path's rate per thread;
  beside it, pyarrow alone writing the same table with its cheapest settings.
* ``end_to_end / kernel at most``: where the kernel runs on every core, the most
  end to end can reach, since a writer needs the same cores (:func:`bound`): with
  the writer measured, and with pyarrow's cheapest write.
* ``scaling``: rate with the most threads / rate with one thread.
* ``memory``: peak resident memory of ``escalate run ... --quiet`` run as a
  separate process (so nothing else in this process counts).

Prints a table and writes every measurement, the parameters and the machine to a
JSON file. See benchmarks/README.md for the targets and how to read the numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import numba  # noqa: E402
import numpy as np  # noqa: E402
from worlds import ic_world  # noqa: E402

import escalate  # noqa: E402
from escalate.engine.compile import compile_world  # noqa: E402
from escalate.engine.reference import simulate_reference  # noqa: E402
from escalate.model.dump import dump_world  # noqa: E402
from escalate.model.entities import World  # noqa: E402
from escalate.model.load import load_world  # noqa: E402
from escalate.results import arrow as frames  # noqa: E402
from escalate.results.arrow import allocate_outputs  # noqa: E402

SCHEMA = "escalate-throughput/2"
DEFAULT_JSON = HERE / "results" / "throughput.json"
GIB = 1 << 30

FULL = {"replicates": 4_000_000, "repeats": 5, "reference_replicates": 2_000}
QUICK = {"replicates": 20_000, "repeats": 2, "reference_replicates": 200}
FULL_MEMORY_REPLICATES = 10_000_000
QUICK_MEMORY_REPLICATES = 1_000_000

#: Published single-thread rates on the IC-equivalent world (2-core machine class),
#: for context in the table and the JSON.
PEERS = {"tight C loop": 7.9e6, "cynetdiff": 1.9e6}


@dataclass(frozen=True)
class Target:
    id: str
    world: str
    mode: str  # kernel | end_to_end | simulate | ratio_* | scaling | memory
    threads: str  # "1", "2", "2/1"; "*" any
    op: str  # ">=" or "<"
    value: float
    text: str
    min_replicates: int = 0  # the target only applies to a run at least this large

    def check(self, measured: float) -> bool:
        return measured >= self.value if self.op == ">=" else measured < self.value


TARGETS = [
    Target("ic_kernel_1t", "ic", "kernel", "1", ">=", 5e6, ">= 5.0 M/s"),
    Target("ic_kernel_2t", "ic", "kernel", "2", ">=", 9e6, ">= 9.0 M/s (1.8 x 5 M)"),
    Target("ic_kernel_scaling", "ic", "scaling", "2/1", ">=", 1.8, ">= 1.8x"),
    Target("europe_1914_e2e_2t", "europe_1914", "end_to_end", "2", ">=", 1e6, ">= 1.0 M/s"),
    *(
        Target(f"{w}_{m}_ratio_2t", w, f"ratio_{m}", "2", ">=", 0.8, ">= 0.8 x kernel")
        for w in ("ic", "europe_1914")
        for m in ("end_to_end", "simulate")
    ),
    Target(
        "europe_1914_memory",
        "europe_1914",
        "memory",
        "*",
        "<",
        GIB,
        "< 1 GiB @ 10 M",
        min_replicates=FULL_MEMORY_REPLICATES,
    ),
]


# ----------------------------------------------------------------------------- worlds


def load_benchmark_world(spec: str) -> World:
    """``ic`` (the IC-equivalent world), a bundled config name, or a TOML path."""
    if spec == "ic":
        return ic_world()
    path = Path(spec)
    if path.suffix == ".toml":
        return load_world(path)
    bundled = ROOT / "configs" / f"{spec}.toml"
    if bundled.exists():
        return load_world(bundled)
    raise SystemExit(f"throughput.py: unknown world {spec!r} (ic, a configs/ name, or a .toml)")


def world_file(w: World, tmp: Path) -> Path:
    """A TOML file holding ``w`` (its own file when it came from one)."""
    src = Path(w.source)
    if src.suffix == ".toml" and src.is_file():
        return src
    path = tmp / f"{w.name}.toml"
    path.write_text(dump_world(w))
    return path


def describe_world(w: World) -> dict[str, Any]:
    return {
        "name": w.name,
        "source": w.source,
        "nations": len(w.nations),
        "alliances": len(w.alliances),
        "organizations": len(w.organizations),
        "plans": len(w.plans),
        "hash": w.canonical_hash(),
    }


# ----------------------------------------------------------------------------- timing


def summarize(seconds: list[float], count: int) -> dict[str, Any]:
    fastest, median = min(seconds), statistics.median(seconds)
    return {
        "replicates": count,
        "repeats": len(seconds),
        "seconds": seconds,
        "fastest_s": fastest,
        "median_s": median,
        "rate_fastest": count / max(fastest, 1e-9),
        "rate_median": count / max(median, 1e-9),
    }


def timed(fn: Callable[[], Any], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def bench_reference(w: World, count: int, repeats: int, seed: int) -> tuple[dict, np.ndarray]:
    result: list = []

    def once() -> None:
        result[:] = [simulate_reference(w, count, seed)[0]]

    m = summarize(timed(once, repeats), count)
    return m, result[0]["belligerents"].to_numpy()


def bench_kernel(
    w: World, count: int, repeats: int, threads: int, seed: int
) -> tuple[dict, np.ndarray]:
    cw = compile_world(w)
    numba.set_num_threads(threads)
    frames.run_arrays(cw, seed, 0, min(count, 4096), False)  # warm-up: threads started
    # outputs allocated and touched once, so the timing holds the kernel only
    # (not page faults of fresh memory)
    buffers = allocate_outputs(count, cw.n, False)
    for a in (*buffers[0].values(), *buffers[1].values()):
        a.fill(0)

    def once() -> None:
        frames.run_arrays(cw, seed, 0, count, False, outputs=buffers)

    m = summarize(timed(once, repeats), count)
    out = buffers[0]
    m["mean_belligerents"] = float(out["belligerents"].mean())
    m["world_war_share"] = float(out["world_war"].mean())
    return m, out["belligerents"].copy()


def bench_end_to_end(
    w: World, count: int, repeats: int, threads: int, seed: int, tmp_root: Path
) -> dict:
    seconds, files, nbytes = [], 0, 0
    for i in range(repeats):
        d = Path(tempfile.mkdtemp(prefix=f"e2e-{w.name}-{threads}t-{i}-", dir=tmp_root))
        try:
            t0 = time.perf_counter()
            summary = escalate.run([w], d / "out", count, seed, threads=threads)
            seconds.append(time.perf_counter() - t0)
            parquet = list((d / "out").rglob("*.parquet"))
            files, nbytes = len(parquet), sum(p.stat().st_size for p in parquet)
            assert summary.rows == count, summary
        finally:
            shutil.rmtree(d, ignore_errors=True)
    m = summarize(seconds, count)
    m["parquet_files"] = files
    m["parquet_bytes"] = nbytes
    return m


def bench_simulate(w: World, count: int, repeats: int, threads: int, seed: int) -> dict:
    """``escalate.simulate`` of ``count`` replicates: kernel, Arrow tables, DataFrame."""

    def once() -> None:
        escalate.simulate(w, count, seed, threads=threads)

    return summarize(timed(once, repeats), count)


def bench_writer(w: World, count: int, repeats: int, seed: int, tmp_root: Path) -> dict:
    """One writer thread alone on one part, as ``run``'s writers do it.

    The kernel's arrays of one part (``count`` replicates, at most a default
    chunk) are computed first and not timed; the writer turns them into Arrow
    tables, encodes and writes the Parquet file (with its digest). The rate is rows
    written per second of one thread. ``floor_*`` is pyarrow alone writing the same
    table with its cheapest settings (no compression, no dictionary encoding but
    for the id columns, no checksums, no digest): what any writer built on pyarrow
    costs at least.
    """
    import pyarrow.parquet as pq

    from escalate.results.arrow import to_tables
    from escalate.results.store import write_part
    from escalate.runner.parts import DEFAULT_CHUNK, part_arrays

    count = min(count, DEFAULT_CHUNK)
    cw = compile_world(w)
    out, parts = part_arrays(cw, seed, 0, count, False)
    path = tmp_root / f"writer-{w.name}.parquet"

    def once() -> None:
        cascades, _ = to_tables(cw, 0, out, parts, False)
        write_part(path, cascades, {"escalate.bench": "1"})

    m = summarize(timed(once, repeats), count)
    m["parquet_bytes"] = path.stat().st_size
    table, _ = to_tables(cw, 0, out, parts, False)
    labels = [f.name for f in table.schema if f.type.id == table.schema.field("target").type.id]

    def floor() -> None:
        pq.write_table(table, path, compression="none", use_dictionary=labels,
                       write_statistics=False, write_page_checksum=False)  # fmt: skip

    f = summarize(timed(floor, repeats), count)
    m["floor_rate_fastest"], m["floor_rate_median"] = f["rate_fastest"], f["rate_median"]
    m["floor_parquet_bytes"] = path.stat().st_size
    path.unlink()
    return m


def bound(kernel_rate: float, threads: int, writer_rate: float) -> float:
    """The most ``end_to_end / kernel`` can be when every core runs the kernel.

    With ``threads`` kernel threads on as many cores, a cascade costs
    ``threads / kernel_rate`` core-seconds in the kernel and ``1 / writer_rate`` in
    a writer; the cores can do no more than both: ``end_to_end <= threads /
    (threads / kernel_rate + 1 / writer_rate)``.

    >>> round(bound(8e6, 2, 4e6), 2)
    0.5
    """
    return 1 / (1 + kernel_rate / (threads * writer_rate))


def bench_memory(w: World, count: int, threads: int, seed: int, tmp_root: Path) -> dict:
    """Peak RSS of ``escalate run`` of ``count`` replicates in a child process."""
    d = Path(tempfile.mkdtemp(prefix=f"mem-{w.name}-", dir=tmp_root))
    try:
        wfile = world_file(w, d)
        cmd = [
            sys.executable,
            "-m",
            "escalate",
            "run",
            str(wfile),
            "--replicates",
            str(count),
            "--seed",
            str(seed),
            "--threads",
            str(threads),
            "--out",
            str(d / "out"),
            "--quiet",
            "--json",
        ]
        with open(d / "stdout", "w+b") as so, open(d / "stderr", "w+b") as se:
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=so, stderr=se)
            if hasattr(os, "wait4"):  # the rusage of this child alone
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
                maxrss = usage.ru_maxrss
            else:  # pragma: no cover - every POSIX system has wait4
                import resource

                proc.wait()
                maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            wall = time.perf_counter() - t0
            so.seek(0)
            se.seek(0)
            stdout, stderr = so.read().decode(), se.read().decode()
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr}")
        # ru_maxrss is in KiB on Linux, in bytes on macOS
        peak = maxrss if sys.platform == "darwin" else maxrss * 1024
        summary = json.loads(stdout.strip().splitlines()[-1])
        return {
            "replicates": count,
            "threads": threads,
            "peak_rss_bytes": peak,
            "peak_rss_mib": peak / (1 << 20),
            "wall_s": wall,
            "run_s": summary["seconds"],
            "rate_run": summary["cascades_per_second"],
            "rate_wall": count / wall,
            "command": " ".join(["python", *cmd[1:4], wfile.name, *cmd[5:-3], "DIR", *cmd[-2:]]),
        }
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ----------------------------------------------------------------------------- machine


def _git(*args: str) -> str | None:
    try:
        r = subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.strip() if r.returncode == 0 else None


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    import pandas
    import pyarrow

    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "numba_num_threads": numba.config.NUMBA_NUM_THREADS,
        "pyarrow": pyarrow.__version__,
        "pandas": pandas.__version__,
        "escalate": escalate.__version__,
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": None if status is None else bool(status),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


# ----------------------------------------------------------------------------- report


def _rate(x: float) -> str:
    return f"{x:,.0f}"


def evaluate_targets(result: dict) -> list[dict]:
    rows = []
    for t in TARGETS:
        measured = None
        replicates = None
        if t.mode in ("kernel", "end_to_end"):
            for m in result["measurements"]:
                if (m["world"], m["mode"], str(m["threads"])) == (t.world, t.mode, t.threads):
                    measured, replicates = m["rate_fastest"], m["replicates"]
        elif t.mode.startswith("ratio_"):
            for r in result["ratios"]:
                if (r["world"], str(r["threads"])) == (t.world, t.threads):
                    measured = r[t.mode.removeprefix("ratio_")]
        elif t.mode == "scaling":
            for s in result["scaling"]:
                if (s["world"], s["mode"], s["threads"]) == (t.world, "kernel", t.threads):
                    measured = s["ratio_fastest"]
        elif t.mode == "memory":
            for m in result["memory"]:
                if m["world"] == t.world:
                    measured, replicates = m["peak_rss_bytes"], m["replicates"]
        applies = measured is not None and (replicates or 0) >= t.min_replicates
        rows.append(
            {
                "id": t.id,
                "world": t.world,
                "mode": t.mode,
                "threads": t.threads,
                "op": t.op,
                "target": t.value,
                "text": t.text,
                "measured": measured,
                "met": t.check(measured) if applies else None,
                "note": None
                if applies or measured is None
                else f"needs a run of {t.min_replicates:,} replicates",
            }
        )
    return rows


def _target_for(world: str, mode: str, threads: str) -> dict | None:
    return next(
        (
            {"text": t.text, "id": t.id}
            for t in TARGETS
            if (t.world, t.mode) == (world, mode) and t.threads in (threads, "*")
        ),
        None,
    )


def _output_rows(result: dict, world: str, status: Callable) -> list[tuple[str, ...]]:
    """Table rows of the ratios to the kernel and of the writer's rate per thread."""
    rows: list[tuple[str, ...]] = []
    for r in result["ratios"]:
        if r["world"] == world:
            for mode in ("simulate", "end_to_end"):
                tgt = status(world, f"ratio_{mode}", str(r["threads"]))
                rows.append((world, f"{mode} / kernel", str(r["threads"]), f"{r[mode]:.2f}",
                             "", "", *tgt))  # fmt: skip
    for r in result["ratios"]:
        if r["world"] == world and "end_to_end_bound" in r:
            for key, what in (("end_to_end_bound", "this writer"),
                              ("end_to_end_bound_floor", "pyarrow's cheapest write")):  # fmt: skip
                rows.append((world, f"end_to_end / kernel at most, {what}", str(r["threads"]),
                             f"{r[key]:.2f}", "", "", "", ""))  # fmt: skip
    for m in result["writer"]:
        if m["world"] == world:
            rows.append((world, "writer, per thread", "1", _rate(m["rate_fastest"]),
                         _rate(m["rate_median"]), "", "", ""))  # fmt: skip
            rows.append((world, "pyarrow's cheapest write, per thread", "1",
                         _rate(m["floor_rate_fastest"]), _rate(m["floor_rate_median"]),
                         "", "", ""))  # fmt: skip
    return rows


def print_table(result: dict, file=sys.stdout) -> None:
    met = {t["id"]: t["met"] for t in result["targets"]}

    def status(world: str, mode: str, threads: str) -> tuple[str, str]:
        t = _target_for(world, mode, threads)
        if t is None:
            return "", ""
        m = met.get(t["id"])
        return t["text"], {True: "yes", False: "NO", None: "n/a"}[m]

    header = (
        "world",
        "mode",
        "threads",
        "cascades/s (fastest)",
        "(median)",
        "x reference",
        "target",
        "met?",
    )
    rows: list[tuple[str, ...]] = []
    for world in result["parameters"]["worlds"]:
        ms = [m for m in result["measurements"] if m["world"] == world]
        for m in ms:
            speed = "1.0x" if m["mode"] == "reference" else f"{m['speedup_vs_reference']:,.0f}x"
            rows.append(
                (
                    world,
                    m["mode"],
                    str(m["threads"]),
                    _rate(m["rate_fastest"]),
                    _rate(m["rate_median"]),
                    speed,
                    *status(world, m["mode"], str(m["threads"])),
                )
            )
        rows += _output_rows(result, world, status)
        for s in result["scaling"]:
            if s["world"] == world:
                tgt = status(world, "scaling", s["threads"]) if s["mode"] == "kernel" else ("", "")
                rows.append(
                    (
                        world,
                        f"{s['mode']} scaling",
                        s["threads"],
                        f"{s['ratio_fastest']:.2f}x",
                        f"{s['ratio_median']:.2f}x",
                        "",
                        *tgt,
                    )
                )
        for m in result["memory"]:
            if m["world"] == world:
                rows.append(
                    (
                        world,
                        f"peak RSS @ {m['replicates']:,}",
                        str(m["threads"]),
                        f"{m['peak_rss_mib']:,.0f} MiB",
                        f"({_rate(m['rate_run'])}/s)",
                        "",
                        *status(world, "memory", str(m["threads"])),
                    )
                )
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    right = {3, 4, 5}

    def fmt(r: tuple[str, ...]) -> str:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    print(fmt(header), file=file)
    print("  ".join("-" * w for w in widths), file=file)
    for r in rows:
        print(fmt(r), file=file)
    p = result["parameters"]
    mach = result["machine"]
    print(
        f"\nkernel/end_to_end: {p['replicates']:,} replicates, best and median of "
        f"{p['repeats']}; reference: {p['reference_replicates']:,} replicates; "
        f"seed {p['seed']}; {mach['cpu_count']} CPUs ({mach['cpu_model']}), "
        f"load average {', '.join(f'{x:.2f}' for x in mach['load_average'] or [])}",
        file=file,
    )
    peers = ", ".join(f"{k} {v / 1e6:.1f} M/s" for k, v in PEERS.items())
    print(f"context, IC-equivalent world on one thread: {peers}", file=file)
    for m in result["measurements"]:
        if m["mode"] != "kernel":
            continue
        if not m.get("agrees_with_reference", True):
            print(f"WARNING: {m['world']} kernel rows differ from the reference", file=file)


# ----------------------------------------------------------------------------- main


def _threads(text: str) -> list[int]:
    try:
        values = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma list of integers: {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"thread counts must be >= 1: {text!r}")
    return values


def _count(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text!r}")
    return value


def _names(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="benchmarks/throughput.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Cascades per second of the escalate kernel and of `escalate run` end to end\n"
            "(Parquet included), against the plain-Python reference, with 1 and 2 threads;\n"
            "plus the peak memory of a large `escalate run` in a child process.\n\n"
            "modes (rows of the table):\n"
            "  reference   plain-Python reference, one thread (baseline of 'x reference')\n"
            "  kernel      numba kernel only, outputs preallocated, compilation excluded\n"
            "  simulate    escalate.simulate(): kernel + pandas DataFrame from its arrays\n"
            "  end_to_end  escalate.run() into a fresh directory: tables + Parquet + manifest\n"
            "  X / kernel  rate of simulate or end_to_end / kernel rate, same threads\n"
            "  writer      one writer thread alone: Arrow tables + Parquet + digest of one part;\n"
            "              and pyarrow's cheapest write of the same table (the floor)\n"
            "  at most     end_to_end / kernel can be no more than this when the kernel\n"
            "              runs on every core: the writer needs the same cores\n"
            "  scaling     rate with N threads / rate with 1 thread\n"
            "  peak RSS    max resident memory of `escalate run ... --quiet` (child process)\n\n"
            "Each timing is repeated; the table shows the fastest and the median repeat,\n"
            "targets are judged on the fastest. Targets: benchmarks/README.md."
        ),
        epilog=(
            "examples:\n"
            "  python benchmarks/throughput.py                # full run (a few minutes)\n"
            "  python benchmarks/throughput.py --quick        # smoke run (seconds)\n"
            "  python benchmarks/throughput.py --worlds ic --threads 1 --repeats 3\n"
            "Set NUMBA_CACHE_DIR to reuse compiled kernels between runs."
        ),
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=(
            f"small smoke run: {QUICK['replicates']:,} replicates, {QUICK['repeats']} repeats, "
            f"{QUICK['reference_replicates']:,} reference replicates, memory run of "
            f"{QUICK_MEMORY_REPLICATES:,} (explicit options still win)"
        ),
    )
    p.add_argument(
        "--replicates",
        type=_count,
        metavar="N",
        help=f"replicates per kernel / end-to-end repeat (default {FULL['replicates']:,})",
    )
    p.add_argument(
        "--repeats",
        type=_count,
        metavar="R",
        help=f"timed repeats of each measurement (default {FULL['repeats']})",
    )
    p.add_argument(
        "--reference-replicates",
        type=_count,
        metavar="N",
        help=f"replicates of the plain-Python reference (default {FULL['reference_replicates']:,})",
    )
    p.add_argument(
        "--memory-replicates",
        type=_count,
        metavar="N",
        help=(
            f"replicates of the peak-memory run (default {FULL_MEMORY_REPLICATES:,}; "
            f"--quick: {QUICK_MEMORY_REPLICATES:,}; 0 skips it)"
        ),
    )
    p.add_argument(
        "--memory-worlds",
        type=_names,
        default=["europe_1914"],
        metavar="LIST",
        help="worlds (among --worlds) whose peak memory is measured (default europe_1914)",
    )
    p.add_argument(
        "--threads",
        type=_threads,
        default=[1, 2],
        metavar="LIST",
        help="comma list of numba thread counts (default 1,2)",
    )
    p.add_argument(
        "--worlds",
        type=_names,
        default=["ic", "europe_1914"],
        metavar="LIST",
        help=(
            "comma list: 'ic' (IC-equivalent world: 50 nations, random offense "
            "obligations, mean out-degree 4, reliability 0.2), a configs/ name such as "
            "europe_1914, or a .toml path (default ic,europe_1914)"
        ),
    )
    p.add_argument("--seed", type=_count, default=1, metavar="S", help="run seed (default 1)")
    p.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        metavar="PATH",
        help="where to write the results (default benchmarks/results/throughput.json)",
    )
    p.add_argument(
        "--tmpdir",
        type=Path,
        metavar="DIR",
        help="where end-to-end runs write their Parquet files (default: the system temp dir)",
    )
    return p


def ratios(
    world: str, rates: dict[tuple[str, int], dict], threads: list[int], writer: dict, cores: int
) -> list[dict]:
    """``simulate`` and ``end_to_end`` rates / kernel rate (fastest repeats), per thread count.

    Where the kernel runs on every core (threads = cores), also the bound of
    :func:`bound` with the writer measured (``end_to_end_bound``) and with pyarrow's
    cheapest write (``end_to_end_bound_floor``).
    """
    rows = []
    for t in threads:
        kernel = rates[("kernel", t)]["rate_fastest"]
        row: dict[str, Any] = {"world": world, "threads": t}
        for mode in ("simulate", "end_to_end"):
            row[mode] = rates[(mode, t)]["rate_fastest"] / kernel
        if t == cores:
            row["end_to_end_bound"] = bound(kernel, t, writer["rate_fastest"])
            row["end_to_end_bound_floor"] = bound(kernel, t, writer["floor_rate_fastest"])
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    base = QUICK if args.quick else FULL
    replicates = args.replicates if args.replicates is not None else base["replicates"]
    repeats = args.repeats if args.repeats is not None else base["repeats"]
    ref_n = (
        args.reference_replicates
        if args.reference_replicates is not None
        else base["reference_replicates"]
    )
    mem_n = (
        args.memory_replicates
        if args.memory_replicates is not None
        else (QUICK_MEMORY_REPLICATES if args.quick else FULL_MEMORY_REPLICATES)
    )
    if replicates < 1 or repeats < 1 or ref_n < 1:
        raise SystemExit("throughput.py: --replicates, --repeats, --reference-replicates >= 1")
    limit = numba.config.NUMBA_NUM_THREADS
    threads = [t for t in args.threads if t <= limit]
    skipped = [t for t in args.threads if t > limit]
    if skipped:
        print(f"skipping thread counts {skipped}: NUMBA_NUM_THREADS is {limit}", file=sys.stderr)
    if not threads:
        raise SystemExit("throughput.py: no usable thread count")

    worlds = {spec: load_benchmark_world(spec) for spec in args.worlds}
    tmp_root = Path(tempfile.mkdtemp(prefix="escalate-bench-", dir=args.tmpdir))
    started = _dt.datetime.now(_dt.UTC)
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "started": started.isoformat(timespec="seconds"),
        "machine": machine_info(),
        "parameters": {
            "quick": args.quick,
            "worlds": list(worlds),
            "threads": threads,
            "skipped_threads": skipped,
            "replicates": replicates,
            "repeats": repeats,
            "reference_replicates": ref_n,
            "memory_replicates": mem_n,
            "memory_worlds": [w for w in args.memory_worlds if w in worlds],
            "seed": args.seed,
            "rate_used_for_targets": "fastest",
        },
        "worlds": {spec: describe_world(w) for spec, w in worlds.items()},
        "peers": {"ic_kernel_1_thread": PEERS},
        "measurements": [],
        "scaling": [],
        "ratios": [],
        "writer": [],
        "memory": [],
    }

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        # Warm-up: compile (or load from the cache) everything before any timing.
        t0 = time.perf_counter()
        for w in worlds.values():
            frames.run_arrays(compile_world(w), args.seed, 0, 1024, False)
            d = Path(tempfile.mkdtemp(prefix="warmup-", dir=tmp_root))
            escalate.run([w], d / "out", 1024, args.seed, threads=threads[0])
            shutil.rmtree(d, ignore_errors=True)
        result["warmup_s"] = time.perf_counter() - t0
        result["machine"]["threading_layer"] = numba.threading_layer()
        log(f"warm-up (compile or cache load) {result['warmup_s']:.1f} s")

        for spec, w in worlds.items():
            log(f"{spec}: reference, {ref_n:,} replicates")
            ref, ref_bel = bench_reference(w, ref_n, repeats, args.seed)
            ref_rate = ref["rate_fastest"]
            result["measurements"].append({"world": spec, "mode": "reference", "threads": 1, **ref})
            rates: dict[tuple[str, int], dict] = {}
            for mode in ("kernel", "simulate", "end_to_end"):
                for t in threads:
                    log(f"{spec}: {mode}, {t} thread(s), {replicates:,} x {repeats}")
                    if mode == "kernel":
                        m, bel = bench_kernel(w, replicates, repeats, t, args.seed)
                        k = min(len(bel), len(ref_bel))
                        m["agrees_with_reference"] = bool(np.array_equal(bel[:k], ref_bel[:k]))
                    elif mode == "simulate":
                        m = bench_simulate(w, replicates, repeats, t, args.seed)
                    else:
                        m = bench_end_to_end(w, replicates, repeats, t, args.seed, tmp_root)
                    m["speedup_vs_reference"] = m["rate_fastest"] / ref_rate
                    m["speedup_vs_reference_median"] = m["rate_median"] / ref["rate_median"]
                    rates[(mode, t)] = m
                    result["measurements"].append({"world": spec, "mode": mode, "threads": t, **m})
                if 1 in threads:
                    for t in threads:
                        if t == 1:
                            continue
                        one, many = rates[(mode, 1)], rates[(mode, t)]
                        result["scaling"].append(
                            {
                                "world": spec,
                                "mode": mode,
                                "threads": f"{t}/1",
                                "ratio_fastest": many["rate_fastest"] / one["rate_fastest"],
                                "ratio_median": many["rate_median"] / one["rate_median"],
                            }
                        )
            log(f"{spec}: writer, one thread, {min(replicates, 1 << 20):,} x {repeats}")
            wm = bench_writer(w, replicates, repeats, args.seed, tmp_root)
            result["writer"].append({"world": spec, **wm})
            result["ratios"] += ratios(spec, rates, threads, wm, os.cpu_count() or 1)
            if mem_n > 0 and spec in args.memory_worlds:
                log(f"{spec}: peak memory of escalate run, {mem_n:,} replicates")
                m = bench_memory(w, mem_n, max(threads), args.seed, tmp_root)
                result["memory"].append({"world": spec, **m})
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)

    result["seconds"] = (_dt.datetime.now(_dt.UTC) - started).total_seconds()
    result["machine"]["load_average_end"] = (
        list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    )
    result["targets"] = evaluate_targets(result)
    print_table(result)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
