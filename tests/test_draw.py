"""``escalate draw`` and :func:`escalate.viz.draw.draw`: a picture of a world."""

from __future__ import annotations

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("networkx")

from helpers import cli

from escalate.model.load import load_world, world_from_dict
from escalate.viz.draw import draw, tied_nations

WORLDS = ("europe_1914", "teaching")


@pytest.mark.parametrize("name", WORLDS)
def test_draw_function_png_and_svg(tmp_path, name):
    world = load_world(name)
    png = draw(world, tmp_path / "w.png")
    svg = draw(name, tmp_path / "w.svg")
    assert png.stat().st_size > 20_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = svg.read_text(encoding="utf-8")
    assert len(text) > 20_000
    tied = tied_nations(world)
    assert tied
    for nation in tied:
        assert f">{nation}<" in text, nation
    assert world.name in text


@pytest.mark.parametrize("name", WORLDS)
def test_draw_is_reproducible(tmp_path, name):
    a = draw(name, tmp_path / "a.svg").read_bytes()
    b = draw(name, tmp_path / "b.svg").read_bytes()
    assert a == b
    pa = draw(name, tmp_path / "a.pdf").read_bytes()
    pb = draw(name, tmp_path / "b.pdf").read_bytes()
    assert pa == pb
    # the same bytes because the same world: without one of its treaties, other bytes
    world = load_world(name)
    d = world.to_dict()
    del d["alliances"][0]
    fewer = draw(world_from_dict(d, source=name), tmp_path / "c.svg").read_bytes()
    assert fewer != a
    pc = draw(world_from_dict(d, source=name), tmp_path / "c.pdf").read_bytes()
    assert pc != pa


def test_untied_nations_in_caption(tmp_path):
    world = load_world("europe_1914")
    untied = set(world.ids) - set(tied_nations(world))
    assert untied  # europe_1914 has nations without treaties
    text = draw(world, tmp_path / "w.svg").read_text(encoding="utf-8")
    assert "without ties" in text
    for nation in untied:
        assert nation in text


def test_random_incident_in_title(tmp_path):
    text = draw("teaching", tmp_path / "w.svg").read_text(encoding="utf-8")
    assert "incident: random" in text


@pytest.mark.parametrize("name", WORLDS)
@pytest.mark.parametrize("suffix", ("png", "svg"))
def test_cli_draw(tmp_path, name, suffix):
    out = tmp_path / f"world.{suffix}"
    r = cli("draw", name, "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out)
    assert out.stat().st_size > 20_000


def test_cli_draw_bad_suffix(tmp_path):
    r = cli("draw", "teaching", "-o", tmp_path / "world.gif")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith("escalate: error:")
    assert ".gif" in r.stderr
    assert not (tmp_path / "world.gif").exists()


def test_cli_draw_needs_output():
    r = cli("draw", "teaching")
    assert r.returncode == 2
    assert "--out/-o/--output" in r.stderr


def test_bad_suffix_function(tmp_path):
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        draw("teaching", tmp_path / "world")


def test_the_blocs_of_1914_grow_from_the_incident():
    from escalate.viz.draw import blocs

    side = blocs(load_world("europe_1914"))
    assert {side[n] for n in ("AUH", "GMY", "ITA")} == {"A"}
    assert {side[n] for n in ("SRB", "RUS", "FRN", "MNG")} == {"D"}
    assert set(blocs(load_world("teaching")).values()) == {""}  # a random incident


def test_the_blocs_are_drawn_apart():
    from escalate.viz.draw import _layout, blocs

    world = load_world("europe_1914")
    nodes = tied_nations(world)
    pos = _layout(world, nodes)
    side = blocs(world, nodes)
    a = [pos[n][0] for n in nodes if side[n] == "A"]
    d = [pos[n][0] for n in ("SRB", "RUS", "FRN")]
    assert max(a) < min(d)


def _condition_texts(world, labels):
    from escalate.viz.draw import condition_label, world_figure

    conditions = {condition_label(a) for a in world.alliances} - {""}
    fig = world_figure(world, labels=labels)
    return [t.get_text() for t in fig.axes[0].texts if t.get_text() in conditions]


def test_a_condition_is_written_once_per_treaty_or_as_asked():
    from escalate.viz.draw import condition_label

    world = load_world("europe_1914")
    drawn = set(tied_nations(world))
    conditional = [
        a for a in world.alliances if condition_label(a) and drawn.issuperset(sum(a.pairs, ()))
    ]
    once = _condition_texts(world, "treaty")
    per_pair = _condition_texts(world, "pair")
    assert 0 < len(once) <= len(conditional)
    assert len(per_pair) > len(once)
    assert _condition_texts(world, "none") == []


def test_cli_draw_labels(tmp_path):
    out = tmp_path / "w.svg"
    r = cli("draw", "europe_1914", "-o", out, "--labels", "none")
    assert r.returncode == 0, r.stderr
    assert "unprovoked" not in out.read_text(encoding="utf-8")
    r = cli("draw", "europe_1914", "-o", out, "--labels", "all")
    assert r.returncode == 2
    assert "--labels" in r.stderr and "treaty" in r.stderr
