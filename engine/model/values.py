"""Plain values: dotted keys nested, and values made fit to travel as JSON in a message or a file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.model.serde import format_instant, parse_instant


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """`{"a.b": 1}` → `{"a": {"b": 1}}` (dotted input ids and label keys nest)."""
    result: dict[str, Any] = {}
    for key, value in flat.items():
        node = result
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return result


def to_json_value(value: Any) -> Any:
    """Materialise lazy views and dates so a context can travel in a message."""
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if hasattr(value, "isoformat") and hasattr(value, "tzinfo"):
        return {"$date": format_instant(value)}
    return value


def from_json_value(value: Any) -> Any:
    """Inverse of `to_json_value`."""
    if isinstance(value, dict):
        if len(value) == 1 and "$date" in value:
            return parse_instant(value["$date"])
        return {k: from_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json_value(v) for v in value]
    return value
