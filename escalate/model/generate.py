"""Generated alliance structures over the nations of an existing world.

:func:`generate` keeps a world's nations (ids, names, powers, major flags), its
incident and its dynamics, and replaces its alliances, organizations and war
plans by a generated structure. Because the nations are the same, and the
random draws of a cascade are keyed by nation ids and treaty names (see
:mod:`escalate.engine.rng`), running the original and the generated worlds with the
same seed gives a *paired* comparison (common random numbers).

Generated treaties and organizations get stable descriptive names that depend
only on who is in them (never on a counter or on the generation seed), so two
generated worlds that contain the same treaty share its random draws.

Structure kinds
---------------
``none``
    No alliances, no organizations: the baseline.
``bipolar``
    Two power-balanced blocs (:func:`bipolar_blocs`: deterministic greedy
    by descending power, initiator and target in opposite blocs), each one
    multilateral ``defense`` treaty named ``"Bipolar bloc of <ID>"`` after
    its strongest member. A bloc of a single nation has no treaty.
``collective-security``
    One ``collective_security`` organization of all nations, named
    ``"Collective security organization"``. With ``veto=True`` the major
    powers hold a veto (as the permanent members of the UN Security
    Council).
``collective-defense``
    One ``collective_defense`` organization, named ``"Collective defense
    organization"``, of one of the two blocs of :func:`bipolar_blocs`: the
    bloc of the target (fixed incident; the initiator is then an outsider)
    or of the strongest nation (random incident). The other bloc is left
    unaligned. An organization of everyone except the initiator would, for
    a fixed incident, behave almost exactly like collective security, and
    would be undefined for a random incident; a balanced half of the
    system facing outsiders is the NATO picture, and putting the target
    inside makes the incident test the organization's guarantee. With
    ``veto=True`` its major powers hold a veto.
``hub``
    A hegemon (``hegemon``, default the most powerful nation, ties by id)
    guarantees every other nation: one ``defense`` treaty with
    ``guarantors = [hegemon]`` and ``protected`` = all others, named
    ``"<ID> hub guarantee"``. The protected nations owe nothing to the
    hegemon or to each other.
``random``
    Each unordered pair of nations independently gets a bilateral
    ``defense`` pact with probability ``density``, named ``"Defense pact
    <ID1>-<ID2>"`` (ids sorted). Pairs are visited in id order and pact
    ``i`` exists when ``u_i < density``, with ``u`` drawn from
    ``numpy.random.default_rng(seed)``. ``seed`` is a one-off *generation*
    seed fixing the structure written to the file; it is unrelated to the
    run seed of ``escalate run``. With one seed, the pacts at a lower
    density are a subset of those at a higher density, and a pact present
    in two generated worlds shares its random draws.

Examples
--------
>>> from escalate.model.dump import dump_world
>>> from escalate.model.load import load_world
>>> base = load_world("europe_1914")
>>> w = generate("bipolar", base)
>>> w.name
'europe_1914_bipolar'
>>> w.nations == base.nations, len(w.alliances)
(True, 2)
>>> text = dump_world(w, header="escalate generate bipolar")
>>> text.splitlines()[0]
'# escalate generate bipolar'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .entities import Nation, World
from .load import load_world, world_from_dict

__all__ = [
    "STRUCTURES",
    "VETO_KINDS",
    "bipolar_blocs",
    "default_name",
    "generate",
    "generated_header",
]

#: The structure kinds :func:`generate` knows, in the order the CLI lists them.
STRUCTURES: tuple[str, ...] = (
    "none",
    "bipolar",
    "collective-security",
    "collective-defense",
    "hub",
    "random",
)


def _by_power(nations: tuple[Nation, ...]) -> list[Nation]:
    """Nations by descending power, ties broken by id (independent of file order)."""
    return sorted(nations, key=lambda n: (-n.power, n.id))


def _strongest(nations: list[Nation] | tuple[Nation, ...]) -> Nation:
    return _by_power(tuple(nations))[0]


def bipolar_blocs(world: World) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split the nations into two power-balanced blocs (deterministic greedy).

    With a fixed incident the initiator starts bloc 1 and the target bloc 2.
    With a random incident the two strongest nations start the two blocs. Every
    other nation, by descending power (ties by id), then joins the bloc with the
    smaller total power (on a tie, the bloc with fewer members, then bloc 1).

    Each step keeps ``|power(bloc 1) - power(bloc 2)|`` at most the largest
    single power in the world, so the blocs are balanced within the power of
    the strongest nation.

    Parameters
    ----------
    world
        The world whose nations are split.

    Returns
    -------
    tuple of two tuples of str
        The ids of each bloc, each in descending order of power.
    """
    order = _by_power(world.nations)
    inc = world.incident
    if inc.mode == "fixed":
        assert inc.initiator is not None and inc.target is not None
        seeds = (inc.initiator, inc.target)
    else:
        seeds = (order[0].id, order[1].id)
    blocs: tuple[list[str], list[str]] = ([seeds[0]], [seeds[1]])
    power = {n.id: n.power for n in world.nations}
    totals = [power[seeds[0]], power[seeds[1]]]
    for n in order:
        if n.id in seeds:
            continue
        if totals[0] < totals[1]:
            i = 0
        elif totals[1] < totals[0]:
            i = 1
        else:
            i = 0 if len(blocs[0]) <= len(blocs[1]) else 1
        blocs[i].append(n.id)
        totals[i] += n.power
    rank = {n.id: r for r, n in enumerate(order)}
    a, b = (tuple(sorted(x, key=rank.__getitem__)) for x in blocs)
    return a, b


def _treaty(name: str, kind: str, reliability: float | None, **parties: list[str]) -> dict:
    row: dict[str, Any] = {"name": name, "kind": kind, **parties}
    if reliability is not None:
        row["reliability"] = reliability
    return row


#: The response probabilities of a generated organization unless given (the rest is
#: "none"): mostly words, some sanctions, rarely arms, as the League's record.
GENERATED_RESPONSE = {"diplomacy": 0.5, "sanctions": 0.3, "military": 0.1}


def _organization(
    name: str, kind: str, members: list[str], veto: list[str], response: dict | None
) -> dict:
    row: dict[str, Any] = {"name": name, "kind": kind, "members": members}
    if veto:
        row["veto"] = veto
    row["response"] = dict(GENERATED_RESPONSE if response is None else response)
    return row


def generate(
    kind: str,
    world: World | str | Path,
    *,
    name: str | None = None,
    seed: int = 0,
    density: float = 0.1,
    veto: bool = False,
    reliability: float | None = None,
    response: dict | None = None,
    hegemon: str | None = None,
) -> World:
    """A world with ``world``'s nations, incident and dynamics and a generated structure.

    The nations (ids, names, powers, major flags), the incident and
    ``[dynamics]`` are kept unchanged; alliances, organizations and war plans
    are replaced (generated worlds have no war plans). The structure kinds
    are described in the module docstring (:mod:`escalate.model.generate`).

    Parameters
    ----------
    kind
        One of :data:`STRUCTURES`.
    world
        The world whose nations, incident and dynamics are kept: a world, a world
        file or a bundled name (:func:`~escalate.model.load.load_world`).
    name
        The new world's name; default :func:`default_name`: ``f"{world.name}_{kind}"``
        with ``-`` replaced by ``_``, and for ``random`` the seed and density
        (``europe_1914_random_s3_d0.1``).
    seed
        Generation seed (``random`` only).
    density
        Pact probability per unordered pair, in [0, 1] (``random`` only).
    veto
        Major powers hold a veto in the generated organization
        (``collective-security``, ``collective-defense``).
    reliability
        Reliability of the generated treaties (``bipolar``, ``hub``,
        ``random``); ``None`` leaves the per-kind default of ``[dynamics]``.
    response
        Response probabilities of the generated organization, e.g.
        ``{"diplomacy": 0.5, "sanctions": 0.3, "military": 0.2}``; ``None``
        keeps the default ladder.
    hegemon
        The hub's hegemon (``hub`` only); default the most powerful nation.

    Returns
    -------
    World
        The validated generated world (it round-trips through
        :func:`~escalate.model.load.world_from_dict` unchanged).

    Raises
    ------
    ValueError
        For an unknown kind, a density outside [0, 1], an unknown hegemon, a
        hegemon for a kind other than ``hub``, or ``veto`` for a kind without
        an organization (only :data:`VETO_KINDS` have one).
    WorldError
        If a value of the generated world is invalid (e.g. ``reliability`` or
        ``response`` out of range) or ``name`` is not a valid world name.
    """
    if kind not in STRUCTURES:
        raise ValueError(f"unknown structure kind {kind!r}; choose from {', '.join(STRUCTURES)}")
    if not isinstance(world, World):
        world = load_world(world)
    if not (isinstance(density, int | float) and math.isfinite(density) and 0 <= density <= 1):
        raise ValueError(f"density must be in [0, 1], got {density!r}")
    if hegemon is not None and hegemon not in world.ids:
        raise ValueError(f"hegemon {hegemon!r} is not a nation of {world.name}")
    if veto and kind not in VETO_KINDS:
        raise ValueError(
            f"veto applies to an organization ({' and '.join(VETO_KINDS)} structures); "
            f"a {kind} structure has none"
        )
    if hegemon is not None and kind != "hub":
        raise ValueError(f"hegemon applies to the hub structure only, not {kind}")

    options = {
        "reliability": reliability,
        "response": response,
        "veto": veto,
        "seed": seed,
        "density": density,
        "hegemon": hegemon,
    }
    alliances, organizations = _BUILDERS[kind](world, **options)
    d = world.to_dict()
    d["name"] = (
        name
        if name is not None
        else default_name(kind, world.name, seed, density, veto, reliability)
    )
    d["description"] = _description(kind, world, seed=seed, density=density, veto=veto)
    d["alliances"] = alliances
    d["organizations"] = organizations
    d["plans"] = []
    return world_from_dict(d, source=f"<generated {kind} from {world.source}>")


#: the structures whose organization a veto applies to
VETO_KINDS = ("collective-security", "collective-defense")


def default_name(
    kind: str,
    world_name: str,
    seed: int = 0,
    density: float = 0.1,
    veto: bool = False,
    reliability: float | None = None,
) -> str:
    """The name of a generated world: ``<world>_<kind>``, with what makes it differ.

    A random structure adds its seed and density, a veto ``_veto``, a given
    reliability ``_r<R>``: two worlds generated from one with other options get
    two names, so that they can be run side by side.

    Examples
    --------
    >>> default_name("collective-security", "europe_1914")
    'europe_1914_collective_security'
    >>> default_name("collective-security", "europe_1914", veto=True)
    'europe_1914_collective_security_veto'
    >>> default_name("random", "europe_1914", seed=3, density=0.25)
    'europe_1914_random_s3_d0.25'
    >>> default_name("bipolar", "europe_1914", reliability=0.5)
    'europe_1914_bipolar_r0.5'
    """
    name = f"{world_name}_{kind}".replace("-", "_")
    if kind == "random":
        name += f"_s{seed}_d{density:g}"
    if veto:
        name += "_veto"
    if reliability is not None:
        name += f"_r{reliability:g}"
    return name


_Structure = tuple[list[dict], list[dict]]  # (alliances, organizations) as world-file rows


def _majors(world: World) -> list[str]:
    return [n.id for n in _by_power(world.nations) if n.major]


def _none(world: World, **_: Any) -> _Structure:
    return [], []


def _bipolar(world: World, *, reliability: float | None, **_: Any) -> _Structure:
    power = {n.id: n.power for n in world.nations}
    alliances = []
    for bloc in bipolar_blocs(world):
        if len(bloc) >= 2:
            leader = min(bloc, key=lambda x: (-power[x], x))
            alliances.append(
                _treaty(f"Bipolar bloc of {leader}", "defense", reliability, members=list(bloc))
            )
    return alliances, []


def _collective_security(
    world: World, *, veto: bool, response: dict | None, **_: Any
) -> _Structure:
    members = [n.id for n in _by_power(world.nations)]
    org = _organization(
        "Collective security organization",
        "collective_security",
        members,
        _majors(world) if veto else [],
        response,
    )
    return [], [org]


def _collective_defense(world: World, *, veto: bool, response: dict | None, **_: Any) -> _Structure:
    a, b = bipolar_blocs(world)
    if world.incident.mode == "fixed":
        members = list(b)  # the target's bloc
    else:
        strongest = _strongest(world.nations).id
        members = list(a if strongest in a else b)
    if len(members) < 2:
        return [], []
    org = _organization(
        "Collective defense organization",
        "collective_defense",
        members,
        [m for m in _majors(world) if m in members] if veto else [],
        response,
    )
    return [], [org]


def _hub(world: World, *, reliability: float | None, hegemon: str | None, **_: Any) -> _Structure:
    hub = hegemon if hegemon is not None else _strongest(world.nations).id
    others = [n.id for n in _by_power(world.nations) if n.id != hub]
    treaty = _treaty(
        f"{hub} hub guarantee", "defense", reliability, guarantors=[hub], protected=others
    )
    return [treaty], []


def _random(
    world: World, *, reliability: float | None, seed: int, density: float, **_: Any
) -> _Structure:
    import numpy as np  # here, not at the top: loading worlds needs no numpy

    ids = sorted(world.ids)
    pairs = [(x, y) for i, x in enumerate(ids) for y in ids[i + 1 :]]
    u = np.random.default_rng(seed).random(len(pairs))
    alliances = [
        _treaty(f"Defense pact {x}-{y}", "defense", reliability, members=[x, y])
        for (x, y), ui in zip(pairs, u, strict=True)
        if ui < density
    ]
    return alliances, []


#: The builder of each structure kind.
_BUILDERS: dict[str, Callable[..., _Structure]] = {
    "none": _none,
    "bipolar": _bipolar,
    "collective-security": _collective_security,
    "collective-defense": _collective_defense,
    "hub": _hub,
    "random": _random,
}


def _description(kind: str, world: World, *, seed: int, density: float, veto: bool) -> str:
    what = {
        "none": "no alliances (baseline)",
        "bipolar": "two power-balanced defense blocs",
        "collective-security": "one collective-security organization of all nations",
        "collective-defense": "one collective-defense organization facing outsiders",
        "hub": "a hegemon guaranteeing every other nation",
        "random": f"random bilateral defense pacts (density {density:g}, generation seed {seed})",
    }[kind]
    if veto and kind in ("collective-security", "collective-defense"):
        what += ", major powers hold a veto"
    return f"Generated structure over the nations of {world.name}: {what}"


def generated_header(kind: str, world: World, **options: Any) -> str:
    """A comment header for :func:`~escalate.model.dump.dump_world`: how a world was generated.

    Parameters
    ----------
    kind
        The structure kind.
    world
        The world whose nations were used.
    **options
        The options passed to :func:`generate` (``None`` values are left out).

    Examples
    --------
    >>> from escalate.model.load import world_from_dict
    >>> w = world_from_dict({"name": "w", "incident": {"initiator": "A", "target": "B"},
    ...     "nations": [{"id": "A", "power": 1.0}, {"id": "B", "power": 1.0}]})
    >>> print(generated_header("random", w, seed=3, density=0.2))
    Generated: escalate generate random --nations <dict> --seed 3 --density 0.2
    Nations, powers, incident and dynamics of world 'w'; alliances, organizations
    and plans replaced by the generated structure.
    """
    flags = []
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        flags.append(flag if value is True else f"{flag} {value}")
    cmd = " ".join(["escalate generate", kind, "--nations", world.source, *flags])
    return (
        f"Generated: {cmd}\n"
        f"Nations, powers, incident and dynamics of world {world.name!r}; alliances, "
        "organizations\nand plans replaced by the generated structure."
    )
