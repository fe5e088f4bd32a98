"""The backtest on the real COW files (skipped where they are absent: not redistributed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from escalate.backtest import backtest
from escalate.backtest.wars import incident_of, read_wars

REPO = Path(__file__).resolve().parents[1]
_env = os.environ.get("ESCALATE_DATA_DIR")
DATA = Path(_env) if _env else REPO.parent / "shared" / "data"
WARS = DATA / "cow_interstate_war_v4.0" / "Inter-StateWarData_v4.0.csv"
pytestmark = pytest.mark.skipif(
    not (WARS.exists() and (DATA / "atop_v5.1" / "atop5_1m.csv").exists()),
    reason=f"needs the COW/ATOP CSV files under {DATA} (set ESCALATE_DATA_DIR)",
)
FILES = {
    "states": DATA / "cow_state_system_v2016/states2016.csv",
    "majors": DATA / "cow_state_system_v2016/majors2016.csv",
    "capabilities": DATA / "cow_nmc_v6.0/NMC-60-abridged.csv",
    "atop": DATA / "atop_v5.1/atop5_1m.csv",
    "cow": DATA / "cow_alliances_v4.1/alliance_v4.1_by_member.csv",
}


def test_every_war_has_an_incident_and_world_war_one_is_the_july_crisis() -> None:
    wars = read_wars(str(WARS))
    assert len(wars) == 95
    assert all(incident_of(w) is not None for w in wars.values())
    inc = incident_of(wars[106])
    assert inc is not None and (inc.initiator.ccode, inc.target.ccode) == (300, 345)


def test_backtest_of_three_wars() -> None:
    one_rule = (("enemies", "obligation"),)  # a small held-out fit: the worlds are tested here
    r = backtest(WARS, **FILES, replicates=500, seed=1, resamples=20, war_ids=[106, 139, 211],
                 fit_replicates=50, max_evaluations=40, rules=one_rule)  # fmt: skip
    wars = r.wars.set_index("war")
    assert list(wars["initiator"]) == ["AUH", "GMY", "IRQ"]
    assert list(wars["target"]) == ["YUG", "POL", "KUW"]
    ww2 = r.predictions[r.predictions["war"] == 139].set_index("state")
    poland = int(ww2.loc["POL", "war_side"])
    assert ww2.loc["UKG", "joined"] and ww2.loc["UKG", "joined_side"] == poland
    assert ww2.loc["UKG", f"p_side{poland}"] > 0.5  # the guarantee to Poland (ATOP)
    assert r.summary["wars_scored"] == 3
