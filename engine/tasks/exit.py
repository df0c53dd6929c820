"""io.kestra.plugin.core.execution.Exit (spec part 2 §1.5): end the execution now, in a chosen state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from engine.model.state import StateType
from engine.task_api import ExecutionChange, ExecutionTask, RunContext, task_type


@task_type("io.kestra.plugin.core.execution.Exit")
class Exit(ExecutionTask):
    # CANCELED: the US spelling, which Kestra's state parser also accepts.
    state: Literal["SUCCESS", "WARNING", "FAILED", "CANCELLED", "CANCELED", "KILLED"] = "SUCCESS"

    def apply(self, ctx: RunContext, change: ExecutionChange) -> Mapping[str, Any] | None:
        change.state = StateType.CANCELLED if self.state == "CANCELED" else StateType(self.state)
        return None
