"""Reports that stand alone: what a page says about its run, its worlds, its wars.

A comparison page names the run seed and the command, the date, each world's
description, incident and hash, and gives P(at war) by nation with names for
every structure; pairing says how many nations two worlds share and warns when
few do. The backtest page explains itself (no link to a docs folder a pip install
lacks), has a row per war, and says why the base rate's AUC is below one half.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from markupsafe import escape

from escalate.cli import main
from escalate.model.load import load_world
from escalate.viz.backtest import BASE_RATE_AUC, backtest_markdown
from escalate.viz.backtest_report import _markdown_blocks, _wars_table
from escalate.viz.page import render_page
from escalate.viz.runinfo import (
    COMMAND_FILE,
    Shared,
    few_shared,
    incident_text,
    run_info,
    shared_nations,
    shared_text,
)

pytest.importorskip("matplotlib")

HERE = Path(__file__).resolve().parent
IMP = HERE / "data" / "importer"


@pytest.fixture(scope="module")
def unrelated(tmp_path_factory) -> Path:
    """europe_1914 against teaching (no nation in common), with participants."""
    out = tmp_path_factory.mktemp("unrelated") / "run"
    argv = ["run", "europe_1914", "teaching", "-n", "300", "-s", "11", "--participants"]
    assert main([*argv, "--out", str(out), "--quiet"]) == 0
    return out


def test_run_records_the_command_and_date(unrelated: Path) -> None:
    saved = json.loads((unrelated / COMMAND_FILE).read_text())
    assert saved["command"] == (
        f"escalate run europe_1914 teaching -n 300 -s 11 --participants --out {unrelated} --quiet"
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", saved["finished"])


def test_report_states_seed_command_date_worlds_and_nations(unrelated: Path, capsys) -> None:
    assert main(["report", str(unrelated)]) == 0
    page = (unrelated / "report.html").read_text()
    saved = json.loads((unrelated / COMMAND_FILE).read_text())
    assert "Run seed <b>11</b>, 300 replicates per structure" in page
    assert f"<code>{saved['command']}</code>" in page and saved["finished"] in page
    for name in ("europe_1914", "teaching"):
        w = load_world(name)
        assert f"<h3>{name}</h3>" in page
        assert str(escape(" ".join(w.description.split()))) in page  # as the template escapes
        assert load_world(name).canonical_hash() in page
    assert "Austria-Hungary (AUH) attacks Serbia (SRB)" in page
    # P(at war) by nation, with names, a column per structure
    table = first_table(page[page.index("<h2>P(at war) by nation") :])
    assert list(table.columns) == ["nation", "name", "europe_1914", "teaching"]
    serbia = table[table["nation"] == "SRB"].iloc[0]
    assert serbia["name"] == "Serbia" and serbia["europe_1914"] == "1.000"
    assert serbia["teaching"] == ""  # not in that world: blank, not 0
    # no nation in common: the page says so and warns
    assert "teaching shares 0 of its" in page and "close to unpaired comparisons" in page


def test_compare_says_what_the_worlds_share_and_warns(unrelated: Path, capsys) -> None:
    assert main(["compare", str(unrelated)]) == 0
    out, err = capsys.readouterr()
    assert "paired on 300 replicates)\n  shares 0 of its" in out
    warning = [line for line in err.splitlines() if "shares only 0 of" in line]
    assert len(warning) == 1 and "gain little over unpaired ones" in warning[0]


def test_a_run_without_command_file_rebuilds_the_command(unrelated: Path, tmp_path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(unrelated, copy)
    (copy / COMMAND_FILE).unlink()
    info = run_info(copy)
    assert not info.command_recorded and info.date
    assert info.command == (
        f"escalate run europe_1914 teaching -n 300 -s 11 --participants --out {copy}"
    )


def test_shared_nations_and_the_warning_threshold() -> None:
    members = {"a": ["X", "Y", "Z", "W"], "b": ["X", "Y", "Z"], "c": ["X", "Q", "R", "S"]}
    shared = shared_nations(members, "a", {"a": {"i": 1}, "b": {"i": 1}, "c": {"i": 2}})
    assert shared == {"b": Shared(3, 3, 4, True), "c": Shared(1, 4, 4, False)}
    assert not few_shared(shared["b"]) and few_shared(shared["c"])
    assert "incident is not the baseline's" in shared_text("c", "a", shared["c"])
    assert "few" not in shared_text("b", "a", shared["b"])


def test_incident_text_of_a_random_incident() -> None:
    text = incident_text(
        {"mode": "random", "weights": "power", "initiators": ["A", "B"], "theatre": ["europe"]},
        {"A": "Alpha", "B": "Beta", "C": "Gamma"},
    )
    assert text == (
        "drawn per replicate (power weights): an initiator among 2 nations (Alpha (A), "
        "Beta (B)) attacks a target among 3 (Alpha (A), Beta (B), Gamma (C)); theatre: europe"
    )


class _Table(HTMLParser):
    """The cells of the first table of a page, as text rows."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.done = False

    def handle_starttag(self, tag, attrs) -> None:
        if self.done:
            return
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag) -> None:
        if tag in ("td", "th") and self.cell is not None and not self.done:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table" and self.rows:
            self.done = True

    def handle_data(self, data) -> None:
        if self.cell is not None:
            self.cell.append(data)


def first_table(page: str) -> pd.DataFrame:
    """The first table in ``page`` (all cells text, blank cells empty)."""
    parser = _Table()
    parser.feed(page)
    head, *body = parser.rows
    return pd.DataFrame(body, columns=head)


def _backtest(out: Path) -> None:
    files = {
        "states": IMP / "states.csv",
        "capabilities": IMP / "nmc.csv",
        "majors": IMP / "majors.csv",
        "atop": IMP / "atop.csv",
        "cow": IMP / "cow.csv",
    }
    flags = [f"--{k}={v}" for k, v in files.items()]
    wars = HERE / "data" / "backtest" / "wars.csv"
    argv = ["backtest", f"--wars={wars}", *flags, "-n", "100", "--bootstrap", "5"]
    # a small held-out fit under one rule pair: the page, not the fit, is tested here
    argv += ["--fit-replicates", "30", "--max-evaluations", "20", "--entry", "enemies"]
    argv += ["--decide", "obligation"]
    assert main([*argv, "--no-figures", "--out", str(out)]) == 0


def test_backtest_page_explains_itself_and_has_a_row_per_war(tmp_path: Path, capsys) -> None:
    _backtest(tmp_path / "bt")
    assert main(["report", str(tmp_path / "bt")]) == 0
    page = (tmp_path / "bt" / "report.html").read_text()
    assert "docs/" not in page and "<h2>What this page shows</h2>" in page
    wars = pd.read_csv(tmp_path / "bt" / "wars.csv")
    table = first_table(page[page.index("<h2>Each war") :])
    assert list(table["COW war"]) == [str(w) for w in wars["war"]]
    assert list(table["war"]) == list(wars["name"])
    skipped = wars[wars["skipped"].fillna("") != ""]
    assert len(skipped) and set(skipped["skipped"]) <= set(table["skipped because"])
    assert page.count(str(escape(BASE_RATE_AUC))) == 1  # the template escapes the text


def test_backtest_page_escapes_text_and_keeps_its_own_markup() -> None:
    # the markup is the template's: markdown's bold and code become tags, text is escaped
    md = "## a <b> & `x` **y**\n\n| h | k |\n|---|---|\n| 1 <i> | **z** `w` |\n"
    wars = pd.DataFrame({"war": [7], "name": ["<script>'x'</script>"], "brier": [0.12345],
                         "auc": [float("nan")]})  # fmt: skip
    page = render_page("backtest.html.j2", title="t", name="n", version="0", about="a",
                       summary_blocks=_markdown_blocks(md), figures=[],
                       wars=_wars_table(wars, 30))  # fmt: skip
    assert "<script>" not in page and str(escape("<script>'x'</script>")) in page
    assert f"<h3>{escape('a <b> & ')}<code>x</code> <b>y</b></h3>" in page
    assert f"<td>{escape('1 <i>')}</td><td><b>z</b> <code>w</code></td>" in page
    table = first_table(page)
    assert list(table.columns) == ["h", "k"] and list(table.iloc[0]) == ["1 <i>", "z w"]
    table = first_table(page[page.index("<h2>Each war") :])
    assert list(table.columns) == ["COW war", "war", "Brier", "AUC"]
    assert list(table.iloc[0]) == ["7", "<script>'x'</script>", "0.123", ""]


def test_base_rate_auc_is_explained_once_in_the_markdown() -> None:
    score = {"value": 0.1, "low": 0.05, "high": 0.2}
    scores = dict.fromkeys(("brier", "log_loss", "brier_side", "log_loss_side", "auc"), score)
    window = {
        "joiners": 1,
        "third_parties": 10,
        "scores": {"model": scores, "base_rate": scores},
        "skill": {},
        "calibration": {"model": [], "no_alliances": []},
    }
    summary = {"wars_scored": 1, "wars_skipped": 0, "replicates": 10, "seed": 1,
               "resamples": 5, "eps": 0.001, "windows": [30, 180], "window": 180,
               "scores": {"30": window, "180": window}}  # fmt: skip
    md = backtest_markdown(summary, pd.DataFrame({"skipped": [None]}))
    assert md.count(BASE_RATE_AUC) == 1
    del window["scores"]["base_rate"]
    assert BASE_RATE_AUC not in backtest_markdown(summary, pd.DataFrame({"skipped": [None]}))


def test_the_markdown_shows_where_the_log_loss_is() -> None:
    score = {"value": 0.1, "low": 0.05, "high": 0.2}
    scores = dict.fromkeys(("brier", "log_loss", "brier_side", "log_loss_side", "auc"), score)
    by = {k: {"third_parties": 10 * i, "joined_initiator_side": i, "joined_target_side": 0,
              "loss": {"model_cv": 1.25 * i, "pact_rule": 2.0}}
          for i, k in enumerate(("initiator", "target", "both", "none"), start=1)}  # fmt: skip
    window = {"joiners": 1, "third_parties": 10, "scores": {"model": scores}, "skill": {},
              "calibration": {"model": []}, "loss_by_ties": by}  # fmt: skip
    summary = {"wars_scored": 1, "wars_skipped": 0, "replicates": 10, "seed": 1,
               "resamples": 5, "eps": 0.001, "windows": [180], "window": 180,
               "scores": {"180": window}}  # fmt: skip
    md = backtest_markdown(summary, pd.DataFrame({"skipped": [None]}))
    assert "## Where the log loss is" in md
    assert "| pact to | third parties | joined initiator's side | joined target's side | " \
        "model (held-out fit) | pact rule |" in md  # fmt: skip
    assert "| both | 30 | 3 | 0 | 3.8 | 2.0 |" in md
    del window["loss_by_ties"]  # a summary written before the table: no section
    assert "Where the log loss" not in backtest_markdown(summary, pd.DataFrame({"skipped": [None]}))
