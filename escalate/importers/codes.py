"""The one table of how COW and ATOP obligation codes become escalate obligations.

Each row of a member-level alliance file gives one member's obligations in one
treaty (one phase of it, in ATOP). A member with a flag set is the obligor of an
obligation of that kind towards every other member in force that day, and the
condition columns of its own row are the conditions of those obligations (ATOP
codes conditions per member; members on the same terms share one entry).

=====  ===============  ==============  ===================================================
file   column           escalate kind   ATOP condition columns read
=====  ===============  ==============  ===================================================
COW    defense          ``defense``     (COW codes no conditions)
COW    neutrality       ``neutrality``
COW    nonaggression    ``neutrality``  a non-aggression pledge is "k does not enter
                                        against j", escalate's neutrality
COW    entente          ``entente``
ATOP   defense          ``defense``     defconpr -> unprovoked; defcoadv -> against;
                                        defconum -> min_attackers = 2;
                                        defcoloc -> located;
                                        defcocon, defcodem -> unwritten
ATOP   offense          ``offense``     offcoadv -> against; offcoloc -> located;
                                        offcocon, offconum, offcodem -> unwritten
ATOP   neutral          ``neutrality``  neucoadv -> against; neuconpr -> unprovoked;
                                        neucoloc -> located; neucocon, neuconum,
                                        neucodem, neucoatt -> unwritten
ATOP   nonagg           ``neutrality``  (unconditional)
ATOP   consul           ``entente``     concoadv -> against; concoloc, concocon,
                                        concoreq -> unwritten
=====  ===============  ==============  ===================================================

``against`` names the states of ``statthr1`` and ``statthr2``. ``defconum``
("conditional on the number of attackers") gives ``min_attackers = 2``: ATOP does
not record the number, and the treaties it marks (Triple Alliance, Art. 3: "two or
more great powers") mostly mean two. ``located`` (model version 3) reads ATOP's
location condition as "while the protege's own region is in the theatre". The
conditions the model cannot express (:data:`UNEXPRESSED`: a specific conflict,
demands, the number of adversaries of an offense or neutrality pledge, an attack on
the partner for a neutrality pledge, the location or a request of a consultation, an
adversary the data do not name) give ``unwritten = true``, a covariate of honour:
the obligation is kept without them, broader than the text, and the world file says
which in a comment on the treaty. docs/importing.md gives the reading of each column.
"""

from __future__ import annotations

__all__ = [
    "AGAINST",
    "FLAGS",
    "LOCATED",
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
#: ATOP obligation column -> its "only if unprovoked" column (non-provocation by the
#: partner: a defence pledge against an unprovoked attack, a neutrality pledge that
#: does not hold towards a partner that provoked the war).
UNPROVOKED: dict[str, str] = {"defense": "defconpr", "neutral": "neuconpr"}
#: ATOP obligation column -> its "conditional on location" column (``located``).
LOCATED: dict[str, str] = {"defense": "defcoloc", "offense": "offcoloc", "neutral": "neucoloc"}
#: ATOP obligation column -> its "conditional on the number of attackers" column.
MIN_ATTACKERS: dict[str, str] = {"defense": "defconum"}
#: The ``min_attackers`` written for ``defconum = 1``.
MIN_ATTACKERS_FOR_DEFCONUM = 2
#: ATOP obligation column -> condition columns escalate cannot express, with what they
#: mean: any of them set gives ``unwritten = true``.
UNEXPRESSED: dict[str, dict[str, str]] = {
    "defense": {
        "defcocon": "a specific conflict",
        "defcodem": "demands not being met",
    },
    "offense": {
        "offcocon": "a specific conflict",
        "offconum": "the number of adversaries",
        "offcodem": "demands not being met",
    },
    "neutral": {
        "neucocon": "a specific conflict",
        "neuconum": "the number of adversaries",
        "neucodem": "demands not being met",
        "neucoatt": "the partner being attacked",
    },
    "consul": {
        "concoloc": "a location",
        "concocon": "a specific conflict",
        "concoreq": "a request by the partner",
    },
}
#: The ATOP columns naming the adversaries of a conditional obligation (COW ccodes).
THREAT_COLUMNS = ("statthr1", "statthr2")
