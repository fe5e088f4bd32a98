"""Peak resident memory of ``escalate run``, ``compare`` and ``plot`` (flat-memory check).

Runs ``python -m escalate run WORLD -n N --quiet`` in a child process for each N,
with and without ``--participants``, and prints the child's peak RSS
(``ru_maxrss``), wall time and bytes written. With ``--analysis`` it instead
measures ``escalate compare`` and ``escalate plot`` on a run of two worlds x N
replicates with participants (made first, or given with ``--dir``). Writes JSON
with ``--json``.

    python benchmarks/memory.py                       # 1, 10, 50 million replicates
    python benchmarks/memory.py --replicates 1e6,1e7  # a quicker check
    python benchmarks/memory.py --analysis --replicates 2e6   # compare and plot
    python benchmarks/memory.py --analysis --dir OUT          # on an existing run
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(world: Path, n: int, participants: bool, workdir: Path) -> dict:
    out = workdir / "out"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "escalate", "run", str(world), "-n", str(n), "-s", "1"]
    cmd += ["-o", str(out), "--quiet"] + (["--participants"] if participants else [])
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    shutil.rmtree(out, ignore_errors=True)
    return {
        "replicates": n,
        "participants": participants,
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "seconds": seconds,
        "parquet_bytes": size,
        "command": " ".join(cmd[1:]),
    }


def _child(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; its peak RSS in MiB and wall seconds."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return usage.ru_maxrss / 1024, seconds


def measure_analysis(out: Path, workdir: Path) -> list[dict]:
    """Peak RSS and time of ``escalate compare`` and ``escalate plot`` on the run ``out``."""
    rows = []
    manifest = json.loads((out / "manifest.json").read_text())
    size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    commands = {
        "compare": ["compare", str(out), "--format", "csv", "-o", str(workdir / "c.csv")],
        "plot": ["plot", str(out), "-o", str(workdir / "figures"), "--formats", "png"],
    }
    for name, args in commands.items():
        rss, seconds = _child([sys.executable, "-m", "escalate", *args])
        rows.append(
            {
                "command": f"escalate {' '.join(args)}",
                "analysis": name,
                "structures": len(manifest["worlds"]),
                "replicates": manifest["replicates"],
                "participants": manifest["participants"],
                "peak_rss_mib": rss,
                "seconds": seconds,
                "parquet_bytes": size,
            }
        )
    return rows


def _analysis(args: argparse.Namespace, counts: list[int]) -> list[dict]:
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        runs = [(args.dir, None)] if args.dir else [(Path(tmp) / f"out{n}", n) for n in counts]
        for out, n in runs:
            if n is not None:
                other = args.world.with_name(args.world.stem + "_no_alliances.toml")
                worlds = [str(args.world), str(other)]
                cmd = [sys.executable, "-m", "escalate", "run", *worlds, "-n", str(n), "-s", "1"]
                _child([*cmd, "-o", str(out), "--quiet", "--participants"])
            for r in measure_analysis(out, Path(tmp)):
                rows.append(r)
                print(
                    f"{r['analysis']:<8} {r['structures']} x {r['replicates']:>12,}  "
                    f"peak RSS {r['peak_rss_mib']:7.0f} MiB {r['seconds']:7.1f} s",
                    flush=True,
                )
            if n is not None:
                shutil.rmtree(out, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--world", type=Path, default=ROOT / "configs" / "europe_1914.toml")
    ap.add_argument("--replicates", default="1e6,1e7,5e7", help="comma list (1e6 notation ok)")
    ap.add_argument("--no-participants", action="store_true", help="skip the --participants runs")
    ap.add_argument("--json", type=Path, help="write the measurements here")
    ap.add_argument(
        "--analysis",
        action="store_true",
        help="measure escalate compare and plot on WORLD and WORLD_no_alliances\n"
        "(2 worlds x each N, with participants) instead of escalate run",
    )
    ap.add_argument("--dir", type=Path, help="with --analysis: an existing run to analyse")
    args = ap.parse_args(argv)
    counts = [int(float(x)) for x in args.replicates.split(",")]
    if args.analysis:
        rows = _analysis(args, counts)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2))
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for participants in (False, True) if not args.no_participants else (False,):
            for n in counts:
                r = measure(args.world, n, participants, Path(tmp))
                rows.append(r)
                flag = "--participants" if participants else ""
                print(
                    f"{n:>12,} {flag:<15} peak RSS {r['peak_rss_mib']:7.0f} MiB "
                    f"{r['seconds']:7.1f} s  {r['parquet_bytes'] / 1e6:8.0f} MB parquet",
                    flush=True,
                )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
