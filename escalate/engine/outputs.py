"""The kernel's output buffers: the dtype of every column it fills, in its order.

The engine owns them; :mod:`escalate.results.schema` derives its columns' kernel dtypes
from these tables (and adds the Arrow types and the meanings), and
:func:`escalate.engine.driver.run_kernel` checks every buffer against them. Plain
numpy: importing this module compiles nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["CASCADE_DTYPES", "PARTICIPANT_DTYPES"]


def _dtypes(**columns: Any) -> dict[str, np.dtype]:
    return {name: np.dtype(dt) for name, dt in columns.items()}


#: The dtype of each cascade column the kernel is compiled for, in the kernel's order.
#: An array of another dtype, shape or memory layout would make numba compile another
#: specialisation of the kernel, or write past the end of a buffer.
CASCADE_DTYPES: dict[str, np.dtype] = _dtypes(
    initiator=np.int32,
    target=np.int32,
    deterred=np.bool_,
    belligerents=np.int16,
    side_a=np.int16,
    side_d=np.int16,
    majors=np.int16,
    rounds=np.int16,
    broken_promises=np.int32,
    conflicted=np.int32,
    sanctions=np.int32,
    diplomacy=np.int32,
    settled=np.bool_,
    power_share=np.float64,
    vetoed=np.bool_,
    winner=np.int8,
    world_war=np.bool_,
    unaligned=np.int16,
)
#: The dtype of each participant column (as :data:`CASCADE_DTYPES`).
PARTICIPANT_DTYPES: dict[str, np.dtype] = _dtypes(
    nation=np.int32, side=np.int8, round=np.int16, via=np.int8, source=np.int32
)
