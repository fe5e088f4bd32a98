"""The one column schema of the results: name, Arrow type, kernel dtype, meaning.

Everything else derives from these two tables: the kernel's preallocated output
arrays (:func:`escalate.results.arrow.allocate_outputs`), the Arrow schemas of the
Parquet parts, the columns checked by the analysis, the column table of docs/outputs.md
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


#: Ids and labels (nation ids, sides, how a nation entered, treaty and organization
#: names) repeat on every row and may be long: they are dictionary arrays built from
#: the kernel's integer codes, from the kernel to the Parquet file and back.
_DICT = pa.dictionary(pa.int32(), pa.string())

CASCADE_COLUMNS: tuple[Column, ...] = (
    Column("replicate", pa.int64(), None,
           "replicate index; the same index means the same random numbers"),
    Column("initiator", _DICT, np.int32, "nation id of the incident's initiator", True),
    Column("target", _DICT, np.int32, "nation id of the incident's target", True),
    Column("deterred", pa.bool_(), np.bool_, "the initiator backed down (no war)"),
    Column("belligerents", pa.int16(), np.int16, "nations at war"),
    Column("side_a", pa.int16(), np.int16, "nations at war on the initiator's side (A)"),
    Column("side_d", pa.int16(), np.int16, "nations at war on the target's side (D)"),
    Column("majors", pa.int16(), np.int16, "major powers at war"),
    Column("rounds", pa.int16(), np.int16,
           "last round in which a nation entered (0: the war stayed bilateral)"),
    Column("broken_promises", pa.int32(), np.int32, "triggered obligations not honoured"),
    Column("conflicted", pa.int32(), np.int32,
           "triggered obligations whose obligor was already at war against its protege"),
    Column("sanctions", pa.int32(), np.int32, "organization members answering with sanctions"),
    Column("diplomacy", pa.int32(), np.int32, "organization members answering with diplomacy"),
    Column("settled", pa.bool_(), np.bool_,
           "the dispute was settled by arbitration before the war"),
    Column("power_share", pa.float64(), np.float64,
           "power at war / total power of the nations in the world file"),
    Column("vetoed", pa.bool_(), np.bool_, "an organization was blocked by a veto"),
    Column("winner", _DICT, np.int8, "`A`, `D`, or null when deterred", True),
    Column("world_war", pa.bool_(), np.bool_, "majors >= `world_war_majors`"),
    Column("unaligned", pa.int16(), np.int16,
           "nations that joined without an obligation (model version 3)"),
)  # fmt: skip

PARTICIPANT_COLUMNS: tuple[Column, ...] = (
    Column("replicate", pa.int64(), None, "replicate index"),
    Column("nation", _DICT, np.int32, "nation id of the belligerent", True),
    Column("side", _DICT, np.int8, "`A` or `D`", True),
    Column("round", pa.int16(), np.int16, "round of entry (0: initiator and target)"),
    Column("via", _DICT, np.int8,
           "how it entered: initial, defense, offense, entente, plan, organization, unaligned",
           True),
    Column("source", _DICT, np.int32,
           "the treaty or organization that brought it in, or the planner for plan victims",
           True),
)  # fmt: skip

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
