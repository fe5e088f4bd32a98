"""Test-session setup shared by every test module."""

from __future__ import annotations

from hypothesis import settings

#: Property tests are reproducible by default: the same examples on every run and
#: machine, so CI is never red by chance. ``--hypothesis-profile=explore`` draws new
#: examples each run (and keeps failures in the example database) to hunt for bugs.
settings.register_profile("repro", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile("repro")


def pytest_configure(config):
    """Compile (or load) the numba kernels once, before pytest-xdist starts workers.

    Several processes compiling into one numba cache at the same time can crash
    (numba issue 4807); workers started after this find the cache warm and load it.
    """
    if hasattr(config, "workerinput"):  # an xdist worker: the controller did it
        return
    from escalate.runner import warm_up

    warm_up()
