"""What a world file may contain: its keys, its kinds and its bounds.

Keys and kinds: :data:`TOP_KEYS`, :data:`ALLIANCE_KINDS`,
:data:`ORGANIZATION_KINDS`, :data:`LADDER`. (The ``[dynamics]`` keys, their
defaults and ranges are in :mod:`escalate.model.defaults`.)

Bounds: the kernel writes its results into fixed-width integer columns
(``escalate.results.schema``) and ``escalate.engine.compile`` indexes the world
with int32/uint32 arrays. A world whose counts do not fit those dtypes would
overflow silently (a world of 33,001 nations gave ``belligerents = -32535``), so
the loader rejects it. ``tests/test_bounds.py`` checks each bound against the
dtypes it protects.

A world name becomes the results directory ``structure=<name>``, so it must be a
safe directory name that Parquet readers read back as the same string.
"""

from __future__ import annotations

import re

__all__ = [
    "ALLIANCE_KINDS",
    "ATTACK_CONDITION_KINDS",
    "BYTES_PER_OBLIGATION",
    "DECIDE_RULES",
    "ENTRY_RULES",
    "ID_RE",
    "INCIDENT_MODES",
    "INCIDENT_WEIGHTS",
    "LADDER",
    "MAX_CONTEST_EXPONENT",
    "MAX_NAME_LENGTH",
    "MAX_NATIONS",
    "MAX_OBLIGATIONS",
    "MAX_ORGANIZATIONS",
    "MAX_PLANS",
    "MAX_ROUNDS",
    "MODEL_VERSIONS",
    "NAME_CHARS",
    "NUMERIC_NAME_RE",
    "ORGANIZATION_KINDS",
    "REGIONS",
    "RESPONSE_KINDS",
    "TOP_KEYS",
    "UNPROVOKED_KINDS",
    "physical_memory",
]

#: The top-level keys of a world file.
TOP_KEYS = (
    "name",
    "description",
    "dynamics",
    "incident",
    "nations",
    "alliances",
    "organizations",
    "plans",
)
#: The kinds of ``[[alliances]]``, in the order of ``[dynamics.reliability]``.
ALLIANCE_KINDS = ("defense", "offense", "entente", "neutrality")
#: The kinds of ``[[organizations]]``.
ORGANIZATION_KINDS = ("collective_security", "collective_defense", "arbitration")
#: The organization kinds whose members respond on the :data:`LADDER` (``response``
#: required); an ``arbitration`` organization settles disputes instead (``settlement``).
RESPONSE_KINDS = ("collective_security", "collective_defense")
#: The alliance kinds that may carry ``unprovoked`` and ``min_attackers`` (conditions
#: on how the protege was attacked); ``against`` fits every kind.
ATTACK_CONDITION_KINDS = ("defense", "entente")
#: The alliance kinds that may carry ``unprovoked`` (not while the protege is an
#: aggressor): those of :data:`ATTACK_CONDITION_KINDS`, and from model version 3
#: ``neutrality`` (ATOP ``neuconpr``).
UNPROVOKED_KINDS = (*ATTACK_CONDITION_KINDS, "neutrality")
#: The response ladder of an organization member, weakest first.
LADDER = ("none", "diplomacy", "sanctions", "military")
#: The regions of nations and of the incident's theatre (model version 3): the COW
#: regions, in the order of their ccode ranges (2-165, 200-399, 402-626, 630-698,
#: 700-899, 900-990). A region's code in the compiled world is its index here.
REGIONS = ("americas", "europe", "africa", "middle_east", "asia", "oceania")
#: ``dynamics.model``: the rules of model version 2 (row for row) or 3.
MODEL_VERSIONS = (2, 3)
#: ``dynamics.entry``: whom an entrant attacks. ``enemies`` (version 3): the nations
#: at war with those that pulled it in; ``side`` (version 2): every nation on the other side.
ENTRY_RULES = ("enemies", "side")
#: ``dynamics.decide``: how often an obligor decides under one treaty. ``obligation``
#: (default): once per obligation, one ordered pair; ``treaty`` (version 3 only): one
#: draw for all its obligations of one kind under the treaty.
DECIDE_RULES = ("obligation", "treaty")
#: ``incident.mode``: one fixed incident, or one drawn per replicate.
INCIDENT_MODES = ("fixed", "random")
#: ``incident.weights`` of a random incident.
INCIDENT_WEIGHTS = ("uniform", "power")

# --------------------------------------------------------------------------- bounds

_INT16_MAX = 2**15 - 1  # numpy.iinfo(numpy.int16).max
_INT32_MAX = 2**31 - 1  # numpy.iinfo(numpy.int32).max

#: Most nations in a world: ``belligerents``, ``side_a``, ``side_d`` and ``majors``
#: are int16 columns and can count at most every nation.
MAX_NATIONS = _INT16_MAX
#: Most ``[[organizations]]``: each member answers once per organization, so the
#: int32 columns ``sanctions`` and ``diplomacy`` count at most g * n answers, and the
#: kernel indexes the (organization, nation) cells as o * n + k in uint32.
MAX_ORGANIZATIONS = _INT16_MAX
#: Most directed obligations all treaties expand to together (neutrality pledges
#: included; ``members`` of k nations give k * (k - 1), a guarantee
#: guarantors * protected). The ``source`` code of an entrant (obligation rank,
#: then organizations, then nations) is int32 and ``broken_promises`` (int32)
#: counts at most one per obligation, so obligations + organizations + nations
#: must fit int32.
MAX_OBLIGATIONS = _INT32_MAX - MAX_NATIONS - MAX_ORGANIZATIONS
#: Bytes one directed obligation takes while a world is compiled: its entry in the
#: canonical order (a tuple of names), its arrays (kind, obligor, protege, draw key,
#: threshold, log-odds, conditions, trigger entry) and its honour inputs. Measured:
#: a peak of 329 bytes per obligation with ``tracemalloc`` while compiling one treaty
#: of 1,000 members (999,000 obligations), 124 kept after. The loader refuses a world
#: whose obligations would need more than the machine's memory
#: (:func:`physical_memory`), with the estimate, before anything is expanded.
BYTES_PER_OBLIGATION = 330


def physical_memory() -> int | None:
    """The machine's physical memory in bytes (None where the system does not say)."""
    import os

    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


#: Most ``[[plans]]``: their trigger and attack lists (at most ``MAX_NATIONS - 1``
#: nations each) are indexed by int32 offsets.
MAX_PLANS = _INT32_MAX // (MAX_NATIONS - 1)
#: Largest ``dynamics.max_rounds``. ``rounds`` and the participants' ``round`` are
#: int16 (at most 32767); the cap is lower: a round adds at least one nation, so a
#: cascade has fewer rounds than its world has nations, and 1000 rounds is beyond any
#: plausible escalation. (``world_war_majors`` may be at most :data:`MAX_NATIONS`.)
MAX_ROUNDS = 1000
#: Largest ``dynamics.contest_exponent``. The contest is computed in log space, so
#: no exponent overflows; the bound catches typos: at m = 100 a side 5 % stronger
#: already wins 99 % of the contests.
MAX_CONTEST_EXPONENT = 100.0
#: Longest world name. A name becomes the directory ``structure=<name>`` of the
#: results (at most 255 bytes on common filesystems); names are ASCII, so this is
#: also the limit in bytes.
MAX_NAME_LENGTH = 200

#: The characters of a world name.
NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
#: Names that Arrow's hive partitioning (``pandas.read_parquet(DIR/"cascades")``)
#: reads back as integers, not strings: decimal digits, or 0x hex. Arrow casts
#: every ``structure=`` value to int32 when all of them parse (so "1914" and
#: "01914" both become 1914); longer digit strings are rejected too, so that a
#: reader inferring int64 cannot bite either.
NUMERIC_NAME_RE = re.compile(r"(?:[0-9]+|0[xX][0-9A-Fa-f]+)")
#: A nation id: 1 to 16 ASCII letters, digits or ``_`` (e.g. a COW ``stateabb``).
ID_RE = re.compile(r"^[A-Za-z0-9_]{1,16}$")
