"""docs/tutorial.ipynb runs as written: every cell, in order.

The notebook is generated from docs/tutorial.md (``python docs/make_tutorial.py``;
checked current here). Its cells run in a fresh folder, the ``%%bash`` cells with
``escalate`` meaning this interpreter's ``python -m escalate``, the Python cells in
one namespace (like one kernel). Replicate counts are cut to a few thousand so that
the whole tutorial takes well under a minute; then the files it promises are checked: they exist and
parse.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import warm_cache

pytest.importorskip("matplotlib")
pytest.importorskip("networkx")

DOCS = Path(__file__).resolve().parents[1] / "docs"
DOC = DOCS / "tutorial.md"
NOTEBOOK = DOCS / "tutorial.ipynb"
REPLICATES = 2000
_BLOCK = re.compile(r"^```(bash|python)[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
_COUNTS = re.compile(r"(--replicates[ =]|replicates=)([\d_]+)")
PNG = b"\x89PNG\r\n\x1a\n"


def blocks() -> list[tuple[str, str]]:
    """The notebook's code cells as (``bash`` or ``python``, code), counts cut down."""
    out = []
    for cell in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        code = "".join(cell["source"])
        lang = "bash" if code.startswith("%%bash\n") else "python"
        code = code.removeprefix("%%bash\n")
        code = _COUNTS.sub(lambda m: f"{m.group(1)}{min(int(m.group(2)), REPLICATES)}", code)
        out.append((lang, code))
    return out


def test_the_notebook_is_the_markdown_tutorial() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_tutorial", DOCS / "make_tutorial.py")
    assert spec is not None and spec.loader is not None
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    assert make.main(["--check"]) == 0, "run: python docs/make_tutorial.py"
    markdown_blocks = _BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert len(markdown_blocks) == len(blocks())


def test_the_tutorial_has_blocks_and_small_counts():
    found = blocks()
    assert sum(lang == "bash" for lang, _ in found) >= 6
    assert sum(lang == "python" for lang, _ in found) >= 5
    text = DOC.read_text(encoding="utf-8")
    shrunk = _COUNTS.findall(text)
    assert len(shrunk) >= 4  # every run of the tutorial is cut down here
    for _, code in found:  # no other way of asking for many cascades slipped in
        assert not re.search(r"(^|\s)-n\s|--replicates\s*$", code, re.MULTILINE), code


def run_bash(code: str, cwd: Path) -> subprocess.CompletedProcess:
    python = shlex.quote(sys.executable)
    script = f'set -euo pipefail\nescalate() {{ {python} -m escalate "$@"; }}\n{code}'
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, capture_output=True, text=True, env=env, timeout=180
    )


def test_the_tutorial_runs_and_writes_what_it_says(tmp_path, monkeypatch, capsys):
    warm_cache()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "__tutorial__"}
    shell_output = []
    for i, (lang, code) in enumerate(blocks()):
        first = code.strip().splitlines()[0]
        if lang == "bash":
            r = run_bash(code, tmp_path)
            assert r.returncode == 0, f"block {i} ({first}) failed:\n{r.stderr}"
            shell_output.append(r.stdout)
        else:
            try:
                exec(compile(code, f"<tutorial block {i}>", "exec"), namespace)
            except Exception as e:  # pragma: no cover - the message is the point
                raise AssertionError(f"block {i} ({first}) raised {e!r}") from e
    printed = capsys.readouterr().out
    stdout = "\n".join(shell_output)

    # 1. the world, its picture
    assert "teaching" in stdout and "europe_1914" in stdout
    assert (tmp_path / "teaching.png").read_bytes()[:8] == PNG
    # 2. the trace: its story, and the same row in Python
    assert "teaching, seed 1, replicate 3" in stdout
    assert namespace["story"].row["belligerents"] >= 2
    # 3. the run
    manifest = json.loads((tmp_path / "results/1914/manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert set(manifest["worlds"]) == {"europe_1914", "europe_1914_no_alliances"}
    # 4. read with pandas
    df = namespace["df"]
    assert len(df) == 2 * REPLICATES
    assert namespace["at_war"].loc["europe_1914"].max() == pytest.approx(1.0)  # initiator
    # 5. compare, in text and CSV
    assert "europe_1914_no_alliances  (baseline" in stdout
    table = pd.read_csv(tmp_path / "compare.csv")
    assert set(table["structure"]) == {"europe_1914", "europe_1914_no_alliances"}
    ww = namespace["ww"].set_index("structure")
    assert ww.loc["europe_1914", "difference"] > 0.2  # the alliances make the world war
    assert ww.loc["europe_1914", "p_holm"] < 1e-6
    # 6. figures and report
    for name in ("p_world_war", "ccdf_belligerents", "rounds", "entry_curve", "heatmap"):
        assert (tmp_path / f"results/1914/figures/{name}.png").read_bytes()[:8] == PNG
        svg = (tmp_path / f"results/1914/figures/{name}.svg").read_text()
        assert svg.lstrip().startswith("<?xml")
    report = (tmp_path / "results/1914/report.html").read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and "europe_1914_no_alliances" in report
    # 7. generated structures
    from escalate.model.load import load_world

    assert load_world(tmp_path / "bipolar.toml").name == "europe_1914_bipolar"
    assert set(namespace["versus"]["structure"]) == {
        "europe_1914",
        "europe_1914_collective_security",
    }
    # 8. the sweep: its table of variants, the pivot, the figure, the Python version
    variants = pd.read_csv(tmp_path / "results/sweep/variants.csv")
    assert len(variants) == 10
    assert "dynamics.reliability.defense  dynamics.deterrence  P(world war)" in stdout
    assert (tmp_path / "results/sweep/figures/sweep.png").read_bytes()[:8] == PNG
    assert (tmp_path / "sweep.png").read_bytes()[:8] == PNG
    assert len(pd.read_csv(tmp_path / "results/sweep_py/variants.csv")) == 10  # the CLI grid
    assert "europe_1914.defense-0.00" in printed
