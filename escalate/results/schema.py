"""The one column schema of the results: name, Arrow type, kernel dtype, meaning.

The kernel's dtypes are the engine's (:mod:`escalate.engine.outputs`, which owns the
output buffers); these two tables add the Arrow types and the meanings, and
everything else derives from them: the kernel's preallocated output arrays
(:func:`escalate.results.arrow.allocate_outputs`), the Arrow schemas of the Parquet
parts, the columns checked by the analysis, the column table of docs/outputs.md
(:func:`markdown_table`) and the tests.

Examples
--------
>>> from escalate.results.schema import CASCADE_COLUMNS, CASCADE_SCHEMA
>>> [c.name for c in CASCADE_COLUMNS[:4]]
['replicate', 'initiator', 'target', 'deterred']
>>> CASCADE_SCHEMA.field("belligerents").type
DataType(int16)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..engine.outputs import CASCADE_DTYPES, PARTICIPANT_DTYPES

__all__ = [
    "CASCADE_COLUMNS",
    "CASCADE_SCHEMA",
    "PARTICIPANT_COLUMNS",
    "PARTICIPANT_SCHEMA",
    "SCHEMAS",
    "Column",
    "categorical_columns",
    "kernel_dtypes",
    "markdown_table",
    "schema_problem",
]


@dataclass(frozen=True)
class Column:
    """One result column.

    ``kernel`` is the dtype of the array the kernel fills (``None`` for a column
    made after the kernel, such as ``replicate``); ids and labels are integer
    codes in the kernel and dictionary arrays in Arrow. ``categorical`` columns
    (every id and label) are read back as pandas categoricals.
    """

    name: str
    arrow: pa.DataType
    kernel: type | None
    description: str
    categorical: bool = False


def _column(kernel: dict[str, np.dtype], name: str, arrow: pa.DataType, description: str,
            categorical: bool = False) -> Column:  # fmt: skip
    """A column whose kernel dtype is the engine's (``None``: not filled by the kernel)."""
    dt = kernel.get(name)
    return Column(name, arrow, None if dt is None else dt.type, description, categorical)


def _c(name: str, arrow: pa.DataType, description: str, categorical: bool = False) -> Column:
    return _column(CASCADE_DTYPES, name, arrow, description, categorical)


def _p(name: str, arrow: pa.DataType, description: str, categorical: bool = False) -> Column:
    return _column(PARTICIPANT_DTYPES, name, arrow, description, categorical)


#: Ids and labels (nation ids, sides, how a nation entered, treaty and organization
#: names) repeat on every row and may be long: they are dictionary arrays built from
#: the kernel's integer codes, from the kernel to the Parquet file and back.
_DICT = pa.dictionary(pa.int32(), pa.string())

CASCADE_COLUMNS: tuple[Column, ...] = (
    _c("replicate", pa.int64(),
       "replicate index; the same index means the same random numbers"),
    _c("initiator", _DICT, "nation id of the incident's initiator", True),
    _c("target", _DICT, "nation id of the incident's target", True),
    _c("deterred", pa.bool_(), "the initiator backed down (no war)"),
    _c("belligerents", pa.int16(), "nations at war"),
    _c("side_a", pa.int16(), "nations at war on the initiator's side (A)"),
    _c("side_d", pa.int16(), "nations at war on the target's side (D)"),
    _c("majors", pa.int16(), "major powers at war"),
    _c("rounds", pa.int16(),
       "last round in which a nation entered (0: the war stayed bilateral)"),
    _c("broken_promises", pa.int32(), "triggered obligations not honoured"),
    _c("conflicted", pa.int32(),
       "triggered obligations whose obligor was already at war against its protege"),
    _c("sanctions", pa.int32(), "organization members answering with sanctions"),
    _c("diplomacy", pa.int32(), "organization members answering with diplomacy"),
    _c("settled", pa.bool_(),
       "the dispute was settled by arbitration before the war"),
    _c("power_share", pa.float64(),
       "power at war / total power of the nations in the world file"),
    _c("vetoed", pa.bool_(), "an organization was blocked by a veto"),
    _c("winner", _DICT, "`A`, `D`, or null when deterred", True),
    _c("world_war", pa.bool_(), "majors >= `world_war_majors`"),
    _c("unaligned", pa.int16(),
       "nations that joined without an obligation (model version 3)"),
)  # fmt: skip

PARTICIPANT_COLUMNS: tuple[Column, ...] = (
    _p("replicate", pa.int64(), "replicate index"),
    _p("nation", _DICT, "nation id of the belligerent", True),
    _p("side", _DICT, "`A` or `D`", True),
    _p("round", pa.int16(), "round of entry (0: initiator and target)"),
    _p("via", _DICT,
       "how it entered: initial, defense, offense, entente, plan, organization, unaligned",
       True),
    _p("source", _DICT,
       "the treaty or organization that brought it in, or the planner for plan victims",
       True),
)  # fmt: skip

# every buffer the kernel fills is a column of the results, in the kernel's order
assert [c.name for c in CASCADE_COLUMNS if c.kernel is not None] == list(CASCADE_DTYPES)
assert [c.name for c in PARTICIPANT_COLUMNS if c.kernel is not None] == list(PARTICIPANT_DTYPES)

CASCADE_SCHEMA = pa.schema([(c.name, c.arrow) for c in CASCADE_COLUMNS])
PARTICIPANT_SCHEMA = pa.schema([(c.name, c.arrow) for c in PARTICIPANT_COLUMNS])
#: The Arrow schema of each table of a run.
SCHEMAS = {"cascades": CASCADE_SCHEMA, "participants": PARTICIPANT_SCHEMA}


def schema_problem(table: pa.Table, kind: str) -> str | None:
    """What is wrong with the columns of a part read back (None: nothing).

    Every column must be one of the ``kind`` table's (``"cascades"`` or
    ``"participants"``) with its type; ids and labels may be plain strings (parts
    of earlier versions).

    Examples
    --------
    >>> schema_problem(pa.table({"round": pa.array([1], pa.int16())}), "participants")
    >>> schema_problem(pa.table({"round": [1.5]}), "participants")
    "column 'round' is double, not int16"
    """
    want = SCHEMAS[kind]
    for name, col in zip(table.column_names, table.columns, strict=True):
        if name not in want.names:
            return f"unknown column {name!r}"
        expected = want.field(name).type
        if col.type != expected and not (
            pa.types.is_dictionary(expected) and pa.types.is_string(col.type)
        ):
            return f"column {name!r} is {col.type}, not {expected}"
    return None


def categorical_columns(columns: tuple[Column, ...]) -> tuple[str, ...]:
    """The names of the columns read back as categoricals (Arrow dictionaries)."""
    return tuple(c.name for c in columns if c.categorical)


def kernel_dtypes(columns: tuple[Column, ...]) -> dict[str, type]:
    """``{name: dtype}`` of the arrays the kernel fills, in the kernel's order.

    Examples
    --------
    >>> list(kernel_dtypes(PARTICIPANT_COLUMNS))
    ['nation', 'side', 'round', 'via', 'source']
    """
    return {c.name: c.kernel for c in columns if c.kernel is not None}


def markdown_table(columns: tuple[Column, ...]) -> str:
    """The columns as a Markdown table (docs/outputs.md's is checked against it).

    Examples
    --------
    >>> print(markdown_table(PARTICIPANT_COLUMNS[:2]))
    | column | type | meaning |
    |---|---|---|
    | `replicate` | int64 | replicate index |
    | `nation` | category | nation id of the belligerent |
    """
    rows = ["| column | type | meaning |", "|---|---|---|"]
    for c in columns:
        kind = "category" if pa.types.is_dictionary(c.arrow) else str(c.arrow)
        rows.append(f"| `{c.name}` | {kind} | {c.description} |")
    return "\n".join(rows)
