"""Statistics of results: intervals, paired tests, the comparison table and war-size tails.

One job per module: :mod:`~escalate.analysis.intervals` (Wilson, Clopper-Pearson,
normal), :mod:`~escalate.analysis.bootstrap` (exact bootstrap on value counts),
:mod:`~escalate.analysis.counts` (value counts, joint counts, quantiles),
:mod:`~escalate.analysis.paired` (McNemar, Wilcoxon, Holm),
:mod:`~escalate.analysis.metrics` (the metrics of the table),
:mod:`~escalate.analysis.compare` (:func:`~escalate.analysis.compare.compare`),
:mod:`~escalate.analysis.tally` (a structure's rows as counts added up by window),
:mod:`~escalate.analysis.tails` (CCDFs and power-law tails) and
:mod:`~escalate.analysis.common` (shared checks).
"""
