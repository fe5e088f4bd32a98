"""The one table of ``[dynamics]`` defaults: value, range, meaning and source.

:data:`DYNAMICS` is the only place where a default of the dynamics is written.
The loader (:mod:`escalate.model.validate`) reads the ranges and defaults from
it, :class:`~escalate.model.entities.Dynamics` takes its field defaults from it,
``escalate check`` compares a world's dynamics with it
(:func:`dynamics_in_effect`) and the table of defaults in docs/worlds.md is
:func:`markdown_table` (``tests/test_model_layout.py`` checks that they agree).

Reliability defaults: ATOP-coded alliances were honoured about 75% of the time
(Leeds, Long & Mitchell 2000, "Reevaluating alliance reliability", JCR 44(5));
ententes carry no military promise, so a lower default; neutrality pledges held
78% of the time 1816-2003 (Berkemeier & Fuhrmann 2018, "Reassessing the
fulfillment of alliance commitments", Research & Politics). By type that study
gives defense 0.41 and offense 0.74; set them in ``[dynamics.reliability]`` to
use those instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .schema import (
    ALLIANCE_KINDS,
    DECIDE_RULES,
    ENTRY_RULES,
    MAX_CONTEST_EXPONENT,
    MAX_NATIONS,
    MAX_ROUNDS,
    MODEL_VERSIONS,
)

__all__ = [
    "DEFAULT_DECIDE",
    "DEFAULT_DYNAMICS",
    "DEFAULT_HONOUR",
    "DEFAULT_MODEL",
    "DEFAULT_UNALIGNED",
    "DYNAMICS",
    "DYNAMICS_KEYS",
    "HONOUR_COVARIATES",
    "MAX_COEFFICIENT",
    "RULES",
    "UNALIGNED_TERMS",
    "Default",
    "Rule",
    "default",
    "default_entry",
    "dynamics_in_effect",
    "markdown_table",
]

_LEEDS = (
    'Leeds, Long & Mitchell 2000, "Reevaluating alliance reliability", JCR 44(5): '
    "ATOP-coded alliances were honoured about 75% of the time"
)


@dataclass(frozen=True)
class Default:
    """One ``[dynamics]`` parameter.

    Attributes
    ----------
    key
        Its path under ``[dynamics]``, e.g. ``deterrence`` or ``reliability.defense``.
    value
        The default (an int for integer parameters, else a float).
    lo, hi
        The allowed range, both ends included.
    description
        What it means, in one sentence.
    source
        Where the default comes from: the literature, or a stated modelling choice.
    off
        A value outside the range that is allowed too, and switches the term off
        (``unaligned.intercept = -inf``: nobody joins without a treaty); None if none.
    """

    key: str
    value: int | float
    lo: int | float
    hi: int | float
    description: str
    source: str
    off: float | None = None

    def allows(self, x: float) -> bool:
        """Whether ``x`` is in the range, or is the value that switches the term off."""
        return self.lo <= x <= self.hi or x == self.off

    @property
    def integer(self) -> bool:
        """Whether the parameter takes whole numbers only."""
        return isinstance(self.value, int)

    @property
    def path(self) -> str:
        """The key path in a world file, as error messages write it."""
        return f"dynamics.{self.key}"


#: The ``[dynamics]`` parameters, in the order of the world file and ``escalate check``.
DYNAMICS: tuple[Default, ...] = (
    Default(
        "max_rounds",
        32,
        1,
        MAX_ROUNDS,
        "rounds after which a cascade stops even if it still grows",
        "modelling choice: a cap, not a parameter of interest (the cascades of the "
        "bundled worlds end within 7 rounds)",
    ),
    Default(
        "world_war_majors",
        3,
        1,
        MAX_NATIONS,
        "major powers at war that make the war a world war",
        "modelling choice: a war among three or more great powers",
    ),
    Default(
        "deterrence",
        0.0,
        0.0,
        1.0,
        "the initiator backs down with probability deterrence x the share of power it "
        "expects to face (target and pledged supporters, weighted by reliability); "
        "0 disables deterrence",
        "modelling choice: the model's premise that the aggression happens (docs/model.md)",
    ),
    Default(
        "contest_exponent",
        1.0,
        0.0,
        MAX_CONTEST_EXPONENT,
        "m of the contest P(side A wins) = P_A^m / (P_A^m + P_D^m), P the summed power",
        "the ratio-form contest success function (Tullock 1980; Hirshleifer 1989); "
        "m = 1 makes the odds proportional to power",
    ),
    Default(
        "sanction_effect",
        0.05,
        0.0,
        1.0,
        "each sanction against a side multiplies its power by 1 - sanction_effect",
        "modelling choice: sanctions weaken a side a little, they do not decide a war",
    ),
    Default(
        "reliability.defense",
        0.75,
        0.0,
        1.0,
        "probability that a defense obligation is honoured (treaty default)",
        f"{_LEEDS}; by type Berkemeier & Fuhrmann 2018 give 0.41",
    ),
    Default(
        "reliability.offense",
        0.75,
        0.0,
        1.0,
        "probability that an offense obligation is honoured (treaty default)",
        f"{_LEEDS}; by type Berkemeier & Fuhrmann 2018 give 0.74",
    ),
    Default(
        "reliability.entente",
        0.35,
        0.0,
        1.0,
        "probability that an entente obligation is honoured (treaty default)",
        "modelling choice: an entente carries no military promise, so it is honoured "
        "less often than an alliance",
    ),
    Default(
        "reliability.neutrality",
        0.78,
        0.0,
        1.0,
        "probability that a neutrality pledge holds (treaty default)",
        'Berkemeier & Fuhrmann 2018, "Reassessing the fulfillment of alliance '
        'commitments", Research & Politics: neutrality pledges held 78% of the time, '
        "1816-2003",
    ),
)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


#: Largest magnitude of a logistic coefficient of ``[dynamics.honour]`` and
#: ``[dynamics.unaligned]``: at 50 a probability is 1 - 2e-22 already, so larger
#: values are typos (``unaligned.intercept`` may also be ``-inf``: disabled, its ``off``).
MAX_COEFFICIENT = 100.0
_V3 = "model version 3 (docs/model.md); until the fit lands: version 2's reliability"
#: The covariates of honour, in the order the decision adds them (docs/model.md).
HONOUR_COVARIATES = ("major", "in_theatre", "aggressor", "depth", "members", "power", "unwritten")
_HONOUR_MEANING = {
    "major": "the obligor is a major power (0/1)",
    "in_theatre": "the obligor's region is in the theatre (0/1)",
    "aggressor": "the protege is an aggressor when the obligation is decided (0/1)",
    "depth": "the round of the decision (0 for the incident's own allies)",
    "members": "log of the treaty's number of members",
    "power": "log of the obligor's power over the summed power of the protege's enemies",
    "unwritten": "the treaty carries a condition the model cannot express (0/1)",
}
#: The terms of unaligned entry (join, then side D), in the order they are added.
UNALIGNED_TERMS = (
    "intercept", "major", "in_theatre", "power", "ties",
    "side_intercept", "side_power", "side_ties",
)  # fmt: skip
_UNALIGNED_MEANING = {
    "intercept": "log-odds that a nation without a decided obligation joins (-inf: never)",
    "major": "added for a major power",
    "in_theatre": "added for a nation whose region is in the theatre",
    "power": "times log of the nation's share of the world's power",
    "ties": "added for a nation owing any obligation to a belligerent",
    "side_intercept": "log-odds that a joiner takes side D",
    "side_power": "times log(P_D / P_A), the summed power of each side's incident parties",
    "side_ties": "times t_D - t_A, its obligations towards each side's incident parties",
}
_RELIABILITY = {
    d.key.split(".")[1]: float(d.value) for d in DYNAMICS if d.key.startswith("reliability.")
}

DYNAMICS = (
    DYNAMICS
    + tuple(
        Default(
            f"honour.intercept.{kind}",
            _logit(p),
            -MAX_COEFFICIENT,
            MAX_COEFFICIENT,
            f"a of the honour of a {kind} obligation without a reliability: "
            "p = 1 / (1 + exp(-(a + b . x)))",
            f"{_V3}, logit({p})",
        )
        for kind, p in _RELIABILITY.items()
    )
    + tuple(
        Default(
            f"honour.{x}",
            0.0,
            -MAX_COEFFICIENT,
            MAX_COEFFICIENT,
            f"b of the honour covariate {x}: {_HONOUR_MEANING[x]}",
            f"{_V3} (b = 0)",
        )
        for x in HONOUR_COVARIATES
    )
    + tuple(
        Default(
            f"unaligned.{t}",
            -math.inf if t == "intercept" else 0.0,
            -MAX_COEFFICIENT,
            MAX_COEFFICIENT,
            f"unaligned entry: {_UNALIGNED_MEANING[t]}",
            "model version 3: disabled until the fit lands",
            -math.inf if t == "intercept" else None,
        )
        for t in UNALIGNED_TERMS
    )
)

_BY_KEY = {d.key: d for d in DYNAMICS}
assert tuple(k for k in _BY_KEY if k.startswith("reliability.")) == tuple(
    f"reliability.{kind}" for kind in ALLIANCE_KINDS
), "one reliability default per alliance kind, in ALLIANCE_KINDS order"


@dataclass(frozen=True)
class Rule:
    """One ``[dynamics]`` key that picks among rules rather than setting a number.

    Attributes
    ----------
    key
        Its key under ``[dynamics]``: ``model``, ``entry`` or ``decide``.
    value
        The default (under the latest model version).
    options
        The values allowed.
    description
        What it means, in one sentence.
    source
        Where the rule comes from.
    """

    key: str
    value: int | str
    options: tuple[int, ...] | tuple[str, ...]
    description: str
    source: str

    @property
    def path(self) -> str:
        """The key path in a world file, as error messages write it."""
        return f"dynamics.{self.key}"


#: The latest model version, the default of ``dynamics.model``.
DEFAULT_MODEL: int = MODEL_VERSIONS[-1]


def default_entry(model: int) -> str:
    """The default ``dynamics.entry`` of model version ``model``.

    ``enemies`` from version 3, ``side`` (version 2's rule) before.
    """
    return ENTRY_RULES[0] if model >= 3 else "side"


#: The default ``dynamics.decide``: one draw per obligation (the specification's rule).
DEFAULT_DECIDE: str = DECIDE_RULES[0]

#: ``dynamics.model``, ``dynamics.entry`` and ``dynamics.decide``: the rules, in the order
#: of the world file.
RULES: tuple[Rule, ...] = (
    Rule(
        "model",
        DEFAULT_MODEL,
        MODEL_VERSIONS,
        "the rules of the cascade: 3, or 2 for model version 2's rules (fixed "
        "reliabilities, no unaligned entry), row for row for the worlds written for it",
        "docs/model.md",
    ),
    Rule(
        "entry",
        default_entry(DEFAULT_MODEL),
        ENTRY_RULES,
        "whom an entrant attacks: enemies (those at war with the nations that pulled it "
        "in) or side (every nation on the other side); default side under model = 2, "
        "where enemies is not allowed",
        "docs/model.md (Britain entering for Belgium in 1914 attacks Germany, not Austria-Hungary)",
    ),
    Rule(
        "decide",
        DEFAULT_DECIDE,
        DECIDE_RULES,
        "how often an obligor decides under one treaty: obligation (once per ordered pair) "
        "or treaty (one draw for its obligations of one kind under the treaty, honoured "
        "towards a protege when the draw is below that decision's probability; model = 3 "
        "only)",
        "docs/model.md (a 22-member pact does not compound: each member honours the treaty or not)",
    ),
)

#: The keys allowed in ``[dynamics]`` (``reliability``, ``honour`` and ``unaligned`` are
#: tables), in the order of the world file.
DYNAMICS_KEYS: tuple[str, ...] = tuple(r.key for r in RULES) + tuple(
    dict.fromkeys(d.key.split(".")[0] for d in DYNAMICS)
)


def default(key: str) -> Default:
    """The :class:`Default` of ``key`` (e.g. ``"deterrence"``, ``"reliability.entente"``).

    Raises
    ------
    KeyError
        If ``key`` is not a dynamics parameter.
    """
    return _BY_KEY[key]


def _nested(values: dict[str, Any]) -> dict[str, Any]:
    """Dotted keys as nested tables, in table order.

    ``{"a": 1, "r.x": 2, "h.i.y": 3}`` -> ``{"a": 1, "r": {"x": 2}, "h": {"i": {"y": 3}}}``.
    """
    out: dict[str, Any] = {}
    for key, value in values.items():
        *heads, leaf = key.split(".")
        cur = out
        for head in heads:
            cur = cur.setdefault(head, {})
        cur[leaf] = value
    return out


def _pairs(prefix: str) -> tuple[tuple[str, float], ...]:
    """``(key, value)`` of the rows under ``prefix.`` (the key without the prefix)."""
    return tuple(
        (d.key[len(prefix) + 1 :], float(d.value))
        for d in DYNAMICS
        if d.key.startswith(prefix + ".")
    )


#: The default ``[dynamics.honour]`` as the flat pairs of
#: :attr:`~escalate.model.entities.Dynamics.honour`: ``("intercept.defense", a)``, ...,
#: ``("major", b)``, ...
DEFAULT_HONOUR: tuple[tuple[str, float], ...] = _pairs("honour")
#: The default ``[dynamics.unaligned]`` as ``(term, value)`` pairs.
DEFAULT_UNALIGNED: tuple[tuple[str, float], ...] = _pairs("unaligned")

#: The defaults as ``[dynamics]`` data: ``{"model": 3, "entry": "enemies",
#: "max_rounds": 32, ..., "reliability": {...}, "honour": {"intercept": {...}, "major": 0.0,
#: ...}, "unaligned": {...}}``. Derived from :data:`RULES` and :data:`DYNAMICS`; a fresh
#: copy is not made, so do not modify it.
DEFAULT_DYNAMICS: dict[str, Any] = {r.key: r.value for r in RULES} | _nested(
    {d.key: d.value for d in DYNAMICS}
)


def dynamics_in_effect(dynamics: Any) -> list[tuple[Default, int | float, bool]]:
    """The value of every parameter of ``dynamics``, and whether it differs from the default.

    Parameters
    ----------
    dynamics
        A :class:`~escalate.model.entities.Dynamics`.

    Returns
    -------
    list of (Default, value, differs)
        One entry per row of :data:`DYNAMICS`, in its order (the rules ``model`` and
        ``entry`` are the dataclass's fields ``model`` and ``entry``).
    """
    out = []
    for d in DYNAMICS:
        head, _, rest = d.key.partition(".")
        value: int | float
        if head == "reliability":
            value = dynamics.default_reliability(rest)
        elif head == "honour":
            value = dynamics.honour_value(rest)
        elif head == "unaligned":
            value = dynamics.unaligned_value(rest)
        else:
            value = getattr(dynamics, d.key)
        out.append((d, value, value != d.value))
    return out


def _number(x: int | float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def markdown_table() -> str:
    """The defaults as a Markdown table (docs/worlds.md's copy of RULES and DYNAMICS)."""
    lines = [
        "| `[dynamics]` key | default | range | meaning | source |",
        "|---|---|---|---|---|",
    ]
    for r in RULES:
        options = " or ".join(str(x) for x in r.options)
        lines.append(f"| `{r.key}` | {r.value} | {options} | {r.description} | {r.source} |")
    for d in DYNAMICS:
        off = "" if d.off is None else f", or {_number(d.off)} (off)"
        lines.append(
            f"| `{d.key}` | {_number(d.value)} | {_number(d.lo)} to {_number(d.hi)}{off} "
            f"| {d.description} | {d.source} |"
        )
    return "\n".join(lines)
