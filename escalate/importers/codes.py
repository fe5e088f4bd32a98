"""The one table of how COW and ATOP obligation codes become escalate obligations.

Each row of a member-level alliance file gives one member's obligations in one
treaty (one phase of it, in ATOP). A member with a flag set is the obligor of an
obligation of that kind towards every other member in force that day.

=====  ===============  ==============  ===================================================
file   column           escalate kind   ATOP condition columns read (others are flagged)
=====  ===============  ==============  ===================================================
COW    defense          ``defense``     (COW codes no conditions)
COW    neutrality       ``neutrality``
COW    nonaggression    ``neutrality``  a non-aggression pledge is "k does not enter
                                        against j", escalate's neutrality
COW    entente          ``entente``
ATOP   defense          ``defense``     defconpr -> unprovoked; defcoadv -> against;
                                        defconum -> min_attackers = 2
ATOP   offense          ``offense``     offcoadv -> against
ATOP   neutral          ``neutrality``  neucoadv -> against
ATOP   nonagg           ``neutrality``  (unconditional)
ATOP   consul           ``entente``     concoadv -> against
=====  ===============  ==============  ===================================================

``against`` names the states of ``statthr1`` and ``statthr2``. ``defconum``
("conditional on the number of attackers") gives ``min_attackers = 2``: ATOP does
not record the number, and the treaties it marks (Triple Alliance, Art. 3: "two or
more great powers") mostly mean two. Conditions the model cannot express (location,
a specific conflict, demands, non-provocation for a neutrality pledge, the number
of attackers for offense) are listed in :data:`UNEXPRESSED`: the obligation is
kept without them, broader than the text, and the world file says so in a comment
on the treaty.
"""

from __future__ import annotations

__all__ = [
    "AGAINST",
    "FLAGS",
    "MIN_ATTACKERS",
    "MIN_ATTACKERS_FOR_DEFCONUM",
    "THREAT_COLUMNS",
    "UNEXPRESSED",
    "UNPROVOKED",
]

#: (file, column) -> escalate alliance kind.
FLAGS: dict[tuple[str, str], str] = {
    ("COW", "defense"): "defense",
    ("COW", "neutrality"): "neutrality",
    ("COW", "nonaggression"): "neutrality",
    ("COW", "entente"): "entente",
    ("ATOP", "defense"): "defense",
    ("ATOP", "offense"): "offense",
    ("ATOP", "neutral"): "neutrality",
    ("ATOP", "nonagg"): "neutrality",
    ("ATOP", "consul"): "entente",
}

#: ATOP obligation column -> its "conditional on a named adversary" column.
AGAINST: dict[str, str] = {
    "defense": "defcoadv",
    "offense": "offcoadv",
    "neutral": "neucoadv",
    "consul": "concoadv",
}
#: ATOP obligation column -> its "only if unprovoked" column.
UNPROVOKED: dict[str, str] = {"defense": "defconpr"}
#: ATOP obligation column -> its "conditional on the number of attackers" column.
MIN_ATTACKERS: dict[str, str] = {"defense": "defconum"}
#: The ``min_attackers`` written for ``defconum = 1``.
MIN_ATTACKERS_FOR_DEFCONUM = 2
#: ATOP obligation column -> condition columns escalate cannot express, with what they mean.
UNEXPRESSED: dict[str, dict[str, str]] = {
    "defense": {
        "defcoloc": "location",
        "defcocon": "a specific conflict",
        "defcodem": "demands not being met",
    },
    "offense": {
        "offcoloc": "location",
        "offcocon": "a specific conflict",
        "offconum": "the number of adversaries",
        "offcodem": "demands not being met",
    },
    "neutral": {
        "neucoloc": "location",
        "neucocon": "a specific conflict",
        "neuconum": "the number of adversaries",
        "neucodem": "demands not being met",
        "neuconpr": "the partner not provoking the war",
        "neucoatt": "the partner being attacked",
    },
    "consul": {
        "concoloc": "location",
        "concocon": "a specific conflict",
        "concoreq": "a request by the partner",
    },
}
#: The ATOP columns naming the adversaries of a conditional obligation (COW ccodes).
THREAT_COLUMNS = ("statthr1", "statthr2")
