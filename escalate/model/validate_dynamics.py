"""The validator of ``[dynamics]``: the rules, the reliabilities and the coefficients.

Part of :mod:`escalate.model.validate` (see there for how errors are collected).
Every number is checked against its row of :data:`escalate.model.defaults.DYNAMICS`
(range, integer or not); ``model``, ``entry`` and ``decide`` against
:data:`escalate.model.defaults.RULES`.
"""

from __future__ import annotations

import math
from typing import Any

from .checks import Checker, fmt
from .defaults import (
    DEFAULT_MODEL,
    DYNAMICS,
    DYNAMICS_KEYS,
    HONOUR_COVARIATES,
    RULES,
    UNALIGNED_TERMS,
    Default,
    default,
    default_entry,
)
from .entities import Dynamics
from .schema import ALLIANCE_KINDS, MODEL_VERSIONS

__all__ = ["dynamics"]

#: The tables of ``[dynamics]`` and the keys each holds (``honour.intercept`` is a
#: table of the alliance kinds).
_TABLES: dict[str, tuple[str, ...]] = {
    "reliability": ALLIANCE_KINDS,
    "honour": ("intercept", *HONOUR_COVARIATES),
    "honour.intercept": ALLIANCE_KINDS,
    "unaligned": UNALIGNED_TERMS,
}


def dynamics(c: Checker, v: Any) -> Dynamics | None:
    """``[dynamics]``: every parameter of the defaults table, given or default."""
    d = c.table(v, "dynamics")
    n0 = len(c.errors)
    c.keys(d, "dynamics", DYNAMICS_KEYS)
    model = c.attempt(_model, c, d.get("model", DEFAULT_MODEL))
    entry = c.attempt(_rule, c, d, model, "entry")
    decide = c.attempt(_rule, c, d, model, "decide")
    values: dict[str, Any] = {p.key: p.value for p in DYNAMICS}
    given: dict[str, Any] = {}  # the keys the file sets, as in the table (e.g. reliability.defense)
    for table in ("reliability", "honour", "unaligned"):
        if table in d:
            with c.guard():
                given |= _table(c, d[table], table)
    for p in DYNAMICS:
        if "." not in p.key and p.key in d:
            given[p.key] = d[p.key]
    for key, x in given.items():
        with c.guard():
            values[key] = _value(c, x, default(key))
    if len(c.errors) > n0:
        return None
    assert model is not None and entry is not None and decide is not None
    # each value has the kind of its row of the table (integer or number): checked above
    scalars: dict[str, Any] = {k: x for k, x in values.items() if "." not in k}
    # version 2 honours every kind with its fixed reliability; version 3 the kinds set
    reliability_set: tuple[str, ...] = ALLIANCE_KINDS
    if model != 2:
        reliability_set = tuple(k for k in ALLIANCE_KINDS if f"reliability.{k}" in given)
    return Dynamics(
        **scalars,
        model=model,
        entry=entry,
        decide=decide,
        reliability=_pairs(values, "reliability"),
        reliability_set=reliability_set,
        honour=_pairs(values, "honour"),
        unaligned=_pairs(values, "unaligned"),
    )


def _model(c: Checker, v: Any) -> int:
    """``dynamics.model``: one of :data:`~escalate.model.schema.MODEL_VERSIONS`."""
    if isinstance(v, bool) or not isinstance(v, int) or v not in MODEL_VERSIONS:
        versions = " or ".join(str(x) for x in MODEL_VERSIONS)
        raise c.err(
            "dynamics.model",
            f"must be {versions} (2: model version 2's rules, row for row), got {fmt(v)}",
        )
    return v


_RULES = {r.key: r for r in RULES}
#: The rule values only model 3 has: (key, value) -> what model 2 does instead.
_V3_ONLY = {
    ("entry", "enemies"): "attacks every nation on the other side: leave entry out, or "
    'entry = "side"',
    ("decide", "treaty"): "decides each obligation, one ordered pair, on its own: leave decide out",
}


def _rule(c: Checker, d: dict[str, Any], model: int | None, key: str) -> str:
    """``dynamics.entry`` or ``dynamics.decide``: one of its options; the model's default.

    A value of version 3 alone (``entry = "enemies"``, ``decide = "treaty"``) needs model 3.
    """
    rule = _RULES[key]
    if key not in d:  # entry's default depends on the model
        if key == "entry":
            return default_entry(model if model is not None else DEFAULT_MODEL)
        return str(rule.value)
    value = c.choice(d[key], rule.path, tuple(str(o) for o in rule.options))
    instead = _V3_ONLY.get((key, value))
    if instead and model is not None and model < 3:
        raise c.err(
            rule.path,
            f"'{value}' needs model = 3, got model = {model} (model version 2 {instead})",
        )
    return value


def _table(c: Checker, v: Any, path: str) -> dict[str, Any]:
    """The values a ``[dynamics.<path>]`` table sets, keyed as in the defaults table.

    Keys as ``honour.intercept.defense``. Unknown keys are recorded; nested tables are read.
    """
    t = c.table(v, f"dynamics.{path}")
    allowed = _TABLES[path]
    c.keys(t, f"dynamics.{path}", allowed)
    out: dict[str, Any] = {}
    for key, x in t.items():
        if key not in allowed:
            continue
        if f"{path}.{key}" in _TABLES:
            with c.guard():
                out |= _table(c, x, f"{path}.{key}")
        else:
            out[f"{path}.{key}"] = x
    return out


def _value(c: Checker, x: Any, d: Default) -> int | float:
    """One parameter in the range of its row.

    Or the row's ``off`` value (``unaligned.intercept = -inf``: disabled).
    """
    if d.off is not None and isinstance(x, float) and not math.isfinite(x):
        if x == d.off:
            return x
        raise c.err(d.path, f"must be finite, or {d.off:g} to switch it off, got {fmt(x)}")
    return c.param(x, d)


def _pairs(values: dict[str, Any], table: str) -> tuple[tuple[str, Any], ...]:
    """``(key, value)`` of the rows under ``table.``, in the order of the defaults table."""
    n = len(table) + 1
    return tuple((k[n:], x) for k, x in values.items() if k.startswith(table + "."))
