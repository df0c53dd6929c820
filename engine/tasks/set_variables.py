"""io.kestra.plugin.core.execution.SetVariables (spec part 1 §5): merge rendered values into the execution's
variables, which later tasks read as `{{ vars.x }}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.task_api import ExecutionChange, ExecutionTask, RunContext, TaskFailedError, task_type
from engine.tasks.properties import render_bool, render_map


@task_type("io.kestra.plugin.core.execution.SetVariables")
class SetVariables(ExecutionTask):
    variables: dict[str, Any] | str
    overwrite: bool | str = True

    def apply(self, ctx: RunContext, change: ExecutionChange) -> Mapping[str, Any] | None:
        new = render_map(ctx, self.variables, "variables")
        if not render_bool(ctx, self.overwrite, "overwrite"):
            existing = [key for key in new if key in change.variables]
            if existing:
                raise TaskFailedError(
                    "`overwrite` is set to false and the following variables already exist: "
                    + ",".join(existing)
                )
        change.variables.update(_deep_merge(change.variables, new))
        return None


def _deep_merge(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Kestra's `MapUtils.deepMerge`, without touching either side (they may be the stored execution's)."""
    merged = dict(old)
    for key, value in new.items():
        merged[key] = _merge_value(merged.get(key), value)
    return merged


def _merge_value(old: Any, new: Any) -> Any:
    if new is None:  # a null never overrides
        return old
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return _deep_merge(old, new)
    if isinstance(old, list) and isinstance(new, list):
        return old + [item for item in new if item not in old]
    return new
