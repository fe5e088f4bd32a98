"""The one set of numba options every jitted function in escalate uses.

``cache=True`` keeps compiled kernels between runs; ``fastmath`` stays off so that
the kernel and the plain-Python reference agree bit for bit; ``error_model``
"numpy" avoids a zero-division check in the hot loop (divisions are guarded).
"""

from __future__ import annotations

NJIT_OPTIONS: dict[str, object] = {
    "cache": True,
    "nogil": True,
    "fastmath": False,
    "error_model": "numpy",
}
PARALLEL_OPTIONS: dict[str, object] = {**NJIT_OPTIONS, "parallel": True}
#: Small helpers of a kernel are inlined into it at numba-IR level: a real call
#: passing arrays costs atomic reference-count updates in the hot loop.
INLINE_OPTIONS: dict[str, object] = {**NJIT_OPTIONS, "inline": "always"}
