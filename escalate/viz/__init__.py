"""Presentation of results: text and CSV tables, figures (matplotlib) and an HTML report.

:mod:`~escalate.viz.tables`, :mod:`~escalate.viz.plots` and
:mod:`~escalate.viz.report` (its page a jinja2 template, :mod:`~escalate.viz.page`);
:mod:`~escalate.viz.workflows` makes the figures and the report of a results directory
(:func:`escalate.plot`, :func:`escalate.report`). Figures and the report need
``escalate[plot]``.
"""
