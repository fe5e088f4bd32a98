"""The settings of a sweep: ``KEY=START:STOP:STEPS`` or ``KEY=V1,V2,...``, parsed.

:func:`parse_setting` reads one setting (see :mod:`escalate.model.sweep` for the keys
and the naming of the variants); :data:`MAX_VARIANTS` bounds a sweep.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["MAX_VARIANTS", "Setting", "parse_setting", "split_key"]

#: Upper bound of the variants of one sweep (each is a world run in full): a grid
#: larger than this is refused at once, before any variant is built.
MAX_VARIANTS = 10_000

_SYNTAX = "expected KEY=START:STOP:STEPS or KEY=V1,V2,..."
_SEGMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Setting:
    """One swept parameter: a key path and the values it takes.

    Attributes
    ----------
    key
        Dotted path into :meth:`World.to_dict`, e.g. ``dynamics.deterrence``
        or ``alliances[Dual Alliance (1879)].reliability``.
    values
        The values, in order (ints where the text gave whole numbers).
    text
        The setting as written, e.g. ``dynamics.deterrence=0:0.5:6``.
    """

    key: str
    values: tuple[int | float, ...]
    text: str = ""


# --------------------------------------------------------------------------- parsing


def split_key(key: str) -> list[tuple[str, str | None]]:
    """Split ``a.b[sel].c`` into ``[("a", None), ("b", "sel"), ("c", None)]``.

    A selector ends at the first ``]`` that is followed by ``.`` or the end of
    the key, so it may contain dots, spaces and brackets.
    """
    out: list[tuple[str, str | None]] = []
    pos = 0
    while True:
        m = _SEGMENT.match(key, pos)
        if m is None:
            where = key[pos:] or "end of key"
            raise ValueError(
                f"key {key!r}: expected a name at {where!r} "
                "(keys look like dynamics.deterrence or alliances[NAME].reliability)"
            )
        name, pos = m.group(), m.end()
        selector = None
        if pos < len(key) and key[pos] == "[":
            end = pos + 1
            while True:
                end = key.find("]", end)
                if end < 0:
                    raise ValueError(f"key {key!r}: '[' after {name!r} is never closed")
                if end + 1 == len(key) or key[end + 1] == ".":
                    break
                end += 1
            selector = key[pos + 1 : end]
            if not selector:
                raise ValueError(f"key {key!r}: empty selector {name}[]")
            pos = end + 1
        out.append((name, selector))
        if pos == len(key):
            return out
        if key[pos] != ".":
            raise ValueError(f"key {key!r}: unexpected {key[pos]!r} after {name!r}")
        pos += 1


def _number(text: str, what: str, setting: str) -> int | float:
    t = text.strip()
    if not t:
        raise ValueError(f"--set {setting!r}: {what} is empty")
    try:
        return int(t)
    except ValueError:
        pass
    try:
        x = float(t)
    except ValueError:
        raise ValueError(f"--set {setting!r}: {what} {t!r} is not a number") from None
    if not math.isfinite(x):
        raise ValueError(f"--set {setting!r}: {what} {t!r} must be finite")
    return x


def _linspace(start: float, stop: float, steps: int) -> list[float]:
    """``numpy.linspace(start, stop, steps)`` (steps >= 2) in plain Python, to the bit.

    The same operations in the same order as numpy: ``i * step + start``
    (``i / div * delta + start`` where the step underflows to 0), and the
    last point exactly ``stop``.
    """
    div = steps - 1
    delta = stop - start
    step = delta / div
    if step == 0:
        out = [float(i) / div * delta + start for i in range(steps)]
    else:
        out = [float(i) * step + start for i in range(steps)]
    out[-1] = stop
    return out


def _tidy(x: float) -> float:
    """Remove floating-point noise of a grid point (0.30000000000000004 -> 0.3)."""
    return float(f"{x:.12g}")


def _bounded(count: int, text: str) -> None:
    """Refuse a grid of more values than a sweep may have variants."""
    if count > MAX_VARIANTS:
        raise ValueError(
            f"--set {text!r}: {count:,} values, more than a sweep's {MAX_VARIANTS:,} variants"
        )


def parse_setting(text: str) -> Setting:
    """Parse ``KEY=START:STOP:STEPS`` or ``KEY=V1,V2,...`` into a :class:`Setting`.

    Parameters
    ----------
    text
        The setting. ``START:STOP:STEPS`` gives ``STEPS`` (>= 1) evenly spaced
        points from ``START`` to ``STOP``, both included (``STEPS = 1`` needs
        ``START == STOP``). ``V1,V2,...`` gives the listed values (one value
        is allowed). Values must be distinct.

    Returns
    -------
    Setting
        Whole-number values are ints (a grid is all ints when ``START``,
        ``STOP`` and the spacing are whole numbers); the others are floats.
        Whether the key exists is checked by :func:`sweep_worlds`.

    Raises
    ------
    ValueError
        Naming the bad part: missing ``=``, a malformed key, a value that is
        not a number, a bad ``STEPS``, duplicate values.

    Examples
    --------
    >>> parse_setting("dynamics.reliability.defense=0:1:5").values
    (0.0, 0.25, 0.5, 0.75, 1.0)
    >>> parse_setting("dynamics.max_rounds=8,16,32").values
    (8, 16, 32)
    """
    if not isinstance(text, str) or "=" not in text:
        raise ValueError(f"--set {text!r}: no '=' ({_SYNTAX})")
    key, _, spec = text.rpartition("=")
    key = key.strip()
    spec = spec.strip()
    if not key:
        raise ValueError(f"--set {text!r}: KEY before '=' is empty ({_SYNTAX})")
    if not spec:
        raise ValueError(f"--set {text!r}: no values after '=' ({_SYNTAX})")
    try:
        split_key(key)
    except ValueError as e:
        raise ValueError(f"--set {text!r}: {e}") from None
    values: list[int | float]
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise ValueError(
                f"--set {text!r}: grid {spec!r} must be START:STOP:STEPS (3 parts), "
                f"got {len(parts)}"
            )
        start = _number(parts[0], "START", text)
        stop = _number(parts[1], "STOP", text)
        steps_text = parts[2].strip()
        try:
            steps = int(steps_text)
        except ValueError:
            steps = 0
        if steps < 1:
            raise ValueError(
                f"--set {text!r}: STEPS {steps_text!r} must be a whole number >= 1 "
                "(the number of points, both ends included)"
            )
        _bounded(steps, text)
        if steps == 1:
            if start != stop:
                raise ValueError(
                    f"--set {text!r}: STEPS = 1 is a single point, so START and STOP must be "
                    f"equal (got {start:g} and {stop:g}); use STEPS >= 2 or a list"
                )
            values = [start]
        elif isinstance(start, int) and isinstance(stop, int) and (stop - start) % (steps - 1) == 0:
            gap = (stop - start) // (steps - 1)
            values = [start + i * gap for i in range(steps)]
        else:
            values = [_tidy(x) for x in _linspace(float(start), float(stop), steps)]
    else:
        items = spec.split(",")
        _bounded(len(items), text)
        values = [_number(v, f"value {i + 1}", text) for i, v in enumerate(items)]
    seen: set[float] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"--set {text!r}: value {v:g} is given twice")
        seen.add(v)
    return Setting(key=key, values=tuple(values), text=text)
