"""Bundled worlds: configs/*.toml ship as package data and load by name.

Cheap checks (no wheel is built here): the names, loading by name through the
API and the command line, unknown names with a did-you-mean, a path that exists
winning over a name, ``escalate worlds``, and the packaging configuration that
ships the folder (``pyproject.toml``).
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from helpers import cli, warm_cache

import escalate
from escalate.model.bundled import bundled_names, bundled_world, looks_like_name
from escalate.model.entities import WorldError
from escalate.model.load import load_world

REPO = Path(__file__).resolve().parent.parent
CONFIGS = REPO / "configs"
NAMES = sorted(p.stem for p in CONFIGS.glob("*.toml"))


def test_the_bundled_worlds_are_the_configs() -> None:
    assert list(bundled_names()) == NAMES
    assert {"europe_1914", "europe_1914_no_alliances", "teaching"} <= set(NAMES)
    for name in NAMES:
        raw, where = bundled_world(name)  # type: ignore[misc]
        assert raw == (CONFIGS / f"{name}.toml").read_bytes()
        assert where.endswith(f"{name}.toml")
    assert bundled_world("nowhere") is None


@pytest.mark.parametrize("name", NAMES)
def test_a_bundled_world_loads_by_name_as_its_file(name: str) -> None:
    by_name = load_world(name)
    by_path = load_world(CONFIGS / f"{name}.toml")
    assert by_name == by_path
    assert by_name.canonical_hash() == by_path.canonical_hash()
    assert by_name.name == name  # `escalate run NAME` writes structure=NAME
    assert Path(by_name.source).name == f"{name}.toml"


def test_the_package_root_loads_by_name() -> None:
    world = escalate.load_world("europe_1914")
    assert world.incident.initiator == "AUH"
    assert isinstance(
        resources.files("escalate.worlds").joinpath("teaching.toml").read_bytes(), bytes
    )


@pytest.mark.parametrize(
    "text, name",
    [
        ("europe_1914", True),
        ("my-world.v2", True),
        ("europe_1914.toml", False),
        ("configs/europe_1914", False),
        ("./teaching", False),
        ("..", False),
        ("", False),
    ],
)
def test_what_looks_like_a_name(text: str, name: bool) -> None:
    assert looks_like_name(text) is name


@pytest.mark.parametrize(
    "text, message",
    [
        ("europe_1915", "did you mean 'europe_1914'?"),
        ("Teaching", "did you mean 'teaching'?"),
        ("zzz", "bundled worlds: " + ", ".join(NAMES)),
    ],
)
def test_an_unknown_name_suggests_a_bundled_world(
    text: str, message: str, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WorldError) as e:
        load_world(text)
    assert str(e.value).startswith(f"{text}: no such file, and no bundled world of that name")
    assert message in str(e.value)
    assert "escalate worlds" in str(e.value)


def test_a_missing_toml_file_named_like_a_bundled_world_gets_a_hint(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WorldError, match=r"^europe_1914\.toml: no such file; .*'europe_1914'"):
        load_world("europe_1914.toml")
    with pytest.raises(WorldError, match=r"nowhere\.toml: no such file$"):
        load_world(tmp_path / "nowhere.toml")


def test_a_path_that_exists_wins_over_a_name(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = (CONFIGS / "teaching.toml").read_text().replace('name = "teaching"', 'name = "local"', 1)
    Path("teaching").write_text(text)
    assert load_world("teaching").name == "local"
    assert load_world("teaching").source == "teaching"
    Path("teaching").unlink()
    Path("teaching").mkdir()
    with pytest.raises(WorldError, match="teaching: is a directory, not a world file"):
        load_world("teaching")
    Path("teaching").rmdir()
    assert load_world("teaching").name == "teaching"  # no such path: the bundled world


# --------------------------------------------------------------------------- command line


def test_worlds_command_lists_every_bundled_world() -> None:
    r = cli("worlds")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    lines = r.stdout.splitlines()
    assert [line.split()[0] for line in lines] == NAMES
    for line, name in zip(lines, NAMES, strict=True):
        world = load_world(name)
        m = re.fullmatch(rf"{re.escape(name)} +(\d+) nations  (.+)", line)
        assert m, line
        assert int(m.group(1)) == len(world.nations)
        assert m.group(2) == " ".join(world.description.split())


def test_check_takes_a_bundled_name() -> None:
    r = cli("check", "europe_1914", CONFIGS / "teaching.toml")
    assert r.returncode == 0, r.stderr
    assert "world        europe_1914  (" in r.stdout
    assert "world        teaching  (" in r.stdout


def test_an_unknown_name_on_the_command_line_is_one_line(tmp_path) -> None:
    r = cli("check", "europe_1915")
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "europe_1915: no such file, and no bundled world" in r.stderr
    assert "did you mean 'europe_1914'?" in r.stderr


def test_run_takes_a_bundled_name(tmp_path) -> None:
    warm_cache()
    out = tmp_path / "out"
    r = cli("run", "teaching", "-n", 200, "-s", 1, "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    df = escalate.read_results(out)
    assert set(df["structure"].astype(str)) == {"teaching"}
    assert len(df) == 200


# --------------------------------------------------------------------------- packaging


def test_pyproject_ships_configs_as_escalate_worlds() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"]["escalate.worlds"] == "configs"
    assert "*.toml" in setuptools["package-data"]["escalate.worlds"]
    assert (CONFIGS / "__init__.py").is_file()  # an editable install needs a regular package


def test_the_package_list_names_every_package() -> None:
    """A mapped folder needs an explicit package list: a new sub-package must be in it."""
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {
        ".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "escalate").rglob("__init__.py")
    }
    assert found | {"escalate.worlds"} == set(setuptools["packages"])


def test_the_configs_readme_names_every_bundled_world() -> None:
    readme = (CONFIGS / "README.md").read_text()
    for name in NAMES:
        assert f"| `{name}.toml` |" in readme, name
