"""Presentation of results: text and CSV tables, figures (matplotlib) and an HTML report.

:mod:`~escalate.viz.tables`, :mod:`~escalate.viz.plots` and
:mod:`~escalate.viz.report`; figures and the report need ``escalate[plot]``.
"""
