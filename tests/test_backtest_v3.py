"""The backtest's model version 3 incident: first-day parties and the WhereFought theatre.

On the fixtures of tests/test_backtest.py (tests/data/backtest/wars.csv and the
importer's files), and on wars built here where the fixture has no such case.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest
from helpers import IMPORTER, IMPORTER_FILES

from escalate.backtest import backtest
from escalate.backtest.predict import DataFiles, prepare
from escalate.backtest.wars import Participant, War, incident_of, read_wars
from escalate.importers import DataError
from escalate.importers.regions import WHERE_FOUGHT, theatre_of

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WARS = HERE / "data" / "backtest" / "wars.csv"
IMP = IMPORTER
FILES = IMPORTER_FILES

#: The COW Inter-State War Data v4.0 codebook's WhereFought labels.
CODEBOOK = {
    1: "W. Hemisphere", 2: "Europe", 4: "Africa", 6: "Middle East", 7: "Asia",
    9: "Oceania", 11: "Europe & Middle East", 12: "Europe & Asia",
    13: "W. Hemisphere & Asia", 14: "Europe, Africa & Middle East",
    15: "Europe, Africa, Middle East & Asia", 16: "Africa, Middle East, Asia & Oceania",
    17: "Asia & Oceania", 18: "Africa & Middle East",
    19: "Europe, Africa, Middle East, Asia & Oceania",
}  # fmt: skip
LABEL = {
    "W. Hemisphere": "americas", "Europe": "europe", "Africa": "africa",
    "Middle East": "middle_east", "Asia": "asia", "Oceania": "oceania",
}  # fmt: skip


def _regions(label: str) -> set[str]:
    return {LABEL[part.strip()] for part in re.split(r",|&", label) if part.strip()}


def test_where_fought_reproduces_the_codebook() -> None:
    assert set(WHERE_FOUGHT) == set(CODEBOOK)
    for code, label in CODEBOOK.items():
        assert set(WHERE_FOUGHT[code]) == _regions(label), code
        assert len(WHERE_FOUGHT[code]) == len(set(WHERE_FOUGHT[code]))


def test_the_docs_table_is_the_code_table() -> None:
    text = (ROOT / "docs" / "backtest.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \| ([^|]+) \|$", text, flags=re.M)
    table = {int(c): (label.strip(), regions.strip()) for c, label, regions in rows}
    assert set(table) == set(WHERE_FOUGHT)
    for code, (label, regions) in table.items():
        assert label == CODEBOOK[code]
        assert tuple(r.strip("` ") for r in regions.split(",")) == WHERE_FOUGHT[code]


def test_theatre_of_codes_is_their_union_in_region_order() -> None:
    assert theatre_of([7, 2]) == ("europe", "asia")
    assert theatre_of([11, 14]) == ("europe", "africa", "middle_east")
    assert theatre_of([]) == ()
    with pytest.raises(DataError, match="WhereFought: 3 is not a COW WhereFought code"):
        theatre_of([2, 3])


def test_the_theatre_is_where_the_first_day_parties_fought() -> None:
    wars = read_wars(str(WARS))
    # war 1: AAA 11 and BBB 2; EEE (4) and FFF (1) joined later: not in the theatre
    inc = incident_of(wars[1])
    assert inc is not None and inc.theatre == ("europe", "middle_east")
    inc5 = incident_of(wars[5])
    assert inc5 is not None and inc5.theatre == ("americas", "asia")
    assert [p.ccode for p in inc.parties] == [100, 200]


def _p(code: int, side: int, day: int, init: bool = False, wf: int | None = 2) -> Participant:
    return Participant(code, f"S{code}", side, dt.date(1900, 6, 15 + day), init, where_fought=wf)


def test_a_tie_after_the_first_day_is_ambiguous_and_leaves_the_tied_state_out() -> None:
    # X initiates on day 0; nobody on the other side enters before day 3, when two do
    war = War(7, "Late Tie", (_p(100, 1, 0, True), _p(300, 2, 3), _p(200, 2, 3)))
    inc = incident_of(war)
    assert inc is not None and inc.target.ccode == 200
    assert [p.ccode for p in inc.targets] == [200]  # 300 is a third party
    assert len(inc.ambiguity) == 1
    assert "targets entering the same day: S200 (200), S300 (300)" in inc.ambiguity[0]


def test_first_day_entrants_join_their_side_of_the_incident() -> None:
    # a state entering on the first day without Initiator = 1 is a party on its side;
    # one entering a day later is not; an uncoded WhereFought adds no region
    war = War(
        8,
        "Coalitions",
        (_p(100, 1, 0, True, 1), _p(600, 1, 0, wf=None), _p(200, 2, 0, wf=2),
         _p(300, 2, 0, wf=7), _p(500, 2, 1, wf=4)),
    )  # fmt: skip
    inc = incident_of(war)
    assert inc is not None
    assert [p.ccode for p in inc.initiators] == [100, 600]
    assert [p.ccode for p in inc.targets] == [200, 300]
    assert inc.theatre == ("americas", "europe", "asia")
    assert inc.ambiguity == ()


def test_the_world_of_a_war_has_every_party_in_its_incident() -> None:
    wars = read_wars(str(WARS))
    cases, skipped = prepare([wars[1], wars[2]], DataFiles(**FILES))
    assert not skipped
    one, tied = cases
    assert one.world.incident.initiator_ids == ("AAA",)
    assert one.world.incident.theatre == ("europe", "middle_east")
    assert tied.world.incident.initiator_ids == ("AAA", "EEE")
    assert tied.world.incident.target_ids == ("BBB", "CCC")
    assert tied.world.incident.theatre == ("americas",)
    third = dict(zip(tied.ids, tied.third, strict=True))
    assert third == {"AAA": False, "BBB": False, "CCC": False, "EEE": False, "FFF": True}


def test_a_first_day_party_outside_the_system_is_left_out_and_listed() -> None:
    # DDD (402) enters the system on 1 July 1900, after the war began
    war = War(9, "Early Delta", (_p(100, 1, 0, True), _p(402, 1, 0), _p(200, 2, 0)))
    cases, skipped = prepare([war], DataFiles(**FILES))
    assert not skipped
    case = cases[0]
    assert case.world.incident.initiator_ids == ("AAA",)
    assert case.world.incident.target_ids == ("BBB",)
    assert case.absent == ["S402 (402)"]
    assert int(np.sum(~case.third)) == 2


def test_wars_csv_names_the_parties_and_the_theatre() -> None:
    one_rule = (("enemies", "obligation"),)  # a small held-out fit: the table is tested here
    r = backtest(WARS, **FILES, replicates=50, seed=3, resamples=5, war_ids=[1, 2],
                 fit_replicates=30, max_evaluations=20, rules=one_rule)  # fmt: skip
    wars = r.wars.set_index("war")
    assert wars.loc[2, "initiators"] == "AAA EEE" and wars.loc[2, "targets"] == "BBB CCC"
    assert wars.loc[1, "theatre"] == "europe middle_east"
    pred = r.predictions[r.predictions["war"] == 2].set_index("state")
    assert list(pred.index[pred["third_party"]]) == ["FFF"]
    assert wars.loc[2, "third_parties"] == 1
