"""The integer codes of the compiled world and the kernel, beside the labels they stand for.

The compiler (:mod:`.compile`) writes these codes into the world's arrays, the kernel
(:mod:`.kernel`) compares and writes them, and :mod:`escalate.results.arrow` turns the
codes of the output columns back into labels. Nothing else defines them. The labels
are the model's vocabulary (:mod:`escalate.model.schema`) where it has one.

- ``SIDE_*``: the side of a nation (``side`` and ``winner`` columns); labels
  :data:`SIDE_LABELS`, indexed by code - ``SIDE_A``.
- ``VIA_*``: how a nation entered the war (``via`` column); labels :data:`VIA_LABELS`.
- ``OB_*``: obligation kinds (``ob_kind``), equal to the ``via`` of the nations they
  bring in; :data:`OB_CODES` maps the model's kind to its code.
- ``LEVEL_*``: organization responses, indices into the model's ladder
  (:data:`LEVEL_LABELS`).
- ``ORG_*``: organization kinds (``org_kind``); labels :data:`ORG_KIND_LABELS`.
- ``NO_SOURCE``: the ``source`` code of a nation brought in by nothing (null).
- ``H_*``, ``ON_*``: the entries of the coefficient arrays ``h_slope`` and ``coef_on``.

This module is part of the compiled-kernel cache key (see :mod:`.options`: every module
here that imports from it), so that a changed code recompiles the kernel that holds it
as a constant; :func:`other_side` is the kernel's helper for side codes.
"""

from __future__ import annotations

from ..model.schema import LADDER
from .options import INLINE_OPTIONS, jit

__all__ = [
    "LEVEL_DIPLOMACY",
    "LEVEL_LABELS",
    "LEVEL_MILITARY",
    "LEVEL_NONE",
    "LEVEL_SANCTIONS",
    "NO_SIDE",
    "NO_SOURCE",
    "OB_CODES",
    "OB_DEFENSE",
    "OB_ENTENTE",
    "OB_OFFENSE",
    "ORG_ARBITRATION",
    "ORG_COLLECTIVE_DEFENSE",
    "ORG_COLLECTIVE_SECURITY",
    "ORG_KIND_LABELS",
    "SIDE_A",
    "SIDE_D",
    "SIDE_LABELS",
    "VIA_DEFENSE",
    "VIA_ENTENTE",
    "VIA_INITIAL",
    "VIA_LABELS",
    "VIA_OFFENSE",
    "VIA_ORGANIZATION",
    "VIA_PLAN",
    "VIA_UNALIGNED",
    "other_side",
]

# -- sides: ``side`` of a nation, the ``side`` and ``winner`` columns ----------------------
#: Not at war (and, as ``winner``, no war: deterred).
NO_SIDE = 0
SIDE_A = 1  # the initiator's side
SIDE_D = 2  # the target's side
#: The label of side code ``c`` is ``SIDE_LABELS[c - SIDE_A]``.
SIDE_LABELS = ("A", "D")

# -- how a nation entered the war: the ``via`` column ---------------------------------------
VIA_INITIAL = 0  # the initiator and the target, round 0
VIA_DEFENSE = 1
VIA_OFFENSE = 2
VIA_ENTENTE = 3
VIA_PLAN = 4  # a victim of a war plan
VIA_ORGANIZATION = 5  # an organization's military response
VIA_UNALIGNED = 6  # model version 3: joined without an obligation
#: The label of via code ``c`` is ``VIA_LABELS[c]``.
VIA_LABELS = ("initial", "defense", "offense", "entente", "plan", "organization", "unaligned")

# -- obligation kinds (``ob_kind``): coded as the via of the nations they bring in ---------
OB_DEFENSE = VIA_DEFENSE
OB_OFFENSE = VIA_OFFENSE
OB_ENTENTE = VIA_ENTENTE
#: The code of each obligation kind (neutrality pledges are stored apart and have none).
OB_CODES = {"defense": OB_DEFENSE, "offense": OB_OFFENSE, "entente": OB_ENTENTE}

# -- organization responses, weakest first: indices into the model's ladder ----------------
LEVEL_NONE = LADDER.index("none")
LEVEL_DIPLOMACY = LADDER.index("diplomacy")
LEVEL_SANCTIONS = LADDER.index("sanctions")
LEVEL_MILITARY = LADDER.index("military")
#: The label of level code ``c`` is ``LEVEL_LABELS[c]`` (``org_cap`` holds such codes).
LEVEL_LABELS = LADDER

# -- organization kinds the kernel simulates (``org_kind``) ---------------------------------
ORG_COLLECTIVE_SECURITY = 0
ORG_COLLECTIVE_DEFENSE = 1
ORG_ARBITRATION = 2  # settles disputes before the war; takes part in nothing else
#: The label of organization kind code ``c`` is ``ORG_KIND_LABELS[c]``.
ORG_KIND_LABELS = ("collective_security", "collective_defense", "arbitration")

#: The ``source`` code of a nation brought in by nothing (the initiator and the target).
NO_SOURCE = -1

#: ``h_slope``: the honour coefficients whose covariates move during a cascade, in
#: :data:`H_SLOPES` order (the keys of ``[dynamics.honour]``).
H_THEATRE, H_AGGR, H_DEPTH, H_POWER = 0, 1, 2, 3
H_SLOPES = ("in_theatre", "aggressor", "depth", "power")
#: ``coef_on``: unaligned entry is on.
ON_UNALIGNED = 0

if any(VIA_LABELS[code] != kind for kind, code in OB_CODES.items()):  # pragma: no cover
    raise AssertionError("an obligation kind code must be the via code of the same label")
if LEVEL_NONE != 0 or not LEVEL_NONE < LEVEL_DIPLOMACY < LEVEL_SANCTIONS < LEVEL_MILITARY:
    raise AssertionError("the kernel needs the ladder none < diplomacy < sanctions < military")


@jit(**INLINE_OPTIONS)
def other_side(s):
    """The side code opposite side code ``s`` (``SIDE_A`` <-> ``SIDE_D``)."""
    return SIDE_A + SIDE_D - s
