"""io.kestra.plugin.core.execution.UnsetVariables (spec part 1 §5): remove keys from the execution's
variables; a dotted key (`a.b`) removes `b` from the map `a`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from engine.expressions.values import java_string
from engine.task_api import ExecutionChange, ExecutionTask, RunContext, TaskFailedError, task_type
from engine.tasks.properties import render_bool, render_list


@task_type("io.kestra.plugin.core.execution.UnsetVariables")
class UnsetVariables(ExecutionTask):
    variables: list[str] | str
    ignore_missing: bool | str = Field(False, alias="ignoreMissing")

    def apply(self, ctx: RunContext, change: ExecutionChange) -> Mapping[str, Any] | None:
        keys = [java_string(key) for key in render_list(ctx, self.variables, "variables")]
        # Kestra renders the flag (so a bad value fails the task) but it changes nothing: a missing key is
        # ignored either way, and a missing parent map fails either way (spec part 1 §17).
        render_bool(ctx, self.ignore_missing, "ignoreMissing")
        for key in keys:
            _unset(change.variables, key, key)
        return None


def _unset(variables: dict[str, Any], path: str, key: str) -> None:
    head, dot, rest = path.partition(".")
    if not dot:
        variables.pop(head, None)
        return
    child = variables.get(head)
    if not isinstance(child, Mapping):
        raise TaskFailedError(f"Unable to unset variable '{key}': '{head}' is not a map")
    # Copied before the removal: nested maps are shared with the stored execution.
    copy = variables[head] = dict(child)
    _unset(copy, rest, key)
