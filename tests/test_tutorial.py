"""docs/tutorial.ipynb runs as written, in a real Jupyter kernel: every cell, in order.

The notebook is docs/tutorial.md paired by jupytext (after editing the markdown:
``jupytext --update --to ipynb docs/tutorial.md``; checked current here). nbclient
executes it in a fresh folder in an ipykernel kernel, as a reader would run it: the
``%%bash`` cells in a shell where ``escalate`` is this interpreter's ``python -m
escalate``, the Python cells in one kernel. Replicate counts are cut to a few thousand
so that the whole tutorial takes well under a minute; then the files it promises are
checked (they exist and parse), and so are the values it computes, read back from the
kernel by one last cell.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import warm_cache

pytest.importorskip("matplotlib")
pytest.importorskip("networkx")
jupytext = pytest.importorskip("jupytext", reason="pip install -e '.[dev]' (jupytext)")
nbformat = pytest.importorskip("nbformat", reason="pip install -e '.[dev]' (nbformat)")
nbclient = pytest.importorskip("nbclient", reason="pip install -e '.[dev]' (nbclient)")

DOCS = Path(__file__).resolve().parents[1] / "docs"
DOC = DOCS / "tutorial.md"
NOTEBOOK = DOCS / "tutorial.ipynb"
REPLICATES = 2000
_BLOCK = re.compile(r"^```(bash|python)[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
_COUNTS = re.compile(r"(--replicates[ =]|replicates=)([\d_]+)")
#: Printed by every shell cell once its last command succeeded (``set -e`` stops before).
_DONE = "__cell_done__"
PNG = b"\x89PNG\r\n\x1a\n"

#: Run last, in the same kernel: what the tutorial's Python cells computed.
CHECK = """\
import json as _json
_ww = ww.set_index("structure")
print(_json.dumps({
    "belligerents": int(story.row["belligerents"]),
    "rows": len(df),
    "initiator_at_war": float(at_war.loc["europe_1914"].max()),
    "difference": float(_ww.loc["europe_1914", "difference"]),
    "p_holm": float(_ww.loc["europe_1914", "p_holm"]),
    "versus": sorted(set(versus["structure"])),
    "variants": len(variants),
}))
"""


def cells(nb) -> list[tuple[str, str]]:
    """A notebook's cells as (type, source): what pairing must keep equal."""
    return [(c.cell_type, c.source) for c in nb.cells]


def notebook():
    """The committed notebook, its replicate counts cut down, its shell cells strict."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code = _COUNTS.sub(lambda m: f"{m.group(1)}{min(int(m.group(2)), REPLICATES)}", cell.source)
        if code.startswith("%%bash\n"):
            body = code.removeprefix("%%bash\n")
            code = f"%%bash\nset -euo pipefail\n{body}\necho {_DONE}"
        cell.source = code
    return nb


def test_the_notebook_is_the_markdown_tutorial() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert cells(nb) == cells(jupytext.read(DOC)), (
        "docs/tutorial.ipynb differs from docs/tutorial.md: "
        "jupytext --update --to ipynb docs/tutorial.md"
    )
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.metadata.jupytext.formats == "ipynb,md"  # paired: jupytext --sync keeps both
    assert not [c for c in nb.cells if c.cell_type == "code" and (c.outputs or c.execution_count)]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(_BLOCK.findall(DOC.read_text(encoding="utf-8"))) == len(code)
    assert sum(c.source.startswith("%%bash\n") for c in code) >= 6


def test_a_drifted_notebook_is_caught() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.source += "\nescalate worlds"
    assert cells(nb) != cells(jupytext.read(DOC))


def test_the_tutorial_has_blocks_and_small_counts():
    found = [c.source for c in notebook().cells if c.cell_type == "code"]
    assert sum(code.startswith("%%bash\n") for code in found) >= 6
    assert sum(not code.startswith("%%bash\n") for code in found) >= 5
    text = DOC.read_text(encoding="utf-8")
    shrunk = _COUNTS.findall(text)
    assert len(shrunk) >= 4  # every run of the tutorial is cut down here
    for code in found:  # no other way of asking for many cascades slipped in
        assert not re.search(r"(^|\s)-n\s|--replicates\s*$", code, re.MULTILINE), code
        for _, count in _COUNTS.findall(code):
            assert int(count) <= REPLICATES


def _outputs(cell) -> str:
    """What a cell printed (stdout) and showed (its result's text)."""
    out = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream" and o.name == "stdout":
            out.append(o.text)
        elif o.output_type == "execute_result":
            out.append(o.data.get("text/plain", ""))
    return "".join(out)


def _environment(tmp_path: Path) -> dict[str, str]:
    """The kernel's: ``escalate`` on PATH is this interpreter's, no figure windows."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "escalate"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m escalate "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "MPLBACKEND": "Agg",
        "IPYTHONDIR": str(tmp_path / "ipython"),
    }


@pytest.mark.timeout(600)
def test_the_tutorial_runs_in_a_kernel_and_writes_what_it_says(tmp_path, monkeypatch):
    warm_cache()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))  # connection files
    nb = notebook()
    nb.cells.append(nbformat.v4.new_code_cell(CHECK))
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    )
    client.execute(env=_environment(tmp_path))  # raises CellExecutionError, naming the cell

    code = [c for c in nb.cells if c.cell_type == "code"]
    shell = [_outputs(c) for c in code if c.source.startswith("%%bash\n")]
    for c in code:
        if c.source.startswith("%%bash\n"):
            assert _outputs(c).rstrip().endswith(_DONE), c.source
    stdout = "\n".join(shell)
    printed = "\n".join(_outputs(c) for c in code[:-1] if not c.source.startswith("%%bash\n"))
    values = json.loads(_outputs(code[-1]))

    # 1. the world, its picture
    assert "teaching" in stdout and "europe_1914" in stdout
    assert (work / "teaching.png").read_bytes()[:8] == PNG
    # 2. the trace: its story, and the same row in Python
    assert "teaching, seed 1, replicate 3" in stdout
    assert values["belligerents"] >= 2
    # 3. the run
    manifest = json.loads((work / "results/1914/manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert set(manifest["worlds"]) == {"europe_1914", "europe_1914_no_alliances"}
    # 4. read with pandas
    assert values["rows"] == 2 * REPLICATES
    assert values["initiator_at_war"] == pytest.approx(1.0)  # the initiator
    # 5. compare, in text and CSV
    assert "europe_1914_no_alliances  (baseline" in stdout
    table = pd.read_csv(work / "compare.csv")
    assert set(table["structure"]) == {"europe_1914", "europe_1914_no_alliances"}
    assert values["difference"] > 0.2  # the alliances make the world war
    assert values["p_holm"] < 1e-6
    # 6. figures and report
    for name in ("p_world_war", "ccdf_belligerents", "rounds", "entry_curve", "heatmap"):
        assert (work / f"results/1914/figures/{name}.png").read_bytes()[:8] == PNG
        svg = (work / f"results/1914/figures/{name}.svg").read_text()
        assert svg.lstrip().startswith("<?xml")
    report = (work / "results/1914/report.html").read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and "europe_1914_no_alliances" in report
    # 7. generated structures
    from escalate.model.load import load_world

    assert load_world(work / "bipolar.toml").name == "europe_1914_bipolar"
    assert values["versus"] == ["europe_1914", "europe_1914_collective_security"]
    # 8. the sweep: its table of variants, the pivot, the figure, the Python version
    variants = pd.read_csv(work / "results/sweep/variants.csv")
    assert len(variants) == 10
    assert "dynamics.reliability.defense  dynamics.deterrence  P(world war)" in stdout
    assert (work / "results/sweep/figures/sweep.png").read_bytes()[:8] == PNG
    assert (work / "sweep.png").read_bytes()[:8] == PNG
    assert len(pd.read_csv(work / "results/sweep_py/variants.csv")) == 10  # the library's grid
    assert values["variants"] == 10
    assert "europe_1914.defense-0.00" in printed
