"""What :func:`~escalate.analysis.compare.compare` measures: metrics, kinds, columns.

The columns it reads come from the one results schema
(:data:`escalate.results.schema.CASCADE_COLUMNS`); the metrics it reports, their
kinds and readable labels, and the columns of its output table are defined here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from ..results.schema import CASCADE_COLUMNS, Column

__all__ = [
    "BINARY",
    "KINDS",
    "LABELS",
    "MEAN",
    "OUTPUT_COLUMNS",
    "PROPORTION",
    "QUANTILE",
    "QUANTILE_VARIABLES",
    "REQUIRED_COLUMNS",
    "SIZES",
    "STRUCTURE",
    "MetricSpec",
    "metric_specs",
    "quantile_label",
    "quantile_name",
    "schema_columns",
]

#: Kinds of metric (the ``kind`` column of the comparison table).
PROPORTION, MEAN, QUANTILE = "proportion", "mean", "quantile"
KINDS = (PROPORTION, MEAN, QUANTILE)

#: Boolean outcomes, reported as proportions, in output order.
BINARY = ("world_war", "deterred", "vetoed")
#: Sizes, reported as means (and quantiles for :data:`QUANTILE_VARIABLES`).
SIZES = ("belligerents", "power_share", "rounds", "broken_promises", "sanctions", "diplomacy")
QUANTILE_VARIABLES = ("belligerents", "power_share")
#: Readable names of the variables.
LABELS = {
    "world_war": "P(world war)",
    "deterred": "P(deterred)",
    "vetoed": "P(vetoed)",
    "belligerents": "belligerents",
    "power_share": "power share at war",
    "rounds": "rounds",
    "broken_promises": "broken promises per cascade",
    "sanctions": "sanctions per cascade",
    "diplomacy": "diplomatic responses per cascade",
}

#: The column that names the alliance structure of a row. It is not a column of
#: the Parquet parts (it is the partition key, ``cascades/structure=<name>/``):
#: :func:`escalate.read_results` and :func:`escalate.simulate` put it first.
STRUCTURE = "structure"


def schema_columns(
    names: Iterable[str], schema: Sequence[Column] = CASCADE_COLUMNS
) -> tuple[str, ...]:
    """The named columns of the results schema, in the schema's order.

    Parameters
    ----------
    names
        Column names the analysis reads.
    schema
        The schema (default: :data:`escalate.results.schema.CASCADE_COLUMNS`).

    Returns
    -------
    tuple of str
        ``names`` ordered as in ``schema``.

    Raises
    ------
    ValueError
        A name is not a column of the schema (a renamed or removed column must
        fail here, at import, not as a KeyError in the middle of an analysis).
    """
    wanted = set(names)
    known = [c.name for c in schema]
    missing = sorted(wanted.difference(known))
    if missing:
        raise ValueError(
            f"the analysis reads column(s) {', '.join(missing)} that are not in the "
            "results schema (escalate/results/schema.py)"
        )
    return tuple(name for name in known if name in wanted)


#: Columns :func:`~escalate.analysis.compare.compare` reads from the cascades table:
#: ``structure`` and the schema's columns it uses, in the schema's order.
REQUIRED_COLUMNS = (STRUCTURE, *schema_columns(("replicate", *BINARY, *SIZES)))

#: Columns of the comparison table, in order.
OUTPUT_COLUMNS = [
    "structure",
    "metric",
    "label",
    "kind",
    "n",
    "estimate",
    "se",
    "low",
    "high",
    "interval",
    "baseline",
    "n_pairs",
    "difference",
    "difference_low",
    "difference_high",
    "se_paired",
    "se_unpaired",
    "se_ratio",
    "test",
    "statistic",
    "p_value",
    "p_holm",
    "effect_size",
]


class MetricSpec(NamedTuple):
    """One row kind of the comparison table."""

    metric: str  #: stable identifier, e.g. ``p_world_war``, ``q90_belligerents``
    kind: str  #: one of :data:`KINDS`
    variable: str  #: the column it is computed from
    parameter: object  #: threshold k (``p_belligerents_ge_k``), quantile q, or None
    label: str  #: readable name


def quantile_name(q: float) -> str:
    """Metric prefix of quantile ``q``: ``q50``, ``q90``, ``q99.9``."""
    return f"q{100 * q:g}"


def quantile_label(q: float) -> str:
    """Readable name of quantile ``q``: ``median``, ``90th pct.``."""
    return "median" if q == 0.5 else f"{100 * q:g}th pct."


def metric_specs(ks: Sequence[int], qs: Sequence[float]) -> list[MetricSpec]:
    """Every metric of the comparison table, in output order.

    Parameters
    ----------
    ks
        Thresholds of the ``P(belligerents >= k)`` rows.
    qs
        Quantiles of the :data:`QUANTILE_VARIABLES`.

    Returns
    -------
    list of MetricSpec
        Proportions of :data:`BINARY`, ``P(belligerents >= k)``, ``P(any broken
        promise)``, then per size its mean and (for some) its quantiles.
    """
    specs = [MetricSpec(f"p_{v}", PROPORTION, v, None, LABELS[v]) for v in BINARY]
    specs += [
        MetricSpec(
            f"p_belligerents_ge_{k}", PROPORTION, "belligerents", k, f"P(belligerents ≥ {k})"
        )
        for k in ks
    ]
    specs.append(
        MetricSpec("p_broken_promise", PROPORTION, "broken_promises", 1, "P(any broken promise)")
    )
    for v in SIZES:
        specs.append(MetricSpec(f"mean_{v}", MEAN, v, None, f"mean {LABELS[v]}"))
        if v in QUANTILE_VARIABLES:
            specs += [
                MetricSpec(
                    f"{quantile_name(q)}_{v}", QUANTILE, v, q, f"{quantile_label(q)} {LABELS[v]}"
                )
                for q in qs
            ]
    return specs
