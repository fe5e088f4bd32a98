"""Parameter sweeps: a grid of variants of one world, run as one dataset.

A *setting* is a key (a dotted path into :meth:`World.to_dict
<escalate.model.entities.World.to_dict>`) and the values it takes, written
``KEY=START:STOP:STEPS`` (``STEPS`` evenly spaced points, both ends included)
or ``KEY=V1,V2,...`` (an explicit list). :func:`sweep_worlds` builds every
combination of the settings (their cartesian product) as its own validated
world.

Keys
----
``dynamics.<name>``
    ``max_rounds``, ``world_war_majors`` (integers), ``deterrence``,
    ``contest_exponent``, ``sanction_effect``.
``dynamics.reliability.<kind>``
    The per-kind default reliability: ``defense``, ``offense``, ``entente``,
    ``neutrality``. Under model 3 sweeping it fixes the kind's reliability in every
    variant (``[dynamics.honour]`` no longer decides it).
``dynamics.honour.<covariate>``, ``dynamics.honour.intercept.<kind>``, ``dynamics.unaligned.<term>``
    A coefficient of honour or of unaligned entry (model 3).
``alliances[<treaty name>].reliability``
    One treaty's reliability (set even where the treaty uses the default).
``organizations[<name>].response.<level>``
    ``diplomacy``, ``sanctions`` or ``military``.
``plans[<name or index>].probability``
    A war plan, by its ``name`` (or its key ``NATION|TRIGGERS|ATTACKS`` when it
    has none) or its position (0-based) in the world file.
``nations[<id>].power``
    One nation's power.

Integer keys stay integers (a grid value that is not a whole number is an
error). Bracketed selectors may contain spaces, dots and parentheses; quote the
whole setting on the command line.

Naming
------
Each variant is named ``<world>.<label>-<value>[.<label>-<value>...]`` in the
order of the settings, e.g. ``europe_1914.defense-0.50.deterrence-0.10``. The
label is the last part of the key (``defense``, ``deterrence``,
``max_rounds``), prefixed by the selected treaty, organization, plan or nation
for keys that select one (``Dual_Alliance_1879_reliability``,
``League_of_Nations_military``, ``plan0_probability``, ``GMY_power``), with
every run of characters other than letters, digits and ``_`` replaced by
``_``. Where two settings would get the same label, the full key is used
instead. Integers are written as they are; the other values of one setting are
written with the same number of decimals (at least two, as many as needed to
tell them apart), so names sort in grid order. The names match the world-name
pattern (they become ``structure=<name>`` directories) and are unique;
:func:`variant_table` maps them back to the values.

Pairing
-------
Treaty, organization, plan and nation names are the same in every variant, so
the random draw for each decision is the same in every variant for a given
replicate (common random numbers): the variants are paired by replicate.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import math
import re
from dataclasses import dataclass
from typing import Any

from .defaults import DYNAMICS
from .entities import World, WorldError
from .load import world_from_dict
from .schema import ALLIANCE_KINDS, LADDER
from .sweep_settings import MAX_VARIANTS, Setting, parse_setting, split_key

__all__ = [
    "Setting",
    "parse_setting",
    "sweep_worlds",
    "sweepable_keys",
    "variant_table",
]


#: List sections of a world and the field their selector matches.
_SECTIONS = {"alliances": "name", "organizations": "name", "plans": "name", "nations": "id"}
#: Keys that may be absent from ``World.to_dict()`` but can still be set.
_OPTIONAL = {"alliances": ("reliability",)}
#: Model 3 writes only the reliabilities a world fixes; sweeping one fixes it in every variant.
_OPTIONAL_DYNAMICS = {
    "dynamics.reliability",
    *(f"dynamics.reliability.{k}" for k in ALLIANCE_KINDS),
}


# --------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class _Target:
    """Where a key points in ``World.to_dict()``."""

    parents: tuple[Any, ...]  # path of dict keys / list indices down to the leaf's dict
    leaf: str
    path: str  # the same place written as the validator writes it, e.g. alliances[3].reliability
    integer: bool
    label: str


def _sanitize(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "x"


def sweepable_keys(world: World) -> list[str]:
    """Every key of ``world`` that :func:`sweep_worlds` can vary.

    Examples
    --------
    >>> from escalate.model.load import world_from_dict
    >>> w = world_from_dict({"name": "w", "incident": {"initiator": "A", "target": "B"},
    ...     "nations": [{"id": "A", "power": 1.0}, {"id": "B", "power": 1.0}]})
    >>> sweepable_keys(w)[:2]
    ['dynamics.max_rounds', 'dynamics.world_war_majors']
    """
    d = world.to_dict()
    # every number of the defaults table, whether the world writes it or not (model 3
    # writes only the reliabilities it fixes)
    keys = [f"dynamics.{p.key}" for p in DYNAMICS]
    keys += [f"alliances[{a['name']}].reliability" for a in d["alliances"]]
    keys += [
        f"organizations[{o['name']}].response.{lvl}"
        for o in d["organizations"]
        for lvl in LADDER[1:]
    ]
    keys += [f"plans[{_plan_name(world, i)}].probability" for i in range(len(d["plans"]))]
    keys += [f"nations[{n['id']}].power" for n in d["nations"]]
    return keys


def _plan_name(world: World, i: int) -> str:
    return world.plans[i].name or str(i)


def _unknown(world: World, key: str, problem: str) -> WorldError:
    near = difflib.get_close_matches(key, sweepable_keys(world), n=1, cutoff=0.6)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    return WorldError(world.source, key, problem + hint)


def _select(world: World, section: str, items: list[dict], selector: str, key: str) -> int:
    field = _SECTIONS[section]
    for i, item in enumerate(items):
        if item.get(field) == selector:
            return i
    if section == "plans":
        for i, plan in enumerate(world.plans):
            if plan.key == selector:
                return i
    if selector.isdigit() and int(selector) < len(items):
        return int(selector)
    names = [str(item.get(field)) for item in items if item.get(field) is not None]
    what = "nation id" if section == "nations" else f"{section[:-1]} name"
    near = [x for x in names if x.lower() == selector.lower()] or difflib.get_close_matches(
        selector, names, n=1, cutoff=0.5
    )
    if near:
        fixed = key.replace(f"[{selector}]", f"[{near[0]}]", 1)
        return_hint = f"; did you mean {fixed!r}?"
    elif not items:
        return_hint = f"; the world has no {section}"
    elif section == "plans":
        return_hint = f"; use a plan name or an index below {len(items)}"
    else:
        return_hint = ""
    raise WorldError(world.source, key, f"no {what} {selector!r}{return_hint}")


def _resolve(world: World, d: dict, key: str) -> _Target:
    """Find where ``key`` points in ``d = world.to_dict()``."""
    segments = split_key(key)
    cur: Any = d
    parents: list[Any] = []
    path: list[str] = []
    label_prefix = ""
    section = None
    for n, (name, selector) in enumerate(segments):
        last = n == len(segments) - 1
        optional = (section is not None and name in _OPTIONAL.get(section, ())) or (
            ".".join([*path, name]) in _OPTIONAL_DYNAMICS
        )
        if not isinstance(cur, dict) or (name not in cur and not optional):
            where = ".".join(path) or "the world"
            raise _unknown(world, key, f"{where} has no key {name!r}")
        if selector is None:
            if last:
                value = cur.get(name, 0.0)  # an absent optional key is a reliability
                if isinstance(value, dict):
                    inside = [k for k in sweepable_keys(world) if k.startswith(key + ".")]
                    raise WorldError(
                        world.source,
                        key,
                        "is a table, not a number; vary one of its keys"
                        + (f", e.g. {inside[0]!r}" if inside else ""),
                    )
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise _unknown(
                        world, key, f"is not a number ({value!r}); only numbers can be swept"
                    )
                path.append(name)
                label = f"{_sanitize(label_prefix)}_{name}" if label_prefix else name
                return _Target(
                    parents=tuple(parents),
                    leaf=name,
                    path=".".join(path),
                    integer=isinstance(value, int),
                    label=_sanitize(label),
                )
            parents.append(name)
            path.append(name)
            cur = cur.get(name, {})
            continue
        if name not in _SECTIONS or not isinstance(cur.get(name), list):
            raise _unknown(world, key, f"{name!r} cannot be indexed with [{selector}]")
        if last:
            raise _unknown(world, key, f"selects a whole {name[:-1]}; add the value to vary")
        items = cur[name]
        i = _select(world, name, items, selector, key)
        parents += [name, i]
        path.append(f"{name}[{i}]")
        section = name
        label_prefix = f"plan{i}" if name == "plans" and selector.isdigit() else selector
        cur = items[i]
    raise _unknown(world, key, "does not end with a value")  # pragma: no cover


def _set(d: dict, target: _Target, value: int | float) -> None:
    cur: Any = d
    for p in target.parents:
        cur = cur[p] if isinstance(p, int) else cur.setdefault(p, {})
    cur[target.leaf] = value


def _get(d: dict, target: _Target) -> Any:
    cur: Any = d
    for p in target.parents:
        cur = cur[p] if isinstance(p, int) else cur.get(p, {})
    return cur.get(target.leaf)


# --------------------------------------------------------------------------- grid


def _coerce(world: World, setting: Setting, target: _Target) -> tuple[int | float, ...]:
    out: list[int | float] = []
    for v in setting.values:
        if target.integer:
            if isinstance(v, float) and not v.is_integer():
                raise WorldError(
                    world.source,
                    setting.key,
                    f"must be an integer, got {v:g} (from {setting.text or setting.key!r})",
                )
            out.append(int(v))
        else:
            out.append(float(v))
    return tuple(out)


def _format_values(values: tuple[int | float, ...]) -> list[str]:
    """Readable, distinct, equally precise text for the values of one setting."""
    if all(isinstance(v, int) for v in values):
        return [str(v) for v in values]
    for decimals in range(2, 13):
        texts = [f"{v:.{decimals}f}" for v in values]
        if all(float(t) == v for t, v in zip(texts, values, strict=True)) or (
            decimals == 12 and len(set(texts)) == len(texts)
        ):
            return texts
    return [repr(float(v)).replace("+", "") for v in values]


def _labels(world: World, targets: list[_Target], settings: list[Setting]) -> list[str]:
    paths = [t.path for t in targets]
    for i, t in enumerate(targets):
        if paths.count(t.path) > 1:
            raise WorldError(world.source, settings[i].key, "is swept twice; give each key once")
    short = [t.label for t in targets]
    labels = [
        lab if short.count(lab) == 1 else _sanitize(s.key)
        for lab, s in zip(short, settings, strict=True)
    ]
    if len(set(labels)) < len(labels):  # pragma: no cover - distinct keys, distinct labels
        raise WorldError(world.source, ", ".join(s.key for s in settings), "labels collide")
    return labels


def sweep_worlds(world: World, settings: list[Setting]) -> list[World]:
    """Every combination of ``settings`` applied to ``world``, each a validated world.

    Parameters
    ----------
    world
        The base world.
    settings
        The swept parameters (:func:`parse_setting`). The grid is their
        cartesian product, the first setting varying slowest.

    Returns
    -------
    list of World
        One world per grid point, named ``<world>.<label>-<value>...`` (see the
        module docstring), with the base world's description followed by the
        values, and the base world's source. Nothing else changes: treaty and
        nation names are kept, so the variants are paired by replicate.

    Raises
    ------
    WorldError
        For an unknown key (with a did-you-mean), a non-numeric or
        non-integer value for an integer key, a key given twice, or a value
        the world's validation rejects (out of range; the message names the
        swept key and the bad value).

    Examples
    --------
    >>> from escalate.model.load import world_from_dict
    >>> w = world_from_dict({"name": "w", "incident": {"initiator": "A", "target": "B"},
    ...     "nations": [{"id": "A", "power": 1.0}, {"id": "B", "power": 1.0}]})
    >>> [v.name for v in sweep_worlds(w, [parse_setting("dynamics.deterrence=0,0.5")])]
    ['w.deterrence-0.00', 'w.deterrence-0.50']
    """
    if not settings:
        return [world]
    count = math.prod(len(s.values) for s in settings)
    if count > MAX_VARIANTS:
        raise ValueError(
            f"--set: {' x '.join(str(len(s.values)) for s in settings)} = {count:,} variants, "
            f"more than a sweep's {MAX_VARIANTS:,}"
        )
    base = world.to_dict()
    targets = [_resolve(world, base, s.key) for s in settings]
    labels = _labels(world, targets, settings)
    grids = [_coerce(world, s, t) for s, t in zip(settings, targets, strict=True)]
    texts = [dict(zip(g, _format_values(g), strict=True)) for g in grids]
    out = []
    for combo in itertools.product(*grids):
        d = copy.deepcopy(base)
        parts = []
        for t, v in zip(targets, combo, strict=True):
            _set(d, t, v)
        for lab, txt, v in zip(labels, texts, combo, strict=True):
            parts.append(f"{lab}-{txt[v]}")
        d["name"] = ".".join([world.name, *parts])
        values = ", ".join(f"{s.key}={v}" for s, v in zip(settings, combo, strict=True))
        d["description"] = (
            f"{world.description} [sweep: {values}]" if world.description else f"sweep: {values}"
        )
        try:
            out.append(world_from_dict(d, source=world.source))
        except WorldError as e:
            raise _blame(world, settings, targets, combo, e) from None
    return out


def _blame(
    world: World,
    settings: list[Setting],
    targets: list[_Target],
    combo: tuple[int | float, ...],
    error: WorldError,
) -> WorldError:
    """Re-issue a validation error under the swept key that caused it."""
    where = [e.index_path for e in error.errors]
    hits = [
        i
        for i, t in enumerate(targets)
        if any(t.path == w or t.path.startswith(w + ".") for w in where)
    ] or list(range(len(targets)))
    keys = ", ".join(settings[i].key for i in hits)
    values = ", ".join(f"{combo[i]:g}" for i in hits)
    problems = "; ".join(e.problem for e in error.errors)
    return WorldError(world.source, keys, f"swept value {values} is invalid: {problems}")


def variant_table(worlds: list[World], settings: list[Setting]) -> list[dict[str, Any]]:
    """The swept values of each variant, to join with results on ``structure``.

    Parameters
    ----------
    worlds
        Variants, as returned by :func:`sweep_worlds` (any worlds that have the
        keys will do: the values are read from the worlds themselves).
    settings
        The settings of the sweep.

    Returns
    -------
    list of dict
        One row per world: ``structure`` (the world's name), then one item per
        setting, keyed by the setting's key, holding the world's value (an int
        for integer keys, else a float). ``pandas.DataFrame(rows)`` makes it a
        table; ``escalate sweep`` writes it to ``DIR/variants.csv``.
    """
    rows = []
    for w in worlds:
        d = w.to_dict()
        row: dict[str, Any] = {"structure": w.name}
        for s in settings:
            t = _resolve(w, d, s.key)
            v = _get(d, t)
            if v is None and t.parents[0] == "dynamics":  # a kind model 3 leaves to honour
                v = w.dynamics.default_reliability(t.leaf)
            elif v is None:  # a treaty without its own reliability: the default applies
                alliance = w.alliances[t.parents[1]]
                v = w.reliability(alliance)
            row[s.key] = v
        rows.append(row)
    return rows
