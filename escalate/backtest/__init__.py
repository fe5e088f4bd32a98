"""Does the model predict who goes to war? A backtest over the COW inter-state wars.

One job per module: :mod:`~escalate.backtest.wars` (the COW war file and the
incident rule), :mod:`~escalate.backtest.predict` (the world on the eve of
each war and its predictions), :mod:`~escalate.backtest.scores` (Brier, log
loss, AUC, calibration, bootstrap over wars), :mod:`~escalate.backtest.run`
(:func:`backtest`) and :mod:`~escalate.backtest.calibrate` (reliabilities
fitted to the wars). See docs/backtest.md.
"""

from __future__ import annotations

from .calibrate import Calibration, calibrate, toml_fragment
from .run import Backtest, backtest

__all__ = ["Backtest", "Calibration", "backtest", "calibrate", "toml_fragment"]
