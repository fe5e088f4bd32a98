"""The parameters a calibration fits: every coefficient of version 3's honour and unaligned entry.

A parameter vector ``theta`` holds, in the order of :data:`PARAMS`, the four honour
intercepts, the seven honour slopes and the eight terms of unaligned entry
(``[dynamics.honour]``, ``[dynamics.unaligned]``; docs/model.md). :func:`START` is
the one fixed start of every fit (the documented defaults, with unaligned entry
rare but not off: a fit cannot move an intercept of -inf), and :func:`dynamics_of`
puts a vector into a world's dynamics.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..model.defaults import (
    DEFAULT_DECIDE,
    DEFAULT_DYNAMICS,
    HONOUR_COVARIATES,
    MAX_COEFFICIENT,
    UNALIGNED_TERMS,
)
from ..model.entities import Dynamics
from ..model.schema import ALLIANCE_KINDS

__all__ = ["BOUNDS", "PARAMS", "PRIOR_SCALE", "START", "dynamics_of", "params_dict"]

#: The fitted parameters, by their ``[dynamics]`` key path.
PARAMS: tuple[str, ...] = (
    *(f"honour.intercept.{k}" for k in ALLIANCE_KINDS),
    *(f"honour.{x}" for x in HONOUR_COVARIATES),
    *(f"unaligned.{t}" for t in UNALIGNED_TERMS),
)
#: The start of every fit: the shipped version 2 reliabilities as intercepts, slopes
#: 0, and unaligned entry at log-odds -7 (about 1 in 1,100 for every candidate).
START = np.array(
    [math.log(p / (1 - p)) for p in (DEFAULT_DYNAMICS["reliability"][k] for k in ALLIANCE_KINDS)]
    + [0.0] * len(HONOUR_COVARIATES)
    + [-7.0]
    + [0.0] * (len(UNALIGNED_TERMS) - 1)
)
#: Standard deviation of the normal prior of every coefficient, centred on its start:
#: the weakly informative default of logistic regression (rstanarm's ``normal(0, 2.5)``;
#: Gelman, Jakulin, Pittau & Su 2008). A fit maximises likelihood times prior, so a
#: coefficient the wars do not inform stays near its start instead of wandering to a
#: bound of the search where the simulated likelihood is flat.
PRIOR_SCALE = 2.5
#: Box bounds of the search: wide enough that no fit on the COW wars reaches them
#: (a test checks the shipped fit is inside), narrow enough that a flat likelihood
#: cannot run off to the schema's bounds.
BOUNDS = [(-12.0, 12.0)] * len(PARAMS)
assert all(abs(b) < MAX_COEFFICIENT for lo_hi in BOUNDS for b in lo_hi)


def params_dict(theta: np.ndarray) -> dict[str, float]:
    """``{key: value}`` of a parameter vector."""
    return {k: float(v) for k, v in zip(PARAMS, theta, strict=True)}


def dynamics_of(
    base: Dynamics, theta: np.ndarray, entry: str, decide: str = DEFAULT_DECIDE
) -> Dynamics:
    """``base`` under model 3, ``entry`` and ``decide``; honour and unaligned entry from ``theta``.

    No reliability is fixed (``reliability_set`` empty): every obligation is honoured by
    the logistic of its decision.
    """
    values = params_dict(theta)
    honour = tuple(
        (k.removeprefix("honour."), v) for k, v in values.items() if k.startswith("honour.")
    )
    unaligned = tuple(
        (k.removeprefix("unaligned."), v) for k, v in values.items() if k.startswith("unaligned.")
    )
    return dataclasses.replace(
        base,
        model=3,
        entry=entry,
        decide=decide,
        reliability_set=(),
        honour=honour,
        unaligned=unaligned,
    )
