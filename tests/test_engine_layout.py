"""The engine's layout: state as data, codes in one place, a reference that stands alone.

- The kernel takes the compiled world and its outputs as named tuples whose fields are
  the compiler's arrays and the column schema's kernel columns (the sizes of its
  functions: tests/test_sizes.py).
- Integer codes and their labels are defined in ``escalate.engine.codes`` only.
- The reference (the executable specification) imports neither the compiler nor
  numba, and its own canonical order and draws agree with theirs.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import world_dicts

import escalate
from escalate.engine import codes, reference, rng
from escalate.engine.compile import WorldArrays, compile_world, obligation_order
from escalate.engine.driver import run_kernel
from escalate.engine.kernel import CascadeOut, ParticipantOut
from escalate.model.load import load_world, world_from_dict
from escalate.model.schema import LADDER
from escalate.results.arrow import allocate_outputs
from escalate.results.schema import CASCADE_COLUMNS, PARTICIPANT_COLUMNS, kernel_dtypes

PACKAGE = Path(escalate.__file__).resolve().parent
ENGINE = PACKAGE / "engine"
CONFIGS = sorted((PACKAGE.parent / "configs").glob("*.toml"))

# ------------------------------------------------------------------ state as data


def test_kernel_outputs_are_the_schema_kernel_columns_in_order() -> None:
    assert CascadeOut._fields == tuple(kernel_dtypes(CASCADE_COLUMNS))
    assert ParticipantOut._fields == tuple(kernel_dtypes(PARTICIPANT_COLUMNS))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_world_arrays_are_contiguous_arrays_and_scalars(path: Path) -> None:
    w = compile_world(load_world(path)).arrays
    assert isinstance(w, WorldArrays)
    for name, value in zip(w._fields, w, strict=True):
        if isinstance(value, np.ndarray):
            assert value.flags.c_contiguous, name
        else:
            assert isinstance(value, (bool, int, float)), (name, type(value))
    # index arrays are unsigned: no negative-index wraparound code in the kernel
    for name in ("ob_obligor", "prot_ptr", "trig_ptr", "trig_obligor", "neu_ptr", "org_mem"):
        assert getattr(w, name).dtype == np.uint32, name


def test_run_kernel_refuses_columns_that_are_not_the_kernels() -> None:
    cw = compile_world(load_world(CONFIGS[0]))
    out, parts = allocate_outputs(4, cw.n, False)
    del out["winner"]
    with pytest.raises(ValueError, match="winner"):
        run_kernel(cw, 1, 0, 4, False, out, parts)
    out, parts = allocate_outputs(4, cw.n, False)
    with pytest.raises(ValueError, match=r"'initiator': expected shape \(5,\), got \(4,\)"):
        run_kernel(cw, 1, 0, 5, False, out, parts)


# ------------------------------------------------------------------ codes


def test_codes_and_labels_agree() -> None:
    assert codes.SIDE_LABELS[codes.SIDE_A - codes.SIDE_A] == "A"
    assert codes.SIDE_LABELS[codes.SIDE_D - codes.SIDE_A] == "D"
    assert codes.NO_SIDE not in (codes.SIDE_A, codes.SIDE_D)
    assert codes.other_side(codes.SIDE_A) == codes.SIDE_D
    assert codes.other_side(codes.SIDE_D) == codes.SIDE_A
    vias = ["initial", "defense", "offense", "entente", "plan", "organization", "unaligned"]
    assert list(codes.VIA_LABELS) == vias
    for label in vias:
        assert codes.VIA_LABELS[getattr(codes, f"VIA_{label.upper()}")] == label
    for kind, code in codes.OB_CODES.items():
        assert codes.VIA_LABELS[code] == kind
        assert getattr(codes, f"OB_{kind.upper()}") == code
    assert codes.LEVEL_LABELS == LADDER
    for label in LADDER:
        assert LADDER[getattr(codes, f"LEVEL_{label.upper()}")] == label
    for label in codes.ORG_KIND_LABELS:
        assert codes.ORG_KIND_LABELS[getattr(codes, f"ORG_{label.upper()}")] == label


#: Names that hold codes or labels: only ``codes.py`` may define them.
_CODE_NAMES = ("SIDE_", "VIA", "OB_", "LEVEL_", "ORG_COLLECTIVE", "_OB_CODE")


def test_codes_are_defined_in_codes_py_only() -> None:
    found = []
    for path in sorted([*ENGINE.glob("*.py"), *(PACKAGE / "results").glob("*.py")]):
        if path.name == "codes.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            names = []
            for t in targets:
                names += [e.id for e in ast.walk(t) if isinstance(e, ast.Name)]
            found += [f"{path.name}:{n}" for n in names if n.startswith(_CODE_NAMES)]
    assert not found, f"codes defined outside codes.py: {found}"


# ------------------------------------------------------------------ the reference


def test_reference_imports_neither_the_compiler_nor_numba() -> None:
    code = (
        "import json, sys\n"
        "import escalate.engine.reference\n"
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.startswith(('escalate', 'numba', 'llvmlite')))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert "escalate.engine.reference" in loaded
    assert "escalate.engine.compile" not in loaded
    assert not [m for m in loaded if m.startswith(("numba", "llvmlite"))], loaded
    assert not [
        m
        for m in loaded
        if m.startswith("escalate.engine.")
        and m != "escalate.engine.reference"
        and not m.startswith("escalate.engine.reference.")
    ], loaded


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_reference_and_compiler_order_obligations_alike(path: Path) -> None:
    world = load_world(path)
    assert reference.canonical_obligations(world) == obligation_order(world)


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(world_dicts())
def test_reference_and_compiler_order_obligations_alike_on_random_worlds(data: dict) -> None:
    world = world_from_dict(data, source="<hypothesis>")
    assert reference.canonical_obligations(world) == obligation_order(world)


def test_reference_draws_are_those_of_rng() -> None:
    kinds = [name for name in dir(rng) if name.startswith("KIND_")]
    assert kinds == [name for name in dir(reference) if name.startswith("KIND_")]
    for name in kinds:
        assert getattr(reference, name) == getattr(rng, name), name
    parts = [(), ("GMY",), ("Dual Alliance (1879)", "GMY", "AUH"), ("Zürich", ""), ("a",) * 5]
    for kind in range(1, 9):
        for p in parts:
            assert reference.decision_key(kind, *p) == rng.decision_key(kind, *p)
    gen = np.random.default_rng(11)
    seeds = [0, 1, 2**64 - 1, *gen.integers(0, 2**63, size=10).tolist()]
    keys = [0, 2**64 - 1, *(rng.decision_key(k, "x") for k in range(1, 9))]
    for seed in seeds:
        for rep in [0, 1, 2**40, *gen.integers(0, 2**62, size=3).tolist()]:
            state = reference.rep_state(seed, rep)
            assert state == rng.rep_state_py(seed, rep)
            for key in keys:
                assert reference.uniform(state, key) == rng.uniform_py(state, key)
