"""P(nation at war) per nation, structure and side: the heatmap and the report's table.

Both read the participants of a run (or their counts per nation, side and round)
and the cascades (or their counts): a nation's probability of being at war on a
side is the number of cascades it fought in on that side over the replicates of
the structure. A nation absent from a structure's world is absent, not 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..analysis.common import row_weights, structure_groups
from .style import new_figure, wrapped_title

__all__ = ["TOP", "at_war_table", "heatmap_figure", "nation_probabilities"]

#: Nations the heatmap shows by default: the most often at war (``--top``).
TOP = 40


def replicates_of(results: pd.DataFrame) -> dict[str, int]:
    out = {}
    for name, idx in structure_groups(results):
        w = row_weights(results, idx)  # a table of counts: the rows it stands for
        out[name] = int(w.sum()) if w is not None else int(np.size(results["replicate"][idx]))
    return out


def group_sizes(participants: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Participant rows per ``keys``: group sizes of the rows, or sums of ``count``.

    ``participants`` is either the participants table (one row per belligerent)
    or its counts (:func:`escalate.results.read.participant_counts`, a ``count``
    column), which give the same numbers without a row per belligerent.
    """
    groups = participants.groupby(keys, observed=True)
    if "count" in participants.columns:
        return groups["count"].sum()
    return groups.size()


def as_str_levels(counts: pd.Series) -> pd.Series:
    """Group sizes with string labels.

    Grouping on categoricals first keeps tens of millions of participant rows from
    being turned into Python strings.
    """
    levels = [counts.index.get_level_values(i) for i in range(counts.index.nlevels)]
    arrays = [lv if pd.api.types.is_numeric_dtype(lv.dtype) else lv.astype(str) for lv in levels]
    out = counts.copy()
    out.index = pd.MultiIndex.from_arrays(arrays, names=counts.index.names)
    return out


def nation_probabilities(
    results: pd.DataFrame,
    participants: pd.DataFrame,
    members: Mapping[str, Sequence[str]] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """P(at war on each side) per nation and structure, and where the nation is absent.

    Returns
    -------
    (pandas.DataFrame, numpy.ndarray)
        A row per nation at war in some structure, sorted by its mean P(at war)
        over structures (highest first); columns ``(structure, side)``, sides
        ``A`` and ``D``. The boolean array marks the cells of nations absent
        from that structure's world (False everywhere without ``members``).
    """
    n_rep = replicates_of(results)
    names = [name for name, _ in structure_groups(results)]
    counts = as_str_levels(group_sizes(participants, ["nation", "structure", "side"]))
    wide = counts.unstack(["structure", "side"], fill_value=0)
    columns = pd.MultiIndex.from_product([names, ["A", "D"]], names=["structure", "side"])
    wide = wide.reindex(columns=columns, fill_value=0)
    prob = wide / np.repeat(pd.Series(n_rep)[names].to_numpy(), 2)[None, :]
    total = prob.T.groupby(level="structure", sort=False).sum().T
    prob = prob.loc[total.mean(axis=1).sort_values(ascending=False, kind="stable").index]
    absent = np.zeros(prob.shape, dtype=bool)
    if members is not None:
        for j, (name, _side) in enumerate(prob.columns):
            present = set(members.get(name, prob.index))
            absent[:, j] = [nation not in present for nation in prob.index]
    return prob, absent


def at_war_table(
    results: pd.DataFrame,
    participants: pd.DataFrame,
    members: Mapping[str, Sequence[str]] | None = None,
    names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A row per nation: id, name, and P(at war) (either side) in each structure.

    Rows as in :func:`nation_probabilities` (nations never at war left out);
    a nation absent from a structure's world has ``NaN`` there.
    """
    prob, absent = nation_probabilities(results, participants, members)
    total = prob.T.groupby(level="structure", sort=False).sum().T
    gone = pd.DataFrame(absent[:, ::2], index=prob.index, columns=total.columns)
    total = total.mask(gone)
    out = pd.DataFrame({"nation": total.index.astype(str)})
    out["name"] = [(names or {}).get(n, "") for n in out["nation"]]
    for s in total.columns:
        out[str(s)] = total[s].to_numpy(float)
    return out


def heatmap_figure(
    results: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    annotate: bool | None = None,
    members: Mapping[str, Sequence[str]] | None = None,
    top: int | None = TOP,
    names: Mapping[str, str] | None = None,
):
    """P(nation at war) per nation, structure and side.

    Each structure has two columns, side A (the initiator's) and side D (the
    target's), so that a nation at war on either side half of the time does
    not read as one number. Nations (rows) are sorted by their mean
    probability of being at war over structures; nations never at war in any
    structure are omitted. A nation absent from a structure's world is a grey
    cell marked ``absent`` (not 0).

    Parameters
    ----------
    results, participants
        The cascades and participants tables of the same run; the
        participants may be given as their counts (a ``count`` column, from
        :func:`escalate.results.read.participant_counts`).
    annotate
        Write the probability in each cell (default: when there are at most
        700 cells).
    members
        The nation ids of each structure's world (e.g. from the run's
        manifest, as :func:`plot_results` is given them); without it every
        nation counts as present everywhere.
    top
        Show only the ``top`` nations with the highest mean P(at war) over
        structures (default :data:`TOP`; None: every nation at war); the title
        says how many were left out.
    names
        Nation id -> name, to label the rows ``Name (ID)``.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: the heatmap and its colorbar.
    """
    structures = [name for name, _ in structure_groups(results)]
    prob, absent = nation_probabilities(results, participants, members)
    at_war = len(prob)
    if top is not None and at_war > top:
        prob, absent = prob.iloc[:top], absent[:top]
    values = prob.to_numpy(dtype=float)
    masked = np.ma.masked_array(values, mask=absent)
    nr, nc = values.shape
    width = 3.2 + 0.62 * nc
    fig = new_figure(width, 2.2 + 0.24 * nr)
    ax = fig.add_subplot()
    from matplotlib import colormaps

    cmap = colormaps["viridis"].with_extremes(bad="#d9d9d9")
    im = ax.imshow(masked, aspect="auto", cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks(np.arange(nc), [side for _, side in prob.columns], fontsize=8)
    upper = ax.secondary_xaxis("top")  # the structure above its two columns
    upper.set_xticks(np.arange(0.5, nc, 2), structures, rotation=30, ha="left", fontsize=8)
    upper.tick_params(length=0)
    for k in range(1, len(structures)):
        ax.axvline(2 * k - 0.5, color="white", lw=2)
    labels = [f"{names[n]} ({n})" if names and names.get(n, n) != n else n for n in prob.index]
    ax.set_yticks(np.arange(nr), labels, fontsize=8)
    if annotate is None:
        annotate = nr * nc <= 700
    if annotate:
        for (i, j), v in np.ndenumerate(values):
            if absent[i, j]:
                text, color = "absent", "#555555"
            else:
                text = "0" if v == 0 else ("<.01" if v < 0.005 else f"{v:.2f}")
                color = "black" if v > 0.6 else "white"
            ax.text(j, i, text, ha="center", va="center", fontsize=6.5, color=color)
    ax.set_xlabel("side: A (initiator's) or D (target's), per structure")
    ax.set_ylabel("nation")
    shown = (
        f"the {nr} nations most often at war of {at_war}"
        if nr < at_war
        else "nations never at war omitted"
    )
    wrapped_title(
        ax, f"P(nation at war) by structure and side ({shown}; grey: not in that world)", width
    )
    fig.colorbar(im, ax=ax, label="P(at war on that side)", shrink=min(1.0, 8 / max(nr, 1) + 0.4))
    return fig
