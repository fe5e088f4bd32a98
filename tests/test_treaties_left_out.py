"""Treaties left out of a world: ``import_world(exclude=...)`` and the backtest's rule.

The backtest leaves out of the world of a war's first day the treaties formed for
that war (ATOP ``wartime = 1`` with ``cowwar`` = the war, or signed at most 30 days
before it began, as the Protocol of Sevres five days before the Sinai war), and says
how many. On the importer's fixtures (tests/data/importer/) and on spells built here.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import IMPORTER, IMPORTER_FILES

from escalate.backtest.predict import FORMED_WITHIN, DataFiles, formed_for, prepare
from escalate.backtest.wars import Participant, War
from escalate.importers import DataError, import_world
from escalate.importers.spells import Spell, Terms, read_atop

HERE = Path(__file__).resolve().parent
IMP = IMPORTER
FILES = IMPORTER_FILES
DAY = "1900-06-15"


def pairs(world) -> set[tuple]:
    """(obligor, protege, kind, against) of every obligation."""
    return {(k, j, a.kind, tuple(sorted(a.against))) for a in world.alliances for k, j in a.pairs}


def test_exclude_leaves_out_a_treaty_and_its_cow_counterpart() -> None:
    full = import_world(DAY, incident="AAA:BBB", **FILES)
    cut = import_world(DAY, incident="AAA:BBB", exclude=["ATOP 1"], **FILES)
    gone = pairs(full.world) - pairs(cut.world)
    # ATOP 1 phase 2 (BBB defends AAA against EEE) and COW 10, its counterpart, which
    # alone adds AAA's neutrality towards BBB
    assert gone == {("BBB", "AAA", "defense", ("EEE",)), ("AAA", "BBB", "neutrality", ())}
    assert not pairs(cut.world) - pairs(full.world)
    assert "ATOP 1 " not in cut.text and "COW 10" not in cut.text
    # ATOP 5 still has AAA and BBB defend each other
    assert ("AAA", "BBB", "defense", ()) in pairs(cut.world)
    # the header says so, and its command rebuilds the same world
    assert "Left out although in force (--exclude): ATOP 1" in cut.text
    assert "--exclude 'ATOP 1'" in cut.text


def test_exclude_a_cow_alliance_alone() -> None:
    full = import_world(DAY, incident="AAA:BBB", **FILES)
    cut = import_world(DAY, incident="AAA:BBB", exclude=["cow 11"], **FILES)
    assert pairs(full.world) - pairs(cut.world) == {
        ("BBB", "EEE", "neutrality", ()),
        ("EEE", "BBB", "neutrality", ()),
    }
    assert "Left out although in force (--exclude): COW 11" in cut.text


@pytest.mark.parametrize("key", ["ATOP", "NATO 5", "ATOP x", "3322"])
def test_exclude_rejects_what_is_not_a_treaty_key(key: str) -> None:
    with pytest.raises(DataError, match="not a treaty key"):
        import_world(DAY, incident="AAA:BBB", exclude=[key], **FILES)


def test_cli_exclude(tmp_path: Path) -> None:
    out = tmp_path / "w.toml"
    args = [f"--{k} {v}" for k, v in FILES.items()]
    cmd = [sys.executable, "-m", "escalate", "import", "--date", DAY, "--incident", "AAA:BBB"]
    for a in args:
        cmd += a.split(" ", 1)
    proc = subprocess.run([*cmd, "--exclude", "ATOP 1,COW 11", "-o", str(out)],
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert "Left out although in force (--exclude): ATOP 1, COW 11" in text
    assert "--exclude 'ATOP 1,COW 11'" in text


def _spell(source: str, treaty: int, start: dt.date, war: int | None = None) -> Spell:
    return Spell(source, treaty, 1, 100, start, None, {"defense": Terms()}, formed_in_war=war)


def _war(num: int, start: dt.date) -> War:
    return War(
        num, "War", (Participant(100, "A", 1, start, True), Participant(200, "B", 2, start, False))
    )


def test_formed_for_the_war_by_atop_code_or_by_date() -> None:
    start = dt.date(1956, 10, 29)
    atop = [
        _spell("ATOP", 1, start - dt.timedelta(days=5)),  # Sevres: five days before
        _spell("ATOP", 2, start - dt.timedelta(days=FORMED_WITHIN)),  # on the limit
        _spell("ATOP", 3, start - dt.timedelta(days=FORMED_WITHIN + 1)),  # a day earlier
        _spell("ATOP", 4, dt.date(1900, 1, 1), war=155),  # coded as formed during this war
        _spell("ATOP", 5, dt.date(1951, 9, 1), war=151),  # formed during another war: stays
        _spell("ATOP", 6, start + dt.timedelta(days=1)),  # not yet in force
    ]
    # a treaty's formation is its first spell, not its latest phase
    atop.append(Spell("ATOP", 3, 2, 200, start - dt.timedelta(days=2), None, {}))
    cow = [_spell("COW", 7, start), _spell("COW", 8, dt.date(1950, 1, 1))]
    got = formed_for(_war(155, start), atop, cow)
    assert got == ("ATOP 1", "ATOP 2", "ATOP 4", "COW 7")
    assert formed_for(_war(155, start), None, None) == ()


def test_read_atop_takes_the_war_of_formation(tmp_path: Path) -> None:
    text = (IMP / "atop.csv").read_text(encoding="utf-8").splitlines()
    head = text[0] + ",wartime,cowwar"
    rows = [line + (",1,106" if line.startswith("2,") else ",1,0" if line.startswith("3,")
                    else ",0,0") for line in text[1:]]  # fmt: skip
    path = tmp_path / "atop.csv"
    path.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    wars = {s.treaty: s.formed_in_war for s in read_atop(str(path))}
    assert wars[1] is None and wars[2] == 106 and wars[3] == 0
    # the file without the columns: no treaty formed in wartime
    assert {s.formed_in_war for s in read_atop(str(IMP / "atop.csv"))} == {None}


def test_the_backtest_leaves_them_out_of_the_case(tmp_path: Path) -> None:
    # ATOP 2 (offense AAA for EEE) begins in June 1900, day 0: within 30 days of a war
    # on 20 June 1900, so left out of that war's world and kept in one a year later
    cases = {}
    for num, day in ((1, dt.date(1900, 6, 20)), (2, dt.date(1901, 6, 20))):
        war = War(num, f"W{num}", (Participant(200, "Betaland", 1, day, True),
                                   Participant(500, "Epsilonia", 2, day, False)))  # fmt: skip
        (case,), _ = prepare([war], DataFiles.of(**FILES))
        cases[num] = case
    assert "ATOP 2" in cases[1].left_out
    assert "ATOP 2" not in cases[2].left_out
    offense = [a for a in cases[1].world.alliances if a.kind == "offense"]
    assert not offense
