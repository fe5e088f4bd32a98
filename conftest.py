"""Setup of the docstring examples (``--doctest-modules`` over the package).

Every example runs in a fresh directory holding ``out``, a tiny run of two bundled
worlds with participants (:func:`example_run`), so an example reads results as a
user would (``read_results("out")``) and never depends on the directory pytest was
started from. Bundled worlds load by name from anywhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

#: The run the examples read: its worlds, replicates and seed.
EXAMPLE_WORLDS = ("europe_1914", "europe_1914_no_alliances")
EXAMPLE_REPLICATES = 2_000
EXAMPLE_SEED = 1


@pytest.fixture(scope="session")
def example_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding ``out``: a run of :data:`EXAMPLE_WORLDS`, with participants."""
    import escalate

    home = tmp_path_factory.mktemp("examples")
    escalate.run(
        list(EXAMPLE_WORLDS), home / "out", EXAMPLE_REPLICATES, EXAMPLE_SEED, participants=True
    )
    return home


@pytest.fixture(autouse=True)
def _examples_beside_a_run(request: pytest.FixtureRequest, monkeypatch) -> None:
    """A docstring example runs in a directory of its own, holding a link ``out`` to the run."""
    if not isinstance(request.node, DoctestItem):
        return
    run = request.getfixturevalue("example_run")
    tmp_path = request.getfixturevalue("tmp_path")
    (tmp_path / "out").symlink_to(run / "out", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
