"""The kernel's boundary: run_kernel refuses, in one line, any buffer the kernel cannot fill.

A buffer of the wrong shape once made the kernel write past its end (glibc's
"corrupted size vs. prev_size", exit 134) and one of the wrong dtype compiled a second
specialisation of the kernel; both are now a ValueError naming the column, what it
should be and what it is, raised before the kernel is entered.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from escalate.engine.compile import compile_world
from escalate.engine.driver import run_kernel
from escalate.engine.outputs import CASCADE_DTYPES, PARTICIPANT_DTYPES
from escalate.model.load import load_world
from escalate.results.arrow import allocate_outputs
from escalate.results.schema import CASCADE_COLUMNS, PARTICIPANT_COLUMNS, kernel_dtypes

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


@pytest.fixture(scope="module")
def cw():
    return compile_world(load_world(CONFIGS / "europe_1914.toml"))


def _one_line(excinfo: pytest.ExceptionInfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


def test_the_schema_takes_the_engines_dtypes_for_every_kernel_column() -> None:
    assert {k: np.dtype(v) for k, v in kernel_dtypes(CASCADE_COLUMNS).items()} == CASCADE_DTYPES
    assert {
        k: np.dtype(v) for k, v in kernel_dtypes(PARTICIPANT_COLUMNS).items()
    } == PARTICIPANT_DTYPES


def test_buffers_of_allocate_outputs_are_accepted_and_filled(cw) -> None:
    out, parts = allocate_outputs(600, cw.n, True)
    for a in (*out.values(), *parts.values()):
        a.fill(0)
    out["belligerents"].fill(-1)
    run_kernel(cw, 7, 0, 600, True, out, parts)
    assert (out["belligerents"] >= 2).all()
    assert (parts["nation"][:, 0] == out["initiator"]).all()


def test_a_participant_buffer_with_too_few_slots_is_refused(cw) -> None:
    # the buffers that crashed the process: 4096 x 1 slots for a world of many nations
    assert cw.n > 1
    out, _ = allocate_outputs(4096, cw.n, False)
    parts = {c: np.zeros((4096, 1), dt) for c, dt in PARTICIPANT_DTYPES.items()}
    with pytest.raises(ValueError) as e:
        run_kernel(cw, 1, 0, 4096, True, out, parts)
    assert _one_line(e) == (
        f"participant column 'nation': expected shape (4096, {cw.n}), got (4096, 1)"
    )


def test_empty_participant_buffers_are_refused_when_participants_are_wanted(cw) -> None:
    out, parts = allocate_outputs(8, cw.n, False)  # (0, 0) slots
    with pytest.raises(ValueError, match=r"'nation': expected shape \(8, \d+\), got \(0, 0\)"):
        run_kernel(cw, 1, 0, 8, True, out, parts)


def test_a_cascade_buffer_of_the_wrong_shape_is_refused(cw) -> None:
    out, parts = allocate_outputs(8, cw.n, False)
    out["majors"] = np.zeros((8, 2), np.int16)
    with pytest.raises(ValueError) as e:
        run_kernel(cw, 1, 0, 8, False, out, parts)
    assert _one_line(e) == "output column 'majors': expected 1 dimension(s), got shape (8, 2)"


def test_a_buffer_of_the_wrong_dtype_is_refused(cw) -> None:
    out, parts = allocate_outputs(8, cw.n, False)
    out["belligerents"] = np.zeros(8, np.int8)
    with pytest.raises(ValueError) as e:
        run_kernel(cw, 1, 0, 8, False, out, parts)
    assert _one_line(e) == "output column 'belligerents': expected dtype int16, got int8"
    out, parts = allocate_outputs(8, cw.n, True)
    parts["side"] = parts["side"].astype(np.int32)
    with pytest.raises(ValueError, match="participant column 'side': expected dtype int8, got"):
        run_kernel(cw, 1, 0, 8, True, out, parts)
    out, parts = allocate_outputs(8, cw.n, False)
    out["power_share"] = out["power_share"].astype(">f8")  # same kind, other byte order
    with pytest.raises(ValueError, match="'power_share': expected dtype float64"):
        run_kernel(cw, 1, 0, 8, False, out, parts)


def test_a_non_contiguous_buffer_is_refused(cw) -> None:
    out, parts = allocate_outputs(8, cw.n, False)
    out["rounds"] = np.zeros(16, np.int16)[::2]
    with pytest.raises(ValueError) as e:
        run_kernel(cw, 1, 0, 8, False, out, parts)
    assert _one_line(e) == "output column 'rounds': expected a C-contiguous array, got strides (4,)"
    out, parts = allocate_outputs(8, cw.n, True)
    parts["via"] = np.asfortranarray(parts["via"])
    with pytest.raises(ValueError, match="participant column 'via': expected a C-contiguous"):
        run_kernel(cw, 1, 0, 8, True, out, parts)


def test_a_read_only_buffer_is_refused(cw) -> None:
    out, parts = allocate_outputs(8, cw.n, False)
    out["winner"].flags.writeable = False
    with pytest.raises(ValueError, match="'winner': expected a writeable array"):
        run_kernel(cw, 1, 0, 8, False, out, parts)


def test_buffers_for_another_count_are_refused(cw) -> None:
    out, parts = allocate_outputs(4, cw.n, False)
    with pytest.raises(ValueError) as e:
        run_kernel(cw, 1, 0, 5, False, out, parts)
    assert _one_line(e) == "output column 'initiator': expected shape (5,), got (4,)"
    out, parts = allocate_outputs(5, cw.n, False)
    out["world_war"] = np.zeros(4, np.bool_)  # one column short
    with pytest.raises(ValueError, match=r"'world_war': expected shape \(5,\), got \(4,\)"):
        run_kernel(cw, 1, 0, 5, False, out, parts)
    with pytest.raises(ValueError, match="count must be >= 0, got -1"):
        run_kernel(cw, 1, 0, -1, False, *allocate_outputs(0, cw.n, False))


def test_a_list_is_refused(cw) -> None:
    out, parts = allocate_outputs(2, cw.n, False)
    out["settled"] = [False, False]
    with pytest.raises(ValueError, match="'settled': expected a numpy array, got list"):
        run_kernel(cw, 1, 0, 2, False, out, parts)
