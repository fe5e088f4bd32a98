"""The importer's model version 3 keys, on the fixture files (tests/data/importer/).

Regions from ccodes, ``--theatre``, incident lists, and the ATOP conditions that
become ``located``, ``unprovoked`` on neutrality and ``unwritten``
(``atop_v3.csv``: four treaties in force on 15 June 1900, each member coding its own
conditions).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from escalate.importers import REGIONS as IMPORTER_REGIONS
from escalate.importers import DataError, import_world
from escalate.importers.codes import AGAINST, LOCATED, MIN_ATTACKERS, UNEXPRESSED, UNPROVOKED
from escalate.importers.regions import CCODE_RANGES, parse_theatre, region_of
from escalate.model.schema import REGIONS

FIX = Path(__file__).resolve().parent / "data" / "importer"
DAY = "1900-06-15"


def files(atop: str = "atop.csv", **extra) -> dict:
    return dict(
        states=FIX / "states.csv",
        capabilities=FIX / "nmc.csv",
        majors=FIX / "majors.csv",
        atop=FIX / atop,
        **extra,
    )


# -- regions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ccode", "region"),
    [
        (2, "americas"), (165, "americas"), (166, None), (199, None),
        (200, "europe"), (399, "europe"), (400, None), (401, None),
        (402, "africa"), (626, "africa"), (627, None), (630, "middle_east"),
        (698, "middle_east"), (699, None), (700, "asia"), (899, "asia"),
        (900, "oceania"), (990, "oceania"), (991, None), (8152, None),
    ],
)  # fmt: skip
def test_region_of_a_ccode_is_the_cow_range_that_holds_it(ccode: int, region) -> None:
    # the ranges of docs/model.md: 2-165, 200-399, 402-626, 630-698, 700-899, 900-990
    assert region_of(ccode) == region


def test_one_table_of_ranges_named_as_the_model_names_regions() -> None:
    assert tuple(CCODE_RANGES) == REGIONS
    assert IMPORTER_REGIONS is CCODE_RANGES  # --region reads the same table


def test_every_imported_nation_has_its_region_from_its_ccode() -> None:
    imported = import_world(DAY, incident="AAA:BBB", **files())
    got = {n.id: n.region for n in imported.world.nations}
    assert got == {
        "AAA": "americas",  # 100
        "BBB": "europe",  # 200
        "CCC": "europe",  # 300
        "EEE": "africa",  # 500
        "FFF": "africa",  # 600 (Morocco's range: 402-626)
    }
    assert 'region = "americas"' in imported.text


def test_the_region_filter_keeps_a_region_s_states() -> None:
    w = import_world(DAY, region="africa", incident="EEE:FFF", **files()).world
    assert [n.id for n in w.nations] == ["EEE", "FFF"]


def test_an_overlay_nation_without_a_ccode_takes_its_region_from_the_overlay(
    tmp_path: Path,
) -> None:
    ov = tmp_path / "ov.toml"
    ov.write_text(
        'name = "x"\n[incident]\ninitiator = "AAA"\ntarget = "NEW"\n'
        '[[nations]]\nid = "NEW"\nname = "New"\npower = 0.1\nregion = "oceania"\n'
        '[[nations]]\nccode = 300\nregion = "asia"\ncomment = "moved, for the test"\n'
    )
    w = import_world(DAY, overlay=ov, **files()).world
    regions = {n.id: n.region for n in w.nations}
    assert regions["NEW"] == "oceania" and regions["CCC"] == "asia"
    # the default theatre is the model's (the target's region): no key written
    assert w.incident.theatre is None


@pytest.mark.parametrize(
    ("nation", "message"),
    [
        ('id = "NEW"\nname = "New"\npower = 0.1',
         "nation NEW: no region: it has no ccode; give it one in the overlay"),
        ('ccode = 8152\nid = "ODD"\nname = "Odd"\npower = 0.1',
         "nation ODD: no region: its ccode 8152 is in no COW region (2-165, 200-399"),
    ],
)  # fmt: skip
def test_a_nation_without_a_region_is_an_error_naming_it(
    tmp_path: Path, nation: str, message: str
) -> None:
    ov = tmp_path / "ov.toml"
    ov.write_text(f'name = "x"\n[[nations]]\n{nation}\n')
    with pytest.raises(DataError) as e:
        import_world(DAY, overlay=ov, **files())
    assert message in str(e.value) and "region = one of americas" in str(e.value)


# -- theatre and incident lists ------------------------------------------------------


def test_theatre_is_written_in_the_order_of_the_regions_and_in_the_command() -> None:
    imported = import_world(DAY, incident="AAA:BBB", theatre="Asia, europe", **files())
    assert imported.world.incident.theatre == ("europe", "asia")
    assert 'theatre = ["europe", "asia"]' in imported.text
    assert "--incident AAA:BBB --theatre europe,asia" in imported.text
    listed = import_world(DAY, incident="AAA:BBB", theatre=["africa"], **files())
    assert listed.world.incident.theatre == ("africa",)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("europe,narnia", "--theatre: 'narnia' is not a region; regions: americas, europe"),
        ("", "--theatre: no region given"),
        ("middle-east", "'middle-east' is not a region"),
    ],
)
def test_a_bad_theatre_is_a_one_line_error_with_an_example(spec: str, message: str) -> None:
    with pytest.raises(DataError) as e:
        import_world(DAY, incident="AAA:BBB", theatre=spec, **files())
    text = str(e.value)
    assert message in text and "e.g. --theatre europe,middle_east" in text
    assert "\n" not in text


def test_an_overlay_theatre_is_checked_and_cli_theatre_wins(tmp_path: Path) -> None:
    ov = tmp_path / "ov.toml"
    ov.write_text('name = "x"\n[incident]\ninitiator = 100\ntarget = 200\ntheatre = ["Europe"]\n')
    assert import_world(DAY, overlay=ov, **files()).world.incident.theatre == ("europe",)
    w = import_world(DAY, overlay=ov, theatre="americas", **files()).world
    assert w.incident.theatre == ("americas",)
    ov.write_text('name = "x"\n[incident]\ninitiator = 100\ntarget = 200\ntheatre = ["mars"]\n')
    with pytest.raises(DataError, match=r"incident.theatre: 'mars' is not a region"):
        import_world(DAY, overlay=ov, **files())


def test_parse_theatre_drops_repeats() -> None:
    assert parse_theatre(["asia", "europe", "asia"]) == ("europe", "asia")


def test_several_initiators_and_targets() -> None:
    w = import_world(DAY, incident="AAA,200:EEE,FFF", **files()).world
    inc = w.incident
    assert (inc.initiator, inc.co_initiators) == ("AAA", ("BBB",))
    assert (inc.target, inc.co_targets) == ("EEE", ("FFF",))
    with pytest.raises(DataError, match="expected INITIATOR:TARGET"):
        import_world(DAY, incident="AAA,BBB:", **files())
    with pytest.raises(DataError, match="'ZZZ' is not a nation of this world"):
        import_world(DAY, incident="AAA,ZZZ:BBB", **files())


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "escalate", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_theatre_and_its_help(tmp_path: Path) -> None:
    base = ["import", "--date", DAY, "--states", str(FIX / "states.csv"),
            "--capabilities", str(FIX / "nmc.csv"), "--atop", str(FIX / "atop.csv"),
            "--incident", "AAA:BBB"]  # fmt: skip
    out = tmp_path / "w.toml"
    r = _cli(*base, "--theatre", "europe,americas", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert 'theatre = ["americas", "europe"]' in out.read_text()
    r = _cli(*base, "--theatre", "westeros", "-o", str(out), "--force")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "'westeros' is not a region" in r.stderr
    r = _cli("import", "--help")
    assert "--theatre REGION[,REGION...]" in r.stdout
    assert "--theatre europe,middle_east" in " ".join(r.stdout.split())


# -- ATOP conditions -----------------------------------------------------------------


def _terms(world) -> set[tuple]:
    """(obligor, protege, kind, unprovoked, located, unwritten) of every pair."""
    return {
        (k, j, a.kind, a.unprovoked, a.located, a.unwritten)
        for a in world.alliances
        for k, j in a.pairs
    }


def test_atop_conditions_become_located_unprovoked_and_unwritten_per_member() -> None:
    imported = import_world(DAY, incident="AAA:BBB", **files("atop_v3.csv"))
    assert _terms(imported.world) == {
        # ATOP 11: AAA's defence is located (defcoloc); BBB's names a conflict (defcocon)
        ("AAA", "BBB", "defense", False, True, False),
        ("BBB", "AAA", "defense", False, False, True),
        # ATOP 12: both neutral only if unprovoked (neuconpr); EEE's only if CCC is
        # attacked (neucoatt), which the model cannot express
        ("CCC", "EEE", "neutrality", True, False, False),
        ("EEE", "CCC", "neutrality", True, False, True),
        # ATOP 13: offense located (offcoloc); consultation located (concoloc): not
        # the model's located (that is for defense, offense and neutrality)
        ("BBB", "FFF", "offense", False, True, False),
        ("FFF", "BBB", "offense", False, True, False),
        ("BBB", "FFF", "entente", False, False, True),
        ("FFF", "BBB", "entente", False, False, True),
        # ATOP 14: AAA's unconditional non-aggression pledge is broader than its
        # neutrality on the same row; FFF's neutrality is unprovoked only
        ("AAA", "FFF", "neutrality", False, False, False),
        ("FFF", "AAA", "neutrality", True, False, False),
    }
    text = imported.text
    assert "condition on a specific conflict" in text and "unwritten = true" in text
    assert "condition on the partner being attacked" in text


def test_the_location_condition_of_the_older_fixture_is_located() -> None:
    w = import_world(DAY, incident="AAA:BBB", **files(cow=FIX / "cow.csv")).world
    atop3 = [a for a in w.alliances if a.name.startswith("ATOP 3 ")]
    assert atop3 and all(a.located and a.kind == "neutrality" for a in atop3)
    assert not any(a.located for a in w.alliances if not a.name.startswith("ATOP 3 "))


#: The condition columns of the ATOP v5.1 member-level file (its header).
ATOP_CONDITION_COLUMNS = {
    "defcoadv", "defcoloc", "defcocon", "defconum", "defcodem", "defconpr",
    "offcoadv", "offcoloc", "offcocon", "offconum", "offcodem",
    "neucoadv", "neucoloc", "neucocon", "neuconum", "neucodem", "neuconpr", "neucoatt",
    "concoadv", "concoloc", "concocon", "concoreq",
}  # fmt: skip


def test_every_atop_condition_column_is_read_once() -> None:
    read = [
        *AGAINST.values(),
        *UNPROVOKED.values(),
        *LOCATED.values(),
        *MIN_ATTACKERS.values(),
        *(c for cols in UNEXPRESSED.values() for c in cols),
    ]
    assert sorted(read) == sorted(ATOP_CONDITION_COLUMNS)
    assert LOCATED == {"defense": "defcoloc", "offense": "offcoloc", "neutral": "neucoloc"}
    assert UNPROVOKED == {"defense": "defconpr", "neutral": "neuconpr"}
