"""The importer on small fixture files in the real formats (tests/data/importer/).

The fixtures: six states on 15 June 1900 (one entering later, one re-entering that
very day), NMC rows with a missing CINC and states without rows, an ATOP file (CRLF,
phases, ``yrexit = 0``, day 0, conditions, an asymmetric treaty, a member not yet a
state) and a COW file (LF, quoted, a latin-1 name, right-censored spells, -9 days, a
disagreement with ATOP and a renewal ATOP codes as a new treaty).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from escalate.importers import DataError, import_world
from escalate.importers.codes import FLAGS
from escalate.importers.csvfile import read_table
from escalate.model.load import load_world

FIX = Path(__file__).resolve().parent / "data" / "importer"
DAY = "1900-06-15"


def files(d: Path = FIX, **extra) -> dict:
    return dict(
        states=d / "states.csv", capabilities=d / "nmc.csv", majors=d / "majors.csv", **extra
    )


def both(d: Path = FIX) -> dict:
    return files(d, atop=d / "atop.csv", cow=d / "cow.csv")


def obligations(world) -> set[tuple]:
    """(obligor, protege, kind, against, unprovoked, min_attackers) of every pair."""
    return {
        (k, j, a.kind, tuple(sorted(a.against)), a.unprovoked, a.min_attackers)
        for a in world.alliances
        for k, j in a.pairs
    }


def test_states_in_the_system_on_the_day_with_power_and_majors() -> None:
    w = import_world(DAY, incident="AAA:BBB", **both()).world
    # DDD enters on 1 July 1900; CCC left in 1899 and re-enters on the day itself
    assert [n.id for n in w.nations] == ["AAA", "BBB", "CCC", "EEE", "FFF"]
    power = {n.id: n.power for n in w.nations}
    # AAA: its 1900 CINC (not 1901); BBB: 1900 is -9 -> its latest earlier year;
    # CCC: no row up to 1900 -> its first later year; FFF: no row at all -> 0
    assert power == {"AAA": 0.5, "BBB": 0.2, "CCC": 0.05, "EEE": 0.1, "FFF": 0.0}
    # BBB's major spell starts in June 1895 with the day -9; EEE's ended in 1899
    assert {n.id for n in w.nations if n.major} == {"AAA", "BBB"}


def test_power_year_takes_an_earlier_year() -> None:
    w = import_world(DAY, power_year=1899, incident="AAA:BBB", **both()).world
    assert {n.id: n.power for n in w.nations}["AAA"] == 0.4


def test_obligations_in_force_with_their_conditions_union_of_both_files() -> None:
    imported = import_world(DAY, incident="AAA:BBB", **both())
    got = obligations(imported.world)
    expected = {
        # ATOP 1 phase 2 (phase 1 has ended): AAA defends BBB only against unprovoked
        # attack (defconpr); BBB defends AAA only against EEE (defcoadv, statthr1 500)
        ("AAA", "BBB", "defense", (), True, 1),
        ("BBB", "AAA", "defense", ("EEE",), False, 1),
        # COW 10 (the same treaty) adds AAA's neutrality: the union keeps it
        ("AAA", "BBB", "neutrality", (), False, 1),
        # ATOP 2 (from June 1900, day 0): offense for EEE against FFF
        ("AAA", "EEE", "offense", ("FFF",), False, 1),
        # ATOP 3 ends in June 1900 with day 0: in force to 30 June; its location
        # condition is located = true (tests/test_importers_v3.py)
        ("AAA", "CCC", "neutrality", (), False, 1),
        ("CCC", "AAA", "neutrality", (), False, 1),
        # ATOP 5, asymmetric: AAA and BBB defend every member, EEE only consults
        ("AAA", "BBB", "defense", (), False, 1),
        ("BBB", "AAA", "defense", (), False, 1),
        ("AAA", "EEE", "defense", (), False, 1),
        ("BBB", "EEE", "defense", (), False, 1),
        ("EEE", "AAA", "entente", (), False, 1),
        ("EEE", "BBB", "entente", (), False, 1),
        # COW 11, no ATOP counterpart: neutrality, start day -9 (March 1900)
        ("BBB", "EEE", "neutrality", (), False, 1),
        ("EEE", "BBB", "neutrality", (), False, 1),
    }
    assert got == expected
    text = imported.text
    # the consultation of ATOP 1 / COW 10 is contained in the defence obligations
    assert "AAA entente: contained in its defense obligations" in text
    # the disagreement is written down
    assert "AAA neutrality: COW neutrality = 1, ATOP codes none (union: kept)" in text
    # COW 12 is the renewal coded by ATOP: not written twice
    assert "COW 12: its members' obligations are all coded here" in text
    assert "COW 12" not in {a.name.split(" (")[0] for a in imported.world.alliances}
    # the location condition is written, not flagged as one the model cannot express
    assert "located = true" in text and "condition on location" not in text
    # ATOP 6 names DDD, not yet a state: left out, and said so
    assert "ccode 402" in text and "ATOP 6 (1899) not written" in text
    # ATOP 4 ended in 1899
    assert "ATOP 4" not in text


def test_each_file_alone() -> None:
    atop = obligations(import_world(DAY, incident="AAA:BBB", **files(atop=FIX / "atop.csv")).world)
    cow = obligations(import_world(DAY, incident="AAA:BBB", **files(cow=FIX / "cow.csv")).world)
    assert ("AAA", "BBB", "neutrality", (), False, 1) not in atop  # COW only
    assert ("BBB", "AAA", "defense", ("EEE",), False, 1) in atop
    # COW alone: no conditions, entente flags become entente, COW 12 is written
    assert all(o[3:] == ((), False, 1) for o in cow)
    assert {o[:3] for o in cow} == {
        ("AAA", "BBB", "defense"), ("BBB", "AAA", "defense"),
        ("AAA", "BBB", "neutrality"),
        ("BBB", "EEE", "neutrality"), ("EEE", "BBB", "neutrality"),
    }  # fmt: skip
    names = {
        a.name
        for a in import_world(DAY, incident="AAA:BBB", **files(cow=FIX / "cow.csv")).world.alliances
    }
    assert any(n.startswith("COW 12") for n in names)


def test_a_day_later_the_spells_that_ended_are_gone() -> None:
    w = import_world("1900-07-01", incident="AAA:BBB", **both()).world
    assert "DDD" in {n.id for n in w.nations}  # entered on 1 July 1900
    pairs = {(k, j, kind) for (k, j, kind, *_) in obligations(w)}
    assert ("AAA", "CCC", "neutrality") not in pairs  # ATOP 3 ended in June (day 0)
    assert ("AAA", "DDD", "neutrality") in pairs  # ATOP 6: DDD is a state now


def _rewrite(tmp_path: Path, newline: str, encoding: str, bom: bool = False) -> Path:
    d = tmp_path / f"{encoding}-{len(newline)}{newline == chr(13)}"
    d.mkdir()
    for f in FIX.glob("*.csv"):
        raw = f.read_bytes()
        text = raw.decode("utf-8") if f.name != "cow.csv" else raw.decode("latin-1")
        text = text.replace("\r\n", "\n").replace("\n", newline)
        (d / f.name).write_bytes((("\ufeff" if bom else "") + text).encode(encoding))
    return d


@pytest.mark.parametrize(
    "newline, encoding, bom",
    [("\r", "utf-8", False), ("\r\n", "latin-1", False), ("\n", "utf-8", True)],
    ids=["bare-CR", "CRLF-latin-1", "LF-BOM"],
)
def test_line_endings_and_encodings_give_the_same_world(
    tmp_path: Path, newline: str, encoding: str, bom: bool
) -> None:
    base = import_world(DAY, incident="AAA:BBB", **both()).world
    d = _rewrite(tmp_path, newline, encoding, bom)
    other = import_world(DAY, incident="AAA:BBB", **both(d)).world
    assert other.canonical_hash() == base.canonical_hash()


def test_latin1_names_are_read() -> None:
    rows = read_table(FIX / "cow.csv", ["state_name"], "a COW file")
    assert "B\u00e9taland" in {r["state_name"] for r in rows}


def test_region_and_incident_by_ccode() -> None:
    w = import_world(DAY, region="100-299", incident="100:200", **both()).world
    assert [n.id for n in w.nations] == ["AAA", "BBB"]
    assert (w.incident.initiator, w.incident.target) == ("AAA", "BBB")
    w = import_world(DAY, region=["AAA", 500], incident="AAA:EEE", **both()).world
    assert [n.id for n in w.nations] == ["AAA", "EEE"]
    assert {(k, j) for a in w.alliances for k, j in a.pairs} == {
        ("AAA", "EEE"), ("EEE", "AAA")
    }  # fmt: skip


def test_without_incident_it_is_random_among_all() -> None:
    w = import_world(DAY, **both()).world
    assert w.incident.mode == "random"


def test_header_names_every_source_with_its_sha256_and_the_command() -> None:
    import hashlib

    text = import_world(DAY, incident="AAA:BBB", **both()).text
    for f in ("states.csv", "nmc.csv", "majors.csv", "atop.csv", "cow.csv"):
        digest = hashlib.sha256((FIX / f).read_bytes()).hexdigest()
        assert f"#   {f}: {digest}" in text
    assert "#   escalate import --date 1900-06-15 --states states.csv" in text
    assert "--incident AAA:BBB" in text


OVERLAY = """
name = "fixture_world"
description = "A fixture world with an overlay"
comment = "what it is"

[dynamics]
deterrence = 0.0

[incident]
initiator = 100
target = "BBB"

[[nations]]
ccode = 200
id = "BET"
name = "Beta"
comment = "renamed"

[[nations]]
id = "GGG"
ccode = 700
name = "Gammaland"
power = 0.01

[[nations]]
ccode = 600
drop = true

[treaties]
"ATOP 5" = "Pact of Five (1898)"

[[edits]]
treaty = "ATOP 1"
kind = "defense"
unset = ["against", "unprovoked"]
comment = "both unconditional"

[[edits]]
treaty = "COW 11"
drop = true

[[alliances]]
name = "Patronage of Gammaland"
kind = "entente"
guarantors = ["AAA"]
protected = [700]
reliability = 0.5
comment = "a tie the data lack"

[[organizations]]
name = "Club"
kind = "collective_security"
members = "all"
exclude = ["GGG"]
response = { military = 0.5, diplomacy = 0.5 }

[[organizations]]
name = "Pact org"
kind = "collective_defense"
members_from = "ATOP 5"
response = { military = 1.0 }

[[plans]]
name = "Plan A"
nation = "AAA"
trigger = ["BET"]
attack = ["CCC"]
probability = 0.5
"""


def test_overlay_renames_adds_edits_and_organizes(tmp_path: Path) -> None:
    ov = tmp_path / "ov.toml"
    ov.write_text(OVERLAY)
    imported = import_world(DAY, overlay=ov, **both())
    w = imported.world
    assert w.name == "fixture_world" and w.dynamics.deterrence == 0.0
    assert [n.id for n in w.nations] == ["AAA", "BET", "CCC", "EEE", "GGG"]
    assert (w.incident.initiator, w.incident.target) == ("AAA", "BET")
    names = {a.name: a for a in w.alliances}
    assert "Pact of Five (1898) defense among AAA/BET" in names
    assert not any(n.startswith("COW 11") for n in names)
    got = obligations(w)
    assert ("BET", "AAA", "defense", (), False, 1) in got  # edited: unconditional
    assert ("AAA", "BET", "defense", (), True, 1) not in got
    assert names["Patronage of Gammaland"].protected == ("GGG",)
    orgs = {o.name: o for o in w.organizations}
    assert orgs["Club"].members == ("AAA", "BET", "CCC", "EEE")
    assert orgs["Pact org"].members == ("AAA", "BET", "EEE")
    assert w.plans[0].trigger == ("BET",)
    assert "# renamed" in imported.text and "# what it is" in imported.text
    assert "#   overlay: both unconditional" in imported.text
    # a dropped treaty stays documented in the file, under the treaties not written
    assert "#   dropped by the overlay: COW 11 (1900) neutrality" in imported.text
    # the written file loads back as the same world
    out = tmp_path / "w.toml"
    out.write_text(imported.text)
    assert load_world(out).canonical_hash() == w.canonical_hash()


@pytest.mark.parametrize(
    "overlay, message",
    [
        ("colour = 1", "unknown overlay key 'colour'"),
        ("[[edits]]\ntreaty = 'ATOP 9'", "edits[0]: no imported entry of ATOP 9"),
        ("[[edits]]\nkind = 'defense'", "edits[0] needs treaty"),
        ("[incident]\ninitiator = 'ZZZ'\ntarget = 100", "'ZZZ' is not a nation of this world"),
        ("[[nations]]\nid = 'NEW'", "a new nation needs name, power"),
        ("[[organizations]]\nname='x'\nkind='collective_defense'\nmembers_from='ATOP 4'\n"
         "response={military=1.0}", "members_from = 'ATOP 4': no such treaty in force"),
        ("name = [", "not valid TOML"),
    ],
)  # fmt: skip
def test_bad_overlays_say_what_is_wrong(tmp_path: Path, overlay: str, message: str) -> None:
    ov = tmp_path / "ov.toml"
    ov.write_text(overlay)
    with pytest.raises(DataError, match=None) as e:
        import_world(DAY, overlay=ov, **both())
    assert message in str(e.value)


def test_bad_inputs_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="expected YYYY-MM-DD"):
        import_world("15/06/1900", **both())
    with pytest.raises(DataError, match="covers the state system up to 2016-12-31"):
        import_world("2020-01-01", **both())
    with pytest.raises(DataError, match="give an ATOP file"):
        import_world(DAY, **files())
    with pytest.raises(DataError, match="expected INITIATOR:TARGET"):
        import_world(DAY, incident="AAA", **both())
    broken = tmp_path / "atop.csv"
    broken.write_text("atopid,member\n1,100\n")
    with pytest.raises(DataError, match=r"not an ATOP member-level file .*'yrent'"):
        import_world(DAY, **files(atop=broken))
    with pytest.raises(DataError, match="cannot read"):
        import_world(DAY, **files(atop=tmp_path / "missing.csv"))
    bad = tmp_path / "nmc.csv"
    bad.write_text("ccode,year,cinc\n100,1900,lots\n")
    with pytest.raises(DataError, match=r"nmc.csv:2: cinc = 'lots' is not a number"):
        import_world(DAY, **{**both(), "capabilities": bad})


def test_the_flag_table_maps_every_obligation_column() -> None:
    assert set(FLAGS.values()) == {"defense", "offense", "entente", "neutrality"}
    assert {c for s, c in FLAGS if s == "ATOP"} == {
        "defense",
        "offense",
        "neutral",
        "nonagg",
        "consul",
    }
    assert {c for s, c in FLAGS if s == "COW"} == {
        "defense",
        "neutrality",
        "nonaggression",
        "entente",
    }


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "escalate", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_import_writes_a_world_that_checks(tmp_path: Path) -> None:
    out = tmp_path / "w.toml"
    r = _cli(
        "import", "--date", DAY, "--states", str(FIX / "states.csv"),
        "--capabilities", str(FIX / "nmc.csv"), "--majors", str(FIX / "majors.csv"),
        "--atop", str(FIX / "atop.csv"), "--cow", str(FIX / "cow.csv"),
        "--incident", "AAA:BBB", "-o", str(out),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "5 nations" in r.stderr and "directed obligations" in r.stderr
    r = _cli("check", str(out), "--obligations")
    assert r.returncode == 0, r.stderr
    assert "obligations  14 directed" in r.stdout
    assert "BBB -> AAA  defense" in r.stdout and "against EEE" in r.stdout


def test_cli_import_errors_are_one_line(tmp_path: Path) -> None:
    copy = tmp_path / "states.csv"
    shutil.copy(FIX / "states.csv", copy)
    r = _cli(
        "import", "--date", "1900-13-01", "--states", str(copy),
        "--capabilities", str(FIX / "nmc.csv"), "--atop", str(FIX / "atop.csv"), "-o", "x.toml",
    )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "expected YYYY-MM-DD" in r.stderr


def test_ccodes_map_every_world_id_to_its_cow_code() -> None:
    imported = import_world(DAY, incident="100:200", **both())
    assert imported.ccodes == {"AAA": 100, "BBB": 200, "CCC": 300, "EEE": 500, "FFF": 600}


def test_each_file_is_parsed_once_and_again_when_it_changes(tmp_path: Path) -> None:
    import os

    from escalate.importers import csvfile

    for name in ("states.csv", "nmc.csv", "majors.csv", "atop.csv", "cow.csv"):
        shutil.copy(FIX / name, tmp_path / name)
    csvfile.clear_cache()
    calls: list[str] = []
    real = csvfile.csv.reader

    def counting(*args, **kwargs):
        calls.append("parse")
        return real(*args, **kwargs)

    csvfile.csv.reader = counting  # type: ignore[assignment]
    try:
        first = import_world(DAY, incident="AAA:BBB", **both(tmp_path)).world
        parsed = len(calls)
        assert parsed == 5  # one parse per file
        assert import_world(DAY, incident="AAA:BBB", **both(tmp_path)).world == first
        assert len(calls) == parsed  # the second import parses nothing
        # a changed file (new size and time) is read again: FFF leaves the system
        p = tmp_path / "states.csv"
        old = "FFF,600,Phiania,1816,1,1,2016"
        text = p.read_text().replace(old, "FFF,600,Phiania,1816,1,1,1850")
        p.write_text(text)
        st = os.stat(p)
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        again = import_world(DAY, incident="AAA:BBB", **both(tmp_path)).world
        assert len(calls) == parsed + 1
        assert "FFF" not in again.ids
    finally:
        csvfile.csv.reader = real  # type: ignore[assignment]
        csvfile.clear_cache()
