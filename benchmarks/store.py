"""How the results store holds up: sweeps, long labels, interrupts, flipped bits.

Reproduces the numbers of the batch-job guarantees in the README::

    python benchmarks/store.py                       # all five, default sizes
    python benchmarks/store.py sweep --sizes 50,100,200,400
    python benchmarks/store.py memory --sizes 200000,400000
    python benchmarks/store.py interrupt --nations 20000
    python benchmarks/store.py bitflip
    python benchmarks/store.py digest

Prints a table per measurement and writes ``benchmarks/results/store.json``.

- ``sweep``: wall time of ``escalate sweep europe_1914 --set
  dynamics.reliability.defense=0:1:K -n 1000`` for each K (the manifest's cost must
  not grow with the parts done).
- ``memory``: peak RSS of ``escalate run`` with ``--participants`` on europe_1914
  whose treaty and organization names are made about 2,700 characters long.
- ``interrupt``: seconds from SIGINT to exit of a run of a world of N nations in one
  collective-security organization and a chain of defense pacts (tens of
  milliseconds per cascade), sent at several delays after the run started.
- ``bitflip``: flip each of two bits of every byte of one part of each table and
  read it back: caught (an error naming the file), unchanged rows, or changed rows
  (must be 0).
- ``digest``: milliseconds to digest one part of 2**20 europe_1914 cascades, as
  parts carry it now (the file's bytes, ``escalate.bytes_sha256``) and as earlier
  versions did (the values read back, ``escalate.content_sha256``); fastest of 5.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomli_w

import escalate
from escalate.engine.compile import compile_world
from escalate.results.arrow import run_arrays, to_tables
from escalate.results.digest import content_digest, file_digest
from escalate.results.errors import ResultsError
from escalate.results.store import part_path, read_part, write_part

HERE = Path(__file__).resolve().parent
CLI = [sys.executable, "-m", "escalate"]


def sweep(sizes: list[int], tmp: Path) -> list[dict]:
    rows = []
    for k in sizes:
        out = tmp / f"sweep{k}"
        t = time.perf_counter()
        subprocess.run([*CLI, "sweep", "europe_1914", "--set",
                        f"dynamics.reliability.defense=0:1:{k}", "-n", "1000", "-s", "1",
                        "-o", str(out), "--quiet"], check=True)  # fmt: skip
        rows.append({"variants": k, "seconds": round(time.perf_counter() - t, 2)})
        shutil.rmtree(out)
    return rows


def long_names_world(path: Path) -> Path:
    """europe_1914 with treaty and organization names about 2,700 characters long."""
    w = escalate.load_world("europe_1914").to_dict()
    w["name"] = "longnames"
    for a in w.get("alliances", []):
        a["name"] += " " + "of perpetual friendship and mutual guarantee " * 60
    for o in w.get("organizations", []):
        o["name"] += " " + "x" * 2700
    path.write_bytes(tomli_w.dumps(w).encode())
    return path


def memory(sizes: list[int], tmp: Path) -> list[dict]:
    world = long_names_world(tmp / "longnames.toml")
    code = (
        "import resource, sys, escalate\n"
        "escalate.run([sys.argv[1]], sys.argv[2], int(sys.argv[3]), 1, participants=True)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    rows = []
    for n in sizes:
        out = tmp / f"mem{n}"
        r = subprocess.run([sys.executable, "-c", code, str(world), str(out), str(n)],
                           check=True, capture_output=True, text=True)  # fmt: skip
        rows.append({"replicates": n, "peak_rss_mib": round(int(r.stdout) / 1024)})
        shutil.rmtree(out)
    return rows


def slow_world(path: Path, n: int) -> Path:
    ids = [f"N{i}" for i in range(n)]
    w = {
        "name": f"slow{n}",
        "incident": {"mode": "random"},
        "nations": [{"id": x, "power": 1.0, "major": i < 5} for i, x in enumerate(ids)],
        "organizations": [{"name": "UN", "kind": "collective_security", "members": ids,
                           "response": {"military": 0.5, "sanctions": 0.3}}],
        "alliances": [{"name": f"chain{i}", "kind": "defense", "members": [ids[i], ids[i + 1]]}
                      for i in range(n - 1)],
    }  # fmt: skip
    path.write_bytes(tomli_w.dumps(w).encode())
    return path


def interrupt(nations: int, delays: list[float], tmp: Path) -> list[dict]:
    world = slow_world(tmp / "slow.toml", nations)
    rows = []
    for d in delays:
        out = tmp / f"int{d}"
        p = subprocess.Popen([*CLI, "run", str(world), "-n", "100000", "-s", "1", "-o", str(out),
                              "--quiet"], stderr=subprocess.PIPE, text=True)  # fmt: skip
        while not (out / "manifest.json").exists():
            time.sleep(0.01)
        time.sleep(d)
        t = time.monotonic()
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=600)
        rows.append({"nations": nations, "after_s": d, "exit": p.returncode,
                     "stopped_in_s": round(time.monotonic() - t, 2)})  # fmt: skip
        shutil.rmtree(out)
    return rows


def bitflip(tmp: Path) -> list[dict]:
    out = tmp / "flip"
    escalate.run(["europe_1914"], out, 4000, 1, chunk_size=2000, participants=True)
    rows = []
    for table in ("cascades", "participants"):
        path = part_path(out, table, "europe_1914", 0)
        data = path.read_bytes()
        good = read_part(path, table)
        counts = {"caught": 0, "unchanged": 0, "changed": 0}
        for pos in range(4, len(data)):
            for bit in (0x01, 0x80):
                flipped = bytearray(data)
                flipped[pos] ^= bit
                path.write_bytes(bytes(flipped))
                try:
                    same = read_part(path, table).equals(good)
                    counts["unchanged" if same else "changed"] += 1
                except ResultsError:
                    counts["caught"] += 1
        path.write_bytes(data)
        (footer,) = struct.unpack("<i", data[-8:-4])
        rows.append({"table": table, "bytes": len(data), "footer_bytes": footer, **counts})
    return rows


def digest(tmp: Path) -> list[dict]:
    cw = compile_world(escalate.load_world("europe_1914"))
    table, _ = to_tables(cw, 0, *run_arrays(cw, 1, 0, 1 << 20, False), False)
    path = tmp / "part.parquet"
    write_part(path, table, {})
    rows = []
    for what, f in (
        ("bytes (now)", lambda: file_digest(path, table.num_rows)),
        ("values (earlier)", lambda: content_digest(table)),
    ):
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            f()
            times.append(time.perf_counter() - t0)
        rows.append({"digest of": what, "rows": table.num_rows, "ms": round(1e3 * min(times), 1)})
    return rows


def show(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    keys = list(rows[0])
    print("  ".join(f"{k:>14}" for k in keys))
    for r in rows:
        print("  ".join(f"{r[k]!s:>14}" for k in keys))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("what", nargs="*", default=["sweep", "memory", "interrupt", "bitflip", "digest"])
    p.add_argument("--sizes", help="comma list: variants (sweep) or replicates (memory)")
    p.add_argument("--nations", type=int, default=20000, help="world size (interrupt)")
    p.add_argument("--delays", default="0.5,1.3,2.2,4.0", help="seconds before SIGINT")
    args = p.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else None
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if "sweep" in args.what:
            results["sweep"] = sweep(sizes or [50, 100, 200, 400], tmp)
        if "memory" in args.what:
            results["memory"] = memory(sizes or [200_000, 400_000], tmp)
        if "interrupt" in args.what:
            delays = [float(x) for x in args.delays.split(",")]
            results["interrupt"] = interrupt(args.nations, delays, tmp)
        if "bitflip" in args.what:
            results["bitflip"] = bitflip(tmp)
        if "digest" in args.what:
            results["digest"] = digest(tmp)
    for k, rows in results.items():
        show(k, rows)
    out = HERE / "results" / "store.json"
    out.parent.mkdir(exist_ok=True)
    old = json.loads(out.read_text()) if out.exists() else {}
    out.write_text(json.dumps({**old, **results}, indent=1))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
