"""io.kestra.plugin.core.execution.Labels (spec part 1 §10): add or overwrite the execution's labels.

`labels` is a map, a list of `{key, value}`, or a string rendering to a JSON object. Later tasks see the
result as `{{ labels.x }}`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from engine.expressions.values import java_string, to_json
from engine.model.labels import InvalidLabelError, check_user_labels, merge_labels
from engine.task_api import ExecutionChange, ExecutionTask, RunContext, TaskFailedError, task_type


@task_type("io.kestra.plugin.core.execution.Labels", "io.kestra.core.tasks.executions.Labels")
class Labels(ExecutionTask):
    labels: str | list[dict[str, Any]] | dict[str, Any]

    def apply(self, ctx: RunContext, change: ExecutionChange) -> Mapping[str, Any] | None:
        new = render_labels(ctx, self.labels)
        try:
            check_user_labels(new.items())
        except InvalidLabelError as exc:
            raise TaskFailedError(str(exc)) from None
        empty = next((key for key, value in new.items() if value == ""), None)
        if empty is not None:
            raise TaskFailedError(f"Label values cannot be empty, offending label: {empty}")
        merged = merge_labels(change.labels.items(), new.items())
        change.labels.clear()
        change.labels.update((label.key, label.value) for label in merged)
        return None


def render_labels(ctx: RunContext, labels: str | list[dict[str, Any]] | dict[str, Any]) -> dict[str, str]:
    """Labels in any of their forms (map, list of `{key, value}`, JSON text), keys and values rendered."""
    if isinstance(labels, str):
        return _json_labels(ctx.render(labels, "labels"))
    rendered: dict[str, str] = {}
    if isinstance(labels, list):
        for item in labels:
            key, value = item.get("key"), item.get("value")
            if not isinstance(key, str):
                raise TaskFailedError(f"A label needs a string key, got: {java_string(item)}")
            name = ctx.render(key, "labels")
            # In the list form a repeated key is an overwrite: the last one wins.
            rendered[name] = _label_value(ctx, name, value)
        return rendered
    for key, value in labels.items():
        name = ctx.render(key, "labels")
        text = _label_value(ctx, name, value)
        # Kestra collects the map form without a merge rule, so two keys rendering alike fail it.
        if name in rendered:
            raise TaskFailedError(
                f"Duplicate key {name} (attempted merging values {rendered[name]} and {text})"
            )
        rendered[name] = text
    return rendered


def _label_value(ctx: RunContext, key: str, value: Any) -> str:
    """A map is stored as its rendered JSON; anything else as its Java text, then rendered."""
    if value is None:
        raise TaskFailedError(f"Label values cannot be null, offending label: {key}")
    if isinstance(value, Mapping):
        return to_json(ctx.render_value(value, "labels"))
    return ctx.render(java_string(value), "labels")


def _json_labels(text: str) -> dict[str, str]:
    """Read as Jackson reads a `Map<String, String>`: numbers keep their JSON text, booleans print."""
    try:
        parsed = json.loads(text, parse_int=str, parse_float=str)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not all(isinstance(v, str | bool) for v in parsed.values()):
        raise TaskFailedError(f"Unable to parse the labels '{text}' as a JSON object of strings")
    return {key: java_string(value) for key, value in parsed.items()}
