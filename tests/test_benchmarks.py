"""Smoke test of the throughput benchmark: it runs and writes well-formed JSON.

Only the shape of the results is checked (keys present, rates positive); speeds
depend on the machine and are not asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "throughput.py"


def test_throughput_quick_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "throughput.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,  # a hang guard, not a speed check
    )
    assert proc.returncode == 0, proc.stderr
    assert "cascades/s" in proc.stdout  # the table

    r = json.loads(out.read_text())
    assert r["schema"] == "escalate-throughput/2"
    for key in ("machine", "parameters", "worlds", "measurements", "scaling", "ratios", "writer",
                "memory", "targets"):  # fmt: skip
        assert key in r, key
    for key in ("cpu_count", "platform", "python", "numpy", "numba", "pyarrow", "escalate"):
        assert r["machine"][key], key
    assert "git_commit" in r["machine"]

    params = r["parameters"]
    assert params["quick"] is True
    assert params["worlds"] == ["ic", "europe_1914"]
    threads = params["threads"]
    assert threads and threads[0] == 1

    seen = {(m["world"], m["mode"], m["threads"]) for m in r["measurements"]}
    for world in params["worlds"]:
        assert (world, "reference", 1) in seen
        for mode in ("kernel", "simulate", "end_to_end"):
            for t in threads:
                assert (world, mode, t) in seen
    for m in r["measurements"]:
        assert m["replicates"] > 0 and len(m["seconds"]) == m["repeats"] >= 1
        assert m["rate_fastest"] > 0 and m["rate_median"] > 0
        assert m["rate_fastest"] >= m["rate_median"]
        if m["mode"] != "reference":
            assert m["speedup_vs_reference"] > 0
        if m["mode"] == "kernel":
            assert m["agrees_with_reference"] is True
            assert m["mean_belligerents"] >= 2

    if len(threads) > 1:
        assert {(s["world"], s["mode"]) for s in r["scaling"]} == {
            (w, mode) for w in params["worlds"] for mode in ("kernel", "simulate", "end_to_end")
        }
        assert all(s["ratio_fastest"] > 0 and s["ratio_median"] > 0 for s in r["scaling"])

    # rates of simulate and end to end relative to the kernel, for every thread count
    assert {(x["world"], x["threads"]) for x in r["ratios"]} == {
        (w, t) for w in params["worlds"] for t in threads
    }
    assert all(x["simulate"] > 0 and x["end_to_end"] > 0 for x in r["ratios"])
    assert [x["world"] for x in r["writer"]] == params["worlds"]
    assert all(x["rate_fastest"] > 0 and x["parquet_bytes"] > 0 for x in r["writer"])
    # pyarrow's cheapest write of the same part, beside the writer
    assert all(x["floor_rate_fastest"] > 0 and x["floor_parquet_bytes"] > 0 for x in r["writer"])
    cores = r["machine"]["cpu_count"]
    for x in r["ratios"]:  # the bound of end to end / kernel where the kernel takes every core
        has_bound = "end_to_end_bound" in x and "end_to_end_bound_floor" in x
        assert has_bound == (x["threads"] == cores)
        if has_bound:
            assert 0 < x["end_to_end_bound"] < 1 and 0 < x["end_to_end_bound_floor"] < 1

    (mem,) = r["memory"]
    assert mem["world"] == "europe_1914"
    assert mem["replicates"] == params["memory_replicates"] > 0
    assert mem["peak_rss_bytes"] > 0 and mem["rate_run"] > 0

    ids = {t["id"] for t in r["targets"]}
    assert {"ic_kernel_1t", "ic_kernel_scaling", "europe_1914_e2e_2t"} <= ids
    assert {"europe_1914_memory", "ic_end_to_end_ratio_2t", "europe_1914_simulate_ratio_2t"} <= ids
    for t in r["targets"]:
        assert t["met"] in (True, False, None)


def test_kernel_cost_reports_fixed_and_net_costs(tmp_path: Path) -> None:
    out = tmp_path / "kernel_cost.json"
    script = ROOT / "benchmarks" / "kernel_cost.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--worlds", "europe_1914", "--replicates", "20000",
         "--repeats", "1", "--trace-replicates", "20", "--json", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "ns fixed" in proc.stdout
    (row,) = json.loads(out.read_text())["rows"]
    assert row["world"] == "europe_1914"
    assert 0 < row["ns_fixed"] < row["ns_per_cascade"]  # a decision costs something
    assert row["decisions"] > 0
    net = (row["ns_per_cascade"] - row["ns_fixed"]) / row["decisions"]
    assert abs(row["ns_per_decision_net"] - net) < 1e-9 * net
