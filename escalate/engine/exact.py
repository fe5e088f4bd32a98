"""What the engine can state exactly, without simulating it.

A nation that owes nothing to anyone (no obligation of any kind, neutrality pledges
included) and is not an incident party, in a world with a fixed incident, no
deterrence, no organizations and no plans, can go to war in one way only: unaligned
entry (docs/model.md, "Unaligned entry"). Nothing pulls it, and nothing attacks a
nation that is not at war, so its unaligned decision is always taken, with the
covariates it has in every cascade, and it ends the cascade at war on side D with
probability ``p * q`` (``p`` the logistic of entry, ``q`` that of side D) and on side A
with ``p * (1 - q)``. The kernel's keyed draws estimate these numbers with Monte Carlo
error (a cascade count of 0 where ``p`` is below about one in ``replicates``);
:func:`unaligned_alone` gives them exactly, from the same helpers the kernel's rule
uses (:func:`escalate.engine.phases.entry_chance`, :func:`~escalate.engine.phases.side_logit`).
The calibration's likelihood uses them (:mod:`escalate.backtest.simulator`).
"""

from __future__ import annotations

import numpy as np

from .codes import NO_SIDE, ON_UNALIGNED
from .compile import CompiledWorld
from .kernel import theatre_of
from .options import jit
from .phases import entry_chance, side_logit, side_powers
from .state import log_ratio, logistic

__all__ = ["unaligned_alone"]


@jit()
def _unaligned_alone(w, on_a, on_d):
    """Fill ``on_a``, ``on_d`` as :func:`unaligned_alone` says (NaN where not exact)."""
    on_a[:] = np.nan
    on_d[:] = np.nan
    if w.inc_random or w.deterrence > 0.0 or w.org_kind.size > 0 or w.plan_nation.size > 0:
        return
    ini = w.inc_initiator
    tgt = w.inc_target
    tmask = theatre_of(w, tgt)
    p_a, p_d = side_powers(w, ini, tgt)
    q = logistic(side_logit(w.un_coef, log_ratio(p_d, p_a), 0, 0))
    for k in range(w.power.size):
        if w.inc_party[k] != NO_SIDE or w.owe_ptr[k + 1] > w.owe_ptr[k]:
            continue
        p = entry_chance(w, k, tmask, 0) if w.coef_on[ON_UNALIGNED] else 0.0
        on_a[k] = p * (1.0 - q)
        on_d[k] = p * q


def unaligned_alone(cw: CompiledWorld) -> tuple[np.ndarray, np.ndarray]:
    """P(at war on side A), P(on side D) of each nation only unaligned entry takes to war.

    Parameters
    ----------
    cw
        A compiled world (nations in ``cw.ids`` order).

    Returns
    -------
    on_a, on_d
        One float per nation: exact where the nation owes nothing to anyone and the
        world has a fixed incident, no deterrence, no organizations and no plans (0.0
        under model 2, or with unaligned entry disabled); NaN for every other nation,
        whose probabilities only cascades can estimate.
    """
    on_a = np.empty(cw.n)
    on_d = np.empty(cw.n)
    _unaligned_alone(cw.arrays, on_a, on_d)
    return on_a, on_d
