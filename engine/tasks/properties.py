"""Typed dynamic properties rendered the way Kestra 1.x renders `Property<Map>`, `Property<List>` and
`Property<Boolean>`.

A map or list written in YAML is rendered element by element. A string that is one `{{ }}` expression is
rendered, then read as JSON, so it can hand over a whole map or list; any other string is read as JSON
first and then rendered element by element.
"""

from __future__ import annotations

import json
from typing import Any

from engine.expressions import to_pebble_string
from engine.task_api import RunContext, TaskFailedError


def render_map(ctx: RunContext, value: str | dict[str, Any], prop: str) -> dict[str, Any]:
    rendered = _render_collection(ctx, value, prop)
    if not isinstance(rendered, dict):
        raise TaskFailedError(f"Property '{prop}' must be a map, got '{to_pebble_string(rendered)}'")
    return rendered


def render_list(ctx: RunContext, value: str | list[Any], prop: str) -> list[Any]:
    rendered = _render_collection(ctx, value, prop)
    if not isinstance(rendered, list):
        raise TaskFailedError(f"Property '{prop}' must be a list, got '{to_pebble_string(rendered)}'")
    return rendered


def render_bool(ctx: RunContext, value: bool | str, prop: str) -> bool:
    if isinstance(value, bool):
        return value
    text = ctx.render(value, prop).strip()
    if text.lower() not in ("true", "false"):
        raise TaskFailedError(
            f"Invalid value '{text}' for property '{prop}': only \"true\" or \"false\" recognized"
        )
    return text.lower() == "true"


def _render_collection(ctx: RunContext, value: Any, prop: str) -> Any:
    if not isinstance(value, str):
        return ctx.render_value(value, prop)
    stripped = value.strip()
    if stripped.startswith("{{") and stripped.endswith("}}"):
        return _parse(ctx.render(value, prop), prop)
    return ctx.render_value(_parse(value, prop), prop)


def _parse(text: str, prop: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise TaskFailedError(f"Unable to parse property '{prop}' as JSON: '{text}'") from exc
