"""The importer on the real COW and ATOP files, and the bundled worlds rebuilt from them.

These run where the reference data are (``ESCALATE_DATA_DIR``, else ``shared/data``
beside the repository); the data are not redistributed with escalate.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import sys
import tomllib
from pathlib import Path

import pytest

import escalate
from escalate.importers import import_world
from escalate.model.load import load_world

REPO = Path(__file__).resolve().parents[1]
_env = os.environ.get("ESCALATE_DATA_DIR")
DATA = Path(_env) if _env else REPO.parent / "shared" / "data"
requires_data = pytest.mark.skipif(
    not (DATA / "atop_v5.1" / "atop5_1m.csv").exists(),
    reason=f"needs the COW/ATOP CSV files under {DATA} (set ESCALATE_DATA_DIR); "
    "they are not redistributed with escalate",
)


def _build_module():
    spec = importlib.util.spec_from_file_location(
        "build_worlds", REPO / "configs/overlays/build.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_overlay_names_a_bundled_world_with_a_one_line_description() -> None:
    overlays = sorted((REPO / "configs" / "overlays").glob("*.toml"))
    assert len(overlays) >= 8
    for ov in overlays:
        meta = tomllib.loads(ov.read_text())
        assert meta["name"] == ov.stem
        assert "\n" not in meta["description"] and meta["description"]
        assert meta["data"] in (["atop"], ["cow"], ["atop", "cow"])
        world = load_world(REPO / "configs" / f"{ov.stem}.toml")
        assert world.description == meta["description"]
        assert (
            f"--overlay configs/overlays/{ov.name}"
            in (REPO / "configs" / f"{ov.stem}.toml").read_text()
        )


#: The data files, relative to the data directory (one table: the build script's).
FILES = _build_module().FILES


@requires_data
def test_the_bundled_worlds_are_what_the_overlays_build() -> None:
    """configs/NAME.toml is byte for byte what configs/overlays/build.py makes."""
    assert _build_module().main(["--data", str(DATA), "--check"]) == 0


def _july_1914(**which: bool) -> dict:
    paths = {k: DATA / v for k, v in FILES.items()}
    alliance = {k: paths[k] for k in ("atop", "cow") if which.get(k)}
    return dict(
        states=paths["states"], capabilities=paths["capabilities"], majors=paths["majors"],
        incident="AUH:YUG", **alliance,
    )  # fmt: skip


def _terms(world) -> dict[tuple[str, str, str], set[tuple]]:
    out: dict[tuple[str, str, str], set[tuple]] = {}
    for a in world.alliances:
        for k, j in a.pairs:
            out.setdefault((k, j, a.kind), set()).add(
                (tuple(sorted(a.against)), a.unprovoked, a.min_attackers)
            )
    return out


@requires_data
@pytest.mark.parametrize("which", ["atop", "both"])
def test_july_1914_from_the_data_alone(which: str) -> None:
    """No overlay: the conditions that decided 1914 come out of ATOP."""
    w = import_world("1914-06-28", **_july_1914(atop=True, cow=which == "both")).world
    assert len(w.nations) == 45  # the COW system that day (no Montenegro: not COW)
    assert {n.id for n in w.nations if n.major} == {
        "USA", "UKG", "FRN", "GMY", "AUH", "ITA", "RUS", "JPN"
    }  # fmt: skip
    t = _terms(w)
    assert t[("GMY", "AUH", "defense")] >= {(("RUS",), False, 1)}  # Dual Alliance
    # Triple Alliance: ATOP's three alternative clauses, combined (edited in the overlay)
    assert ((("FRN",), True, 2)) in t[("ITA", "AUH", "defense")]
    # Austro-Romanian treaty: only against unprovoked attack
    assert ((), True, 1) in t[("ROM", "AUH", "defense")]
    assert t[("FRN", "RUS", "defense")] == {((), False, 1)}  # Franco-Russian
    assert ("UKG", "JPN", "defense") in t  # Anglo-Japanese
    # COW-only obligations appear with both files only
    assert (("JPN", "UKG", "neutrality") in t) == (which == "both")
    # nothing signed after the day: the German-Ottoman treaty of 2 August 1914
    assert ("GMY", "TUR", "defense") not in t


@requires_data
def test_the_latest_day_the_data_cover() -> None:
    w = import_world("2016-12-31", **{**_july_1914(atop=True), "incident": None}).world
    assert len(w.nations) > 190 and w.incident.mode == "random"
    with pytest.raises(ValueError, match="up to 2016-12-31"):
        import_world("2017-01-01", **_july_1914(atop=True))


def _history_module():
    spec = importlib.util.spec_from_file_location("make_history", REPO / "docs/make_history.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_history"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@requires_data
def test_history_page_sets_every_participant_beside_the_simulation(tmp_path: Path) -> None:
    history = _history_module()
    out = tmp_path / "history.md"
    assert history.main(["--replicates", "500", "--data", str(DATA), "--out", str(out)]) == 0
    text = out.read_text()
    wars = DATA / history.WARS_FILE
    for name, (war, _) in history.WORLDS.items():
        assert f"## {name}: " in text
        section = text.split(f"## {name}: ")[1].split("\n## ")[0]
        codes = history.ccodes(REPO / "configs" / f"{name}.toml")
        by_code = {c: i for i, c in codes.items()}
        for e in history.read_war(wars, war):
            if e.ccode in by_code:  # a row, with its entry date
                assert f"({by_code[e.ccode]}) |" in section and str(e.start) in section
            else:
                assert f"ccode {e.ccode}" in section  # "in the war but not in the world"
        assert "Brier score" in section
    # the bare-CR war file is read: World War I has 15 participants
    assert len(history.read_war(wars, 106)) == 15


def test_history_side_accuracy_counts_right_wrong_and_never() -> None:
    # data-free: four nations in the war, three in Europe; the model's P(side A) and
    # P(side D) per nation against the COW side (the initiator's side is 1)
    history = _history_module()
    world = escalate.world_from_dict({
        "name": "sides",
        "incident": {"initiator": "GMY", "target": "POL"},
        "nations": [
            {"id": "GMY", "power": 1.0, "region": "europe"},
            {"id": "POL", "power": 1.0, "region": "europe"},
            {"id": "RUS", "power": 1.0, "region": "europe"},
            {"id": "USA", "power": 1.0, "region": "americas"},
            {"id": "SWZ", "power": 1.0, "region": "europe"},
        ],
    })  # fmt: skip
    codes = {"GMY": 255, "POL": 290, "RUS": 365, "USA": 2, "SWZ": 225}
    day = dt.date(1939, 9, 1)
    entries = {c: history.Entry(c, i, 1 if i == "GMY" else 2, day, i == "GMY")
               for i, c in codes.items() if i != "SWZ"}  # fmt: skip
    side_a = {"GMY": 1.0, "POL": 0.0, "RUS": 0.3, "USA": 0.0, "SWZ": 0.5}
    side_d = {"GMY": 0.0, "POL": 1.0, "RUS": 0.1}
    (line,) = history.sides(world, codes, entries, 1, side_a, side_d, "europe_1939")
    # Europe only (not USA), only states in the war (not SWZ): GMY and POL right,
    # RUS on the wrong side
    assert "of the 3 European states" in line and "puts 2 on their side" in line
    assert "on the wrong side: RUS" in line and "never at war in the simulation: none" in line
    assert "Axelrod and Bennett" in line
    (line,) = history.sides(world, codes, entries, 1, side_a, side_d, "any")
    assert "of the 4 states" in line and "never at war in the simulation: USA" in line
