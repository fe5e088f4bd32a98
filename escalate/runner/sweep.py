"""A parameter sweep as one run: every variant of a grid, paired, with its table of variants.

:func:`sweep` is what ``escalate sweep`` does, as a library call: the variants of one
world (:func:`escalate.model.sweep.sweep_worlds`) are run as the structures of one
results directory (:func:`escalate.run`), and their swept values are written beside
the tables (``variants.csv``, :mod:`escalate.results.variants`), where the figures,
the report and ``escalate compare --sweep`` find them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from ..model.entities import World
from ..model.load import load_world
from ..model.sweep import sweep_worlds, variant_table
from ..model.sweep_settings import Setting, parse_setting
from ..results.store import holds_results
from ..results.variants import write_variants
from .jobs import Interrupted, RunSummary, run

__all__ = ["sweep"]


def sweep(
    world: World | str | Path,
    settings: Sequence[str | Setting],
    out: str | Path,
    replicates: int,
    seed: int,
    *,
    threads: int | None = None,
    chunk_size: int | None = None,
    participants: bool = False,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    backend: Literal["local", "dask"] = "local",
    client: Any = None,
    writers: int | None = None,
) -> RunSummary:
    """Run every variant of a grid of settings of ``world`` into one results directory.

    Parameters
    ----------
    world
        The world varied: a :class:`~escalate.model.entities.World`, a world file or
        a bundled name.
    settings
        The swept parameters, as text (``"dynamics.deterrence=0:0.5:6"``,
        ``"dynamics.max_rounds=4,8"``; see :mod:`escalate.model.sweep` for the keys)
        or :class:`~escalate.model.sweep_settings.Setting`. Every combination is a variant,
        named by its values (``teaching.deterrence-0.50.max_rounds-8``).
    out
        The results directory.
    replicates, seed
        Replicates 0 .. replicates - 1 of each variant under this seed: the
        variants are paired by replicate (common random numbers).
    threads, chunk_size, participants, resume, overwrite, progress, backend, client, writers
        As for :func:`escalate.run`.

    Returns
    -------
    RunSummary
        The run's summary; ``out/variants.csv`` then lists each variant
        (``structure``) with its swept values, one column per setting in order.

    Raises
    ------
    ValueError
        A setting that cannot be parsed or applied, an invalid variant
        (:class:`~escalate.model.entities.WorldError`), or as :func:`escalate.run`.
    Interrupted, OSError
        As :func:`escalate.run`. The finished parts are kept, and so is the table
        of variants (unless ``overwrite``, whose new run was not swapped in), so the
        same call with ``resume=True`` continues the sweep.

    Examples
    --------
    >>> import escalate
    >>> summary = escalate.sweep("teaching", ["dynamics.deterrence=0,0.5"], "sw", 500, seed=1)
    >>> summary.structures
    ['teaching.deterrence-0.00', 'teaching.deterrence-0.50']
    >>> print(open("sw/variants.csv").read(), end="")
    structure,dynamics.deterrence
    teaching.deterrence-0.00,0.0
    teaching.deterrence-0.50,0.5
    """
    base = world if isinstance(world, World) else load_world(world)
    parsed = [s if isinstance(s, Setting) else parse_setting(s) for s in settings]
    worlds = sweep_worlds(base, parsed)
    rows = variant_table(worlds, parsed)
    try:
        summary = run(
            worlds,
            out,
            replicates,
            seed,
            threads=threads,
            chunk_size=chunk_size,
            participants=participants,
            resume=resume,
            overwrite=overwrite,
            progress=progress,
            backend=backend,
            client=client,
            writers=writers,
        )
    except (Interrupted, OSError):
        if not overwrite and holds_results(out):  # the finished parts: --resume needs the grid
            with contextlib.suppress(OSError):
                write_variants(out, rows)
        raise
    write_variants(out, rows)
    return summary
