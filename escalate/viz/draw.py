"""A picture of a world (matplotlib and networkx; ``pip install 'escalate[plot]'``).

Nations are nodes (area by power, major powers with a thick outline and a bold
label), directed obligations are arrows coloured by kind (dashed and labelled
when a condition restricts them), organizations are shaded hulls behind their
members, war plans are dotted arrows from the planner to its victims, and the
incident is highlighted. The layout is ``networkx.kamada_kawai_layout`` of each
connected group, started from a ``spring_layout`` with a fixed seed, so the
same world always gives the same picture. With a fixed incident the blocs are
drawn apart: the nations nearer (in ties) the initiators on the left, those
nearer the targets on the right, the others between (:func:`blocs`). A
condition is written once per treaty (``labels="treaty"``), on every arrow
(``"pair"``) or not at all (``"none"``). Nations without any tie (no obligation,
organization, plan or incident) are listed in the caption.

Like :mod:`escalate.viz.plots`, figures are built without ``pyplot``.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .plots import FORMATS, save_figure

if TYPE_CHECKING:  # pragma: no cover - imported when a picture is made
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..model.entities import Alliance, World

__all__ = ["KIND_COLORS", "LABELS", "blocs", "draw", "world_figure"]

#: Where condition labels go: once per treaty, on every arrow, or nowhere.
LABELS = ("treaty", "pair", "none")

#: Arrow colour of each alliance kind.
KIND_COLORS = {
    "defense": "#1f77b4",
    "offense": "#d62728",
    "entente": "#2ca02c",
    "neutrality": "#7f7f7f",
}
_PLAN_COLOR = "#9467bd"
_INITIATOR_COLOR = "#ff7f0e"
_TARGET_COLOR = "#ffd23f"
_NODE_COLOR = "#dfe7f2"
_ORG_COLORS = ("#8c564b", "#e377c2", "#17becf", "#bcbd22", "#9467bd", "#ff9896")
_SEED = 1914
_MIN_SIZE, _MAX_SIZE = 70.0, 1500.0  # marker areas (points^2)


def _imports() -> tuple[Any, Any]:
    """Matplotlib's ``Figure`` and ``networkx``, or an ImportError naming the extra."""
    try:
        import networkx as nx
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"drawing a world needs matplotlib and networkx ({exc}): pip install 'escalate[plot]'"
        ) from exc
    return Figure, nx


def condition_label(alliance: Alliance) -> str:
    """A short text of a treaty's conditions (``""`` if it has none).

    Parameters
    ----------
    alliance : Alliance
        The treaty.

    Returns
    -------
    str
        E.g. ``"vs RUS, unprovoked, >=2 attackers"``.
    """
    parts = []
    if alliance.against:
        parts.append("vs " + ",".join(alliance.against))
    if alliance.unprovoked:
        parts.append("unprovoked")
    if alliance.min_attackers > 1:
        parts.append(f">={alliance.min_attackers} attackers")
    return ", ".join(parts)


def _incident_pairs(world: World) -> list[tuple[str, str]]:
    inc = world.incident
    if inc.mode == "fixed" and inc.initiator and inc.target:
        return [(inc.initiator, inc.target)]
    return []


def tied_nations(world: World) -> list[str]:
    """The ids of nations with a tie, in file order.

    A tie is an obligation, an organization membership, a war plan (as planner,
    trigger or victim) or a part in a fixed incident.

    Parameters
    ----------
    world : World
        The world.

    Returns
    -------
    list of str
        Nation ids.
    """
    tied: set[str] = set()
    for a in world.alliances:
        for k, j in a.pairs:
            tied.update((k, j))
    for o in world.organizations:
        tied.update(o.members)
    for p in world.plans:
        tied.add(p.nation)
        tied.update(p.trigger)
        tied.update(p.attack)
    for i, t in _incident_pairs(world):
        tied.update((i, t))
    return [n for n in world.ids if n in tied]


def _tie_graph(nx: Any, world: World, nodes: list[str]) -> Any:
    """The nations and their ties, weighted (treaties 1, plans 0.5, organizations less)."""
    g = nx.Graph()
    g.add_nodes_from(nodes)

    def tie(a: str, b: str, w: float) -> None:
        if a == b:
            return
        old = g.get_edge_data(a, b, {"weight": 0.0})["weight"]
        g.add_edge(a, b, weight=old + w)

    for a in world.alliances:
        for k, j in a.pairs:
            tie(k, j, 1.0)
    for o in world.organizations:
        for i, m in enumerate(o.members):
            for n in o.members[i + 1 :]:
                tie(m, n, 0.3 / max(1, len(o.members) - 1))
    for p in world.plans:
        for v in p.attack:
            tie(p.nation, v, 0.5)
    for initiator, target in _incident_pairs(world):
        tie(initiator, target, 1.0)
    return g


#: How strongly a treaty of each kind binds its members into one bloc (:func:`blocs`).
_BLOC_WEIGHT = {"defense": 1.0, "offense": 1.0, "entente": 0.5, "neutrality": 0.1}


def blocs(world: World, nodes: list[str] | None = None) -> dict[str, str]:
    """Each tied nation's bloc: ``"A"`` (the initiators'), ``"D"`` (the targets') or ``""``.

    The blocs grow from the incident's parties ring by ring over the treaties: a
    nation joins the bloc to which its treaties with the nations already placed weigh
    more (defense and offense 1, entente 0.5, neutrality 0.1), and neither on a tie.
    Organizations, war plans and the incident itself bind no blocs. Every nation is
    ``""`` without a fixed incident, and so is one no treaty path reaches.
    """
    nodes = tied_nations(world) if nodes is None else nodes
    side = dict.fromkeys(nodes, "")
    inc = world.incident
    if inc.mode != "fixed":
        return side
    ties: dict[str, dict[str, float]] = {n: {} for n in nodes}
    for a in world.alliances:
        for k, j in a.pairs:
            w = _BLOC_WEIGHT.get(a.kind, 0.0)
            ties[k][j] = ties[k].get(j, 0.0) + w
            ties[j][k] = ties[j].get(k, 0.0) + w
    placed = {**dict.fromkeys(inc.initiator_ids, "A"), **dict.fromkeys(inc.target_ids, "D")}
    ring = [n for n in nodes if n not in placed and any(m in placed for m in ties[n])]
    while ring:
        score = {n: {"A": 0.0, "D": 0.0, "": 0.0} for n in ring}
        for n in ring:
            for m, w in ties[n].items():
                if m in placed:
                    score[n][placed[m]] += w
        for n in ring:
            to_a, to_d = score[n]["A"], score[n]["D"]
            placed[n] = "A" if to_a > to_d else "D" if to_d > to_a else ""
        ring = [n for n in nodes if n not in placed and any(m in placed for m in ties[n])]
    side.update({n: b for n, b in placed.items() if n in side})
    return side


def _layout(world: World, nodes: list[str]) -> dict[str, tuple[float, float]]:
    """Spring layout with a fixed seed; ties pull their nations together, blocs apart."""
    _, nx = _imports()
    g = _tie_graph(nx, world, nodes)
    side = blocs(world, nodes)
    if "A" not in side.values() or "D" not in side.values():
        return _packed(nx, g)
    # the blocs side by side, the nations between them in the middle; the nations tied
    # to neither side (other components) in a column on the right
    linked = set(nx.node_connected_component(g, world.incident.initiator_ids[0]))
    columns = []
    for b in ("A", "", "D"):
        members = [n for n in nodes if side[n] == b and n in linked]
        if members:
            columns.append(_packed(nx, g.subgraph(members)))
    main = _side_by_side(columns)
    rest = g.subgraph([n for n in nodes if n not in main])
    return _pack([main, *(_component_layout(nx, rest.subgraph(c), 0.45)
                          for c in _components(nx, rest))])  # fmt: skip


def _packed(nx: Any, g: Any) -> dict[str, tuple[float, float]]:
    """Each connected group of ``g`` laid out, the largest first and full size, packed."""
    comps = _components(nx, g)
    return _pack([_component_layout(nx, g.subgraph(c), 1.0 if i == 0 else 0.45)
                  for i, c in enumerate(comps)])  # fmt: skip


def _side_by_side(columns: list[dict[str, tuple[float, float]]]) -> dict[str, tuple[float, float]]:
    """Place the columns left to right, a gap apart, centred on the same height."""
    pos: dict[str, tuple[float, float]] = {}
    x0 = 0.0
    for col in columns:
        xs = [x for x, _ in col.values()]
        ys = [y for _, y in col.values()]
        mid = (max(ys) + min(ys)) / 2
        for n, (x, y) in col.items():
            pos[n] = (x0 + x - min(xs), y - mid)
        x0 += max(xs) - min(xs) + 1.2
    return pos


def _components(nx: Any, g: Any) -> list[list[str]]:
    """Connected components, largest first, nodes in file order (deterministic)."""
    order = {n: i for i, n in enumerate(g.nodes)}
    comps = [sorted(c, key=order.__getitem__) for c in nx.connected_components(g)]
    return sorted(comps, key=lambda c: (-len(c), order[c[0]]))


def _component_layout(nx: Any, g: Any, scale: float) -> dict[str, tuple[float, float]]:
    """Kamada-Kawai layout of one component in a square of side ``scale * sqrt(n)``.

    Started from a spring layout with a fixed seed, so it is reproducible.
    """
    nodes = list(g.nodes)
    if len(nodes) == 1:
        return {nodes[0]: (0.0, 0.0)}
    sub = nx.Graph()
    sub.add_nodes_from(nodes)
    sub.add_edges_from(g.edges(data=True))
    start = nx.spring_layout(sub, seed=_SEED, weight="weight")
    raw = nx.kamada_kawai_layout(sub, pos=start, weight=None)
    xs = [float(raw[n][0]) for n in nodes]
    ys = [float(raw[n][1]) for n in nodes]
    w = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    side = scale * math.sqrt(len(nodes))
    return {
        n: ((x - min(xs)) / w * side, (y - min(ys)) / w * side)
        for n, x, y in zip(nodes, xs, ys, strict=True)
    }


def _pack(parts: list[dict[str, tuple[float, float]]]) -> dict[str, tuple[float, float]]:
    """The largest component on the left, the others in a column to its right."""
    pos: dict[str, tuple[float, float]] = {}
    if not parts:
        return pos
    pos.update(parts[0])
    x0 = max(x for x, _ in parts[0].values()) + 0.8
    top = max(y for _, y in parts[0].values())
    for part in parts[1:]:
        h = max(y for _, y in part.values()) - min(y for _, y in part.values())
        miny = min(y for _, y in part.values())
        minx = min(x for x, _ in part.values())
        for n, (x, y) in part.items():
            pos[n] = (x0 + x - minx, top - h + y - miny)
        top -= h + 0.6
    return pos


def _sizes(world: World, nodes: list[str]) -> dict[str, float]:
    """Marker area (points^2) of each node, proportional to power above a floor."""
    powers = {n: max(0.0, world.nation(n).power) for n in nodes}
    top = max(powers.values(), default=0.0) or 1.0
    return {n: _MIN_SIZE + (_MAX_SIZE - _MIN_SIZE) * p / top for n, p in powers.items()}


def _hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Convex hull (Andrew's monotone chain), counter-clockwise."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o: Any, a: Any, b: Any) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    upper: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _draw_organizations(ax: Axes, world: World, pos: dict, span: float) -> list:
    """Shaded rounded hulls behind each organization's members; legend handles."""
    from matplotlib.patches import Patch, Polygon

    handles = []
    for i, o in enumerate(world.organizations):
        color = _ORG_COLORS[i % len(_ORG_COLORS)]
        pad = span * (0.045 + 0.02 * i)  # nested hulls of later organizations stay visible
        ring = [
            (pos[m][0] + pad * math.cos(t), pos[m][1] + pad * math.sin(t))
            for m in o.members
            if m in pos
            for t in (2 * math.pi * s / 24 for s in range(24))
        ]
        hull = _hull(ring)
        ax.add_patch(
            Polygon(hull, closed=True, facecolor=color, alpha=0.10, edgecolor=color, lw=1.5,
                    ls="-", zorder=0)
        )  # fmt: skip
        label = textwrap.fill(
            f"{o.name} ({o.kind.replace('_', ' ')}): {', '.join(o.members)}"
            + (f"; veto {', '.join(o.veto)}" if o.veto else ""),
            42,
        )
        handles.append(Patch(facecolor=color, alpha=0.3, edgecolor=color, label=label))
    return handles


def _arrow(ax: Axes, a: tuple, b: tuple, *, size_a: float, size_b: float, **kw: Any) -> Any:
    from matplotlib.patches import FancyArrowPatch

    patch = FancyArrowPatch(
        a,
        b,
        arrowstyle=kw.pop("arrowstyle", "-|>"),
        mutation_scale=kw.pop("mutation_scale", 11),
        shrinkA=math.sqrt(size_a) / 2 + 1,
        shrinkB=math.sqrt(size_b) / 2 + 2,
        **kw,
    )
    ax.add_patch(patch)
    return patch


def _arc_mid(a: tuple, b: tuple, rad: float) -> tuple[float, float]:
    """The midpoint of matplotlib's ``arc3`` curve from ``a`` to ``b`` (equal aspect)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    return (a[0] + dx / 2 + rad * dy / 2, a[1] + dy / 2 - rad * dx / 2)


def _draw_obligations(ax: Axes, world: World, pos: dict, sizes: dict, labels: str) -> None:
    """One arrow per (obligor, protege, treaty); parallel ones bend further apart.

    A conditional treaty's condition is written on its first arrow (``labels``
    ``"treaty"``), on one arrow per pair of nations (``"pair"``), or nowhere.
    """
    drawn: dict[tuple[str, str], int] = {}
    labelled: set[tuple[frozenset, str]] = set()
    for a in world.alliances:
        color = KIND_COLORS.get(a.kind, "black")
        text = condition_label(a)
        for k, j in a.pairs:
            n = drawn.get((k, j), 0)
            drawn[(k, j)] = n + 1
            rad = 0.12 + 0.14 * n  # k -> j and j -> k bend to opposite sides
            _arrow(
                ax, pos[k], pos[j], size_a=sizes[k], size_b=sizes[j], color=color, lw=1.3,
                linestyle="--" if text else "-", connectionstyle=f"arc3,rad={rad}",
                alpha=0.85, zorder=2,
            )  # fmt: skip
            where = frozenset((a.name,)) if labels == "treaty" else frozenset((k, j))
            if text and labels != "none" and (where, text) not in labelled:
                labelled.add((where, text))
                x, y = _arc_mid(pos[k], pos[j], rad)
                ax.text(x, y, text, fontsize=6.5, color=color, ha="center", va="center",
                        zorder=6, bbox={"boxstyle": "round,pad=0.15", "fc": "white",
                                        "ec": "none", "alpha": 0.8})  # fmt: skip


def _draw_plans(ax: Axes, world: World, pos: dict, sizes: dict) -> None:
    for p in world.plans:
        for v in p.attack:
            if p.nation == v:
                continue
            _arrow(
                ax, pos[p.nation], pos[v], size_a=sizes[p.nation], size_b=sizes[v],
                color=_PLAN_COLOR, lw=1.8, linestyle=":", connectionstyle="arc3,rad=-0.25",
                zorder=3,
            )  # fmt: skip
            x, y = _arc_mid(pos[p.nation], pos[v], -0.25)
            ax.text(x, y, f"plan if {','.join(p.trigger)} (p={p.probability:g})", fontsize=6.5,
                    color=_PLAN_COLOR, ha="center", va="center", zorder=6,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                          "alpha": 0.8})  # fmt: skip


def _draw_incident(ax: Axes, world: World, pos: dict, sizes: dict) -> None:
    for i, t in _incident_pairs(world):
        _arrow(
            ax, pos[i], pos[t], size_a=sizes[i], size_b=sizes[t], color="black", lw=3.0,
            connectionstyle="arc3,rad=0.0", mutation_scale=20, zorder=4,
        )  # fmt: skip


def _node_color(world: World, n: str) -> str:
    pairs = _incident_pairs(world)
    if any(n == i for i, _ in pairs):
        return _INITIATOR_COLOR
    if any(n == t for _, t in pairs):
        return _TARGET_COLOR
    return _NODE_COLOR


def _draw_nodes(ax: Axes, world: World, pos: dict, sizes: dict) -> None:
    for n, (x, y) in pos.items():
        nation = world.nation(n)
        ax.scatter([x], [y], s=sizes[n], c=_node_color(world, n), edgecolors="black",
                   linewidths=2.6 if nation.major else 0.8, zorder=5)  # fmt: skip
        diameter = math.sqrt(sizes[n])
        inside = diameter >= 30
        ax.annotate(
            n,
            (x, y),
            xytext=(0, 0 if inside else diameter / 2 + 1),
            textcoords="offset points",
            ha="center",
            va="center" if inside else "bottom",
            fontsize=8 if nation.major else 7,
            fontweight="bold" if nation.major else "normal",
            zorder=7,
            bbox=None
            if inside
            else {
                "boxstyle": "round,pad=0.1",
                "fc": "white",
                "ec": "none",
                "alpha": 0.85,
            },  # labels stay readable over arrows
        )


def _legend_handles(world: World) -> list:
    from matplotlib.lines import Line2D

    kinds = sorted({a.kind for a in world.alliances}, key=list(KIND_COLORS).index)
    h = [Line2D([], [], color=KIND_COLORS[k], lw=2, label=f"{k} (obligor -> protege)")
         for k in kinds]  # fmt: skip
    if any(a.conditional for a in world.alliances):
        h.append(Line2D([], [], color="black", lw=1.3, ls="--", label="conditional (label)"))
    if world.plans:
        h.append(Line2D([], [], color=_PLAN_COLOR, lw=1.8, ls=":", label="war plan -> victims"))
    if _incident_pairs(world):
        h.append(Line2D([], [], color="black", lw=3, label="incident"))
        h.append(Line2D([], [], ls="", marker="o", ms=9, mfc=_INITIATOR_COLOR, mec="black",
                        label="initiator"))  # fmt: skip
        h.append(Line2D([], [], ls="", marker="o", ms=9, mfc=_TARGET_COLOR, mec="black",
                        label="target"))  # fmt: skip
    h.append(Line2D([], [], ls="", marker="o", ms=10, mfc=_NODE_COLOR, mec="black", mew=2.6,
                    label="major power (area ~ power)"))  # fmt: skip
    return h


def _incident_text(world: World) -> str:
    inc = world.incident
    if inc.mode == "fixed":
        return f"incident: {inc.initiator} attacks {inc.target}"
    who = ", ".join(inc.initiators) if inc.initiators else "any nation"
    whom = ", ".join(inc.targets) if inc.targets else "any nation"
    return (
        f"incident: random, drawn per replicate ({inc.weights} weights; "
        f"initiators: {who}; targets: {whom})"
    )


def _caption(world: World, untied: list[str]) -> str:
    if not untied:
        return ""
    return textwrap.fill(
        f"{len(untied)} nations without ties, not drawn: " + ", ".join(untied), 150
    )


def world_figure(world: World, *, labels: str = "treaty") -> Figure:
    """A picture of ``world`` as a matplotlib figure.

    Parameters
    ----------
    world : World
        A validated world (:func:`escalate.model.load.load_world`).
    labels : {"treaty", "pair", "none"}
        Where conditions are written: once per treaty, once per pair of nations, nowhere.

    Returns
    -------
    matplotlib.figure.Figure
        The graph on the left, the legend (kinds, organizations) on the right.
    """
    if labels not in LABELS:
        raise ValueError(f"labels must be one of {', '.join(LABELS)}, got {labels!r}")
    figure_class, _ = _imports()
    nodes = tied_nations(world)
    untied = [n for n in world.ids if n not in set(nodes)]
    fig = figure_class(figsize=(15, 10.5), layout="constrained")
    grid = fig.add_gridspec(1, 2, width_ratios=(3.2, 1))
    ax = fig.add_subplot(grid[0])
    side = fig.add_subplot(grid[1])
    side.axis("off")
    ax.axis("off")
    ax.set_aspect("equal")
    pos = _layout(world, nodes) if nodes else {}
    sizes = _sizes(world, nodes)
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    org_handles = _draw_organizations(ax, world, pos, span)
    _draw_obligations(ax, world, pos, sizes, labels)
    _draw_plans(ax, world, pos, sizes)
    _draw_incident(ax, world, pos, sizes)
    _draw_nodes(ax, world, pos, sizes)
    margin = 0.09 * span
    ax.set_xlim(min(xs) - margin, max(xs) + margin)
    ax.set_ylim(min(ys) - margin, max(ys) + margin)
    legend = side.legend(handles=_legend_handles(world), loc="upper left", fontsize=8.5,
                         title="obligations and nations", frameon=False)  # fmt: skip
    if org_handles:
        side.add_artist(legend)
        side.legend(handles=org_handles, loc="lower left", fontsize=8, title="organizations",
                    frameon=False)  # fmt: skip
    title = f"{world.name}: {' '.join(world.description.split())}".rstrip(": ")
    fig.suptitle(textwrap.fill(title, 110) + "\n" + _incident_text(world), fontsize=12)
    caption = _caption(world, untied)
    if caption:
        fig.supxlabel(caption, fontsize=8)
    return fig


def draw(
    world: World | str | Path, path: str | Path, *, dpi: int = 150, labels: str = "treaty"
) -> Path:
    """Draw a world to a PNG, SVG or PDF file (format from the suffix).

    Parameters
    ----------
    world : World, str or pathlib.Path
        A world, or a world file or bundled name for
        :func:`escalate.model.load.load_world`.
    path : str or pathlib.Path
        The file to write; its suffix (``.png``, ``.svg``, ``.pdf``) picks the format.
    dpi : int
        Resolution of PNG output.
    labels : {"treaty", "pair", "none"}
        Where conditions are written (:func:`world_figure`).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If the suffix is not one of the formats.

    Examples
    --------
    >>> import escalate
    >>> escalate.draw("teaching", "teaching.svg").read_text(encoding="utf-8").startswith("<?xml")
    True
    """
    from ..model.entities import World
    from ..model.load import load_world

    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(
            f"{path}: unknown picture format {path.suffix or '(no suffix)'!r}: "
            "use .png, .svg or .pdf"
        )
    fig = world_figure(world if isinstance(world, World) else load_world(world), labels=labels)
    from matplotlib import rc_context

    with rc_context({"svg.fonttype": "none"}):  # text stays text (searchable)
        save_figure(fig, path, fmt, dpi)
    return path
