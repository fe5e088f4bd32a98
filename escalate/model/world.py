"""Worlds: load and validate world files (TOML) into a typed, immutable :class:`World`.

This module gathered the public names of a world before the model was split; it is
going away before 1.0. Import each name from the module that defines it, or from
:mod:`escalate.model` (the engine's last imports of it move next: pyproject.toml's
import contracts forbid any other). The modules, one job each:

- :mod:`~escalate.model.schema`: the keys, kinds and bounds of a world file;
- :mod:`~escalate.model.defaults`: the one table of ``[dynamics]`` defaults
  (value, range, meaning, source);
- :mod:`~escalate.model.entities`: the dataclasses and :class:`WorldError`;
- :mod:`~escalate.model.load`: :func:`load_world` (files and bundled names),
  :func:`world_from_dict`, TOML error hints;
- :mod:`~escalate.model.checks`, :mod:`~escalate.model.validate`: the validator;
- :mod:`~escalate.model.dump`: ``to_dict``, :func:`dump_world`, the canonical hash;
- :mod:`~escalate.model.summary`: the summary of ``escalate check``;
- :mod:`~escalate.model.bundled`: the bundled worlds (``configs/*.toml``).

The schema is strict: unknown keys, unknown or duplicate ids, wrong types and
out-of-range values raise :class:`WorldError`, whose message names the file, the
key path and the bad value (with a did-you-mean suggestion for ids and keys).
Nothing runs on an invalid world.

Counts are bounded so that every result fits its fixed-width column
(:data:`MAX_NATIONS`, :data:`MAX_OBLIGATIONS`, :data:`MAX_ORGANIZATIONS`,
:data:`MAX_PLANS`, :data:`MAX_ROUNDS`), and a world name must make a safe results
directory ``structure=<name>`` that Parquet readers read back as the same string
(at most :data:`MAX_NAME_LENGTH` ASCII letters, digits, ``_``, ``.`` and ``-``,
starting with a letter or digit, and not a number such as ``1914``).
"""

from __future__ import annotations

from .bundled import bundled_names
from .defaults import DEFAULT_DYNAMICS, DYNAMICS
from .dump import dump_world
from .entities import Alliance, Dynamics, Incident, Nation, Organization, Plan, World, WorldError
from .load import load_world, world_from_dict
from .schema import (
    ALLIANCE_KINDS,
    LADDER,
    MAX_CONTEST_EXPONENT,
    MAX_NAME_LENGTH,
    MAX_NATIONS,
    MAX_OBLIGATIONS,
    MAX_ORGANIZATIONS,
    MAX_PLANS,
    MAX_ROUNDS,
    ORGANIZATION_KINDS,
    TOP_KEYS,
)

__all__ = [
    "ALLIANCE_KINDS",
    "DEFAULT_DYNAMICS",
    "DYNAMICS",
    "LADDER",
    "MAX_CONTEST_EXPONENT",
    "MAX_NAME_LENGTH",
    "MAX_NATIONS",
    "MAX_OBLIGATIONS",
    "MAX_ORGANIZATIONS",
    "MAX_PLANS",
    "MAX_ROUNDS",
    "ORGANIZATION_KINDS",
    "TOP_KEYS",
    "Alliance",
    "Dynamics",
    "Incident",
    "Nation",
    "Organization",
    "Plan",
    "World",
    "WorldError",
    "bundled_names",
    "dump_world",
    "load_world",
    "world_from_dict",
]
