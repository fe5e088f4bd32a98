"""An imported world as TOML text, every choice written as a comment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tomli_w

from .entries import Entry

__all__ = ["render"]


def _lines(lines: Sequence[str]) -> str:
    return "".join(f"# {line}\n" if line else "#\n" for line in lines)


def _rule(title: str) -> str:
    return f"\n# {'-' * (76 - len(title))} {title}\n"


def _value(v: Any) -> str:
    """One TOML value; a table is written inline (it sits inside an array of tables)."""
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return tomli_w.dumps({"x": v}).strip()[4:]


def _table(key: str, data: dict[str, Any], id_comment: str = "") -> str:
    """``[[key]]`` and its key = value lines (a comment may follow ``id``)."""
    lines = [f"[[{key}]]"]
    for k, v in data.items():
        lines.append(
            f"{k} = {_value(v)}" + (f"  # {id_comment}" if k == "id" and id_comment else "")
        )
    return "\n".join(lines) + "\n"


def _array_entry(key: str, data: dict[str, Any], comment: Sequence[str]) -> str:
    return "\n" + _lines(comment) + _table(key, data)


def render(
    *,
    name: str,
    description: str,
    dynamics: dict[str, Any],
    incident: dict[str, Any],
    nations: list[dict[str, Any]],
    alliances: list[Entry],
    organizations: list[Entry],
    plans: list[Entry],
    header: list[str],
    left_out: list[list[str]],
) -> str:
    """The world file: header, top keys, then nations, alliances, organizations, plans."""
    out = [_lines(header), "\n", tomli_w.dumps({"name": name, "description": description})]
    if dynamics:
        out.append("\n" + tomli_w.dumps({"dynamics": dynamics}))
    out.append("\n[incident]\n" + "".join(f"{k} = {_value(v)}\n" for k, v in incident.items()))
    out.append(_rule("nations"))
    for row in nations:
        data = {k: v for k, v in row.items() if not k.startswith("_") and k != "region"}
        if row.get("region") is not None:
            data["region"] = row["region"]
        code = row.get("_ccode")
        text = _table("nations", data, f"ccode {code}" if code is not None else "")
        out.append("\n" + _lines(row.get("_notes", [])) + text)
    sections = (("alliances", alliances), ("organizations", organizations), ("plans", plans))
    for key, entries in sections:
        if entries:
            out.append(_rule(key))
            out += [_array_entry(key, e.data, e.comment) for e in entries]
        if key == "alliances" and left_out:
            out.append(_rule("treaties in force but not written"))
            out += ["\n" + _lines(lines) for lines in left_out]
    return "".join(out)
