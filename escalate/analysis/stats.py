"""Statistics of results: intervals per structure, paired comparisons, tails.

Everything here works on the cascades table (docs/model.md): one row per
replicate per structure, with a ``structure`` column, as returned by
:func:`escalate.read_results` or :func:`escalate.simulate`.

This module is the stable place to import the statistics from; each job lives
in its own module of :mod:`escalate.analysis`:

:mod:`~escalate.analysis.compare`
    :func:`compare`: estimates with intervals per structure and paired tests
    against a baseline (its module docstring says how everything is computed);
    :func:`compare_results`: the same table of a run directory, streamed part
    by part in flat memory.
:mod:`~escalate.analysis.intervals`
    Wilson and exact binomial intervals; :func:`proportion_intervals`.
:mod:`~escalate.analysis.bootstrap`, :mod:`~escalate.analysis.counts`
    The nonparametric bootstrap, done exactly on value counts.
:mod:`~escalate.analysis.paired`
    McNemar and Wilcoxon tests, paired standard errors, :func:`holm`.
:mod:`~escalate.analysis.metrics`
    The metrics of :func:`compare` and the columns it reads
    (:data:`REQUIRED_COLUMNS`, from the results schema) and writes.
:mod:`~escalate.analysis.tails`
    The empirical complementary CDF ``P(X >= x)`` per structure with exact
    binomial (Clopper-Pearson) bands, and a discrete power-law fit of the tail
    with the ``powerlaw`` package (Clauset, Shalizi & Newman 2009 method:
    maximum likelihood exponent, ``xmin`` chosen by the Kolmogorov-Smirnov
    distance), shown next to the exponent of interstate war severity (Clauset
    2018) as context, not as a target.

scipy (a dependency) and powerlaw (optional: ``pip install 'escalate[stats]'``, for
the tail exponents) are imported when a function needs them.
"""

from __future__ import annotations

from .compare import compare, compare_results
from .intervals import proportion_intervals
from .metrics import REQUIRED_COLUMNS
from .paired import holm

__all__ = [
    "REQUIRED_COLUMNS",
    "compare",
    "compare_results",
    "holm",
    "proportion_intervals",
]
