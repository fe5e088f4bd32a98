"""From a results directory to its figures or its report, in flat memory.

:func:`plot` and :func:`report` are what ``escalate plot DIR`` and ``escalate report
DIR`` do, as library calls. Neither holds every cascade or participant row: the
figures and the page are drawn from counts per structure added up part by part
(:func:`escalate.results.read.cascade_counts`,
:func:`escalate.results.read.participant_counts`), the comparison table is streamed
(:func:`escalate.analysis.compare.compare_results`), and only the tail fit reads
the war sizes themselves (two columns).

Every part's digest is checked once, while the cascade counts are read; the
comparison and the war sizes read the same parts afterwards and do not check them
again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .nations import TOP

__all__ = ["plot", "report"]


def _participants(directory: Path, progress: bool) -> pd.DataFrame | None:
    """A run's participants as counts per nation, side and round (None without them).

    The figures need those counts, never every participant row, and the entry
    curve's spread over cascades, added up part by part.
    """
    from ..results.read import participant_counts
    from ..results.store import read_manifest
    from .entry import ENTRY_MOMENTS, entry_moments_of_dir

    if not read_manifest(directory).participants:
        return None
    counts = participant_counts(directory, by=("nation", "side", "round"), progress=progress)
    counts.attrs[ENTRY_MOMENTS] = entry_moments_of_dir(directory, progress=progress)
    return counts


def plot(
    directory: str | Path,
    out: str | Path | None = None,
    *,
    formats: Sequence[str] = ("png", "svg"),
    confidence: float = 0.95,
    dpi: int = 150,
    top: int | None = TOP,
    progress: bool = False,
) -> list[Path]:
    """Draw every figure of the run in ``directory``, in each format.

    Parameters
    ----------
    directory
        A results directory (of :func:`escalate.run` or :func:`escalate.sweep`).
    out
        The folder to draw into (created if needed). Default: ``DIR/figures``,
        where each figure is drawn in a hidden folder and renamed into place, so a
        reader never sees half a figure.
    formats
        Any of ``png``, ``svg``, ``pdf``.
    confidence
        Level of the intervals.
    dpi
        Resolution of PNG figures.
    top
        Nations the heatmap shows: the ``top`` most often at war (None: all).
    progress
        Show progress bars over the parts on stderr (terminals only).

    Returns
    -------
    list of pathlib.Path
        The files written, ``<figure>.<format>`` in ``out`` (or ``DIR/figures``):
        ``p_world_war``, ``ccdf_belligerents``, ``rounds``; with participants
        ``entry_curve`` and ``heatmap``; for a sweep ``sweep``
        (:func:`escalate.viz.plots.plot_results`).

    Raises
    ------
    ValueError
        An unknown format (before anything is read).
    ResultsError
        The directory is not a complete run, or a part is corrupt.
    ImportError
        matplotlib is not installed (``pip install 'escalate[plot]'``).

    Examples
    --------
    >>> import escalate
    >>> [str(p) for p in escalate.plot("out", "figures", formats=["svg"])][:3]
    ['figures/p_world_war.svg', 'figures/ccdf_belligerents.svg', 'figures/rounds.svg']
    """
    from ..results.files import figures_folder
    from ..results.read import cascade_counts
    from ..results.store import read_manifest
    from ..results.variants import read_variants
    from .plots import FORMATS, PLOT_COUNT_COLUMNS, plot_results, world_members, world_names

    formats = tuple(formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(
            f"unknown figure format {bad[0] if bad else '(none)'!r} ({', '.join(FORMATS)})"
        )
    d = Path(directory)
    worlds = read_manifest(d).worlds
    counts = cascade_counts(d, by=PLOT_COUNT_COLUMNS, verify=True, progress=progress)
    people = _participants(d, progress)
    # drawn in a hidden folder and renamed into place: never through a link
    with figures_folder(d, None if out is None else Path(out)) as where:
        paths = plot_results(
            counts,
            where,
            participants=people,
            formats=formats,
            confidence=confidence,
            dpi=dpi,
            members=world_members(worlds),
            variants=read_variants(d),
            top=top,
            names=world_names(worlds),
        )
    final = Path(out) if out is not None else d / "figures"
    return [final / p.name for p in paths]


def report(
    directory: str | Path,
    out: str | Path | None = None,
    *,
    baseline: str | None = None,
    confidence: float = 0.95,
    seed: int = 0,
    title: str | None = None,
    tails: bool = True,
    dpi: int = 110,
    top: int | None = TOP,
    progress: bool = False,
) -> Path:
    """Write the one-page, self-contained HTML report of the run in ``directory``.

    Parameters
    ----------
    directory
        A results directory (of :func:`escalate.run` or :func:`escalate.sweep`),
        or the output of ``escalate backtest --out DIR``, which gets the
        backtest's page (:func:`escalate.viz.backtest_report.write_backtest_report`;
        of the options below, only ``dpi`` applies to it).
    out
        The HTML file to write (its folder is created if needed). Default:
        ``DIR/report.html``.
    baseline
        The structure the others are compared with (default: the first).
    confidence
        Level of every interval.
    seed
        Bootstrap and subsampling seed.
    title
        The page's title.
    tails
        Include the tail exponents of war size (needs the powerlaw package; without
        it the section says how to install it).
    dpi
        Resolution of the embedded PNG figures.
    top
        Nations in the heatmap, and rows of the table of P(at war) by nation shown
        open (the rest are folded): the ``top`` most often at war (None: all).
    progress
        Show progress bars over the parts on stderr (terminals only).

    Returns
    -------
    pathlib.Path
        The file written (atomically: a temporary file renamed into place). It
        embeds every figure and its style sheet: no other file is needed to view
        it. The page of a run states its seed, command, date and worlds
        (:func:`escalate.viz.runinfo.run_info`); that of a sweep adds a row per
        variant (:mod:`escalate.viz.sweep`).

    Raises
    ------
    ResultsError
        The directory is not a complete run, or a part is corrupt.
    ValueError
        ``baseline`` is not a structure of the run.
    ImportError
        matplotlib or jinja2 is not installed (``pip install 'escalate[plot]'``).

    Examples
    --------
    >>> import escalate
    >>> page = escalate.report("out", "report.html", baseline="europe_1914_no_alliances")
    >>> page.name, "<h2>Tail exponents of war size</h2>" in page.read_text(encoding="utf-8")
    ('report.html', True)
    """
    from .backtest_report import is_backtest_dir, write_backtest_report

    d = Path(directory)
    target = Path(out) if out is not None else d / "report.html"
    if is_backtest_dir(d):  # the output of `escalate backtest --out DIR`
        return write_backtest_report(d, target, dpi=dpi)

    from ..analysis.compare import compare_results
    from ..results.read import cascade_counts, read_results
    from ..results.store import read_manifest
    from ..results.variants import read_variants
    from .plots import PLOT_COUNT_COLUMNS, world_members
    from .report import write_report
    from .runinfo import run_info

    counts = cascade_counts(d, by=PLOT_COUNT_COLUMNS, verify=True, progress=progress)
    table = compare_results(
        d, baseline=baseline, confidence=confidence, seed=seed, verify=False, progress=progress
    )
    sizes = None
    if tails:  # the tail fit needs the war sizes themselves
        columns = ["structure", "belligerents", "deterred"]
        sizes = read_results(d, columns=columns, verify=False, progress=progress)
    return write_report(
        counts,
        _participants(d, progress),
        target,
        baseline=baseline,
        confidence=confidence,
        seed=seed,
        title=title,
        tails=tails,
        dpi=dpi,
        members=world_members(read_manifest(d).worlds),
        variants=read_variants(d),
        table=table,
        sizes=sizes,
        run=run_info(d),
        top=top,
    )
