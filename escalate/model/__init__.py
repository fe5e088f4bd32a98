"""The world as data: world files, their validation, defaults, sweeps and generators.

Standard library only: importing :mod:`escalate.model` (or any of its modules)
imports neither numpy, pandas, pyarrow nor numba (``tests/test_model_layout.py``
checks it); :func:`escalate.model.generate.generate` imports numpy when it draws a
random structure.

Modules, one job each: :mod:`~escalate.model.schema` (keys, kinds, bounds),
:mod:`~escalate.model.defaults` (the one table of ``[dynamics]`` defaults),
:mod:`~escalate.model.entities` (the dataclasses), :mod:`~escalate.model.load`
(files and bundled names to worlds), :mod:`~escalate.model.checks` and
:mod:`~escalate.model.validate` (the validator), :mod:`~escalate.model.dump`
(plain data, TOML, canonical hash), :mod:`~escalate.model.summary` (``escalate
check``), :mod:`~escalate.model.bundled` (the bundled worlds),
:mod:`~escalate.model.sweep` and :mod:`~escalate.model.generate` (not re-exported
here, so that ``escalate.model.generate`` stays the module).

Examples
--------
A world from plain data (what a world file holds), validated and immutable:

>>> from escalate.model import load_world, world_from_dict
>>> world = world_from_dict({
...     "name": "pair",
...     "incident": {"initiator": "A", "target": "B"},
...     "nations": [{"id": "A", "power": 1.0}, {"id": "B", "power": 2.0}],
...     "alliances": [{"name": "pact", "kind": "defense", "members": ["A", "B"]}],
... })
>>> world.ids
('A', 'B')
>>> world.alliances[0].pairs
(('A', 'B'), ('B', 'A'))
>>> world.dynamics.max_rounds
32

A bundled world loads by name, from any directory:

>>> load_world("teaching").ids
('AUR', 'BOR', 'CAL', 'DUN', 'EST', 'FEN', 'GAL')
"""

from __future__ import annotations

from .bundled import bundled_names
from .defaults import DEFAULT_DYNAMICS, DYNAMICS, Default
from .dump import dump_world
from .entities import Alliance, Dynamics, Incident, Nation, Organization, Plan, World, WorldError
from .load import load_world, world_from_dict
from .sweep import Setting, parse_setting, sweep_worlds, variant_table

__all__ = [
    "DEFAULT_DYNAMICS",
    "DYNAMICS",
    "Alliance",
    "Default",
    "Dynamics",
    "Incident",
    "Nation",
    "Organization",
    "Plan",
    "Setting",
    "World",
    "WorldError",
    "bundled_names",
    "dump_world",
    "load_world",
    "parse_setting",
    "sweep_worlds",
    "variant_table",
    "world_from_dict",
]
