"""io.kestra.plugin.core.log.Fetch: an execution's log lines (this one unless `executionId` says another,
`trigger.executionId` say) from `level` up, into an Ion file of the execution's storage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from engine.expressions.ion import ion_text
from engine.model.logs import level_rank
from engine.model.serde import format_instant
from engine.task_api import RunContext, RunnableTask, task_type

# Ion rows are written one at a time: a bound per row, not per file.
_ROW_LIMIT = 1024 * 1024


@task_type("io.kestra.plugin.core.log.Fetch", "io.kestra.core.tasks.log.Fetch")
class Fetch(RunnableTask):
    namespace: str | None = None
    flow_id: str | None = Field(None, alias="flowId")
    execution_id: str | None = Field(None, alias="executionId")
    tasks_id: list[str] | None = Field(None, alias="tasksId")
    level: Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] = "INFO"

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        execution_id = ctx.render(self.execution_id, "executionId") if self.execution_id else None
        lowest = level_rank(self.level)
        lines = [
            entry
            for entry in ctx.execution_logs(execution_id)
            if level_rank(entry.level) >= lowest and (self.tasks_id is None or entry.task_id in self.tasks_id)
        ]
        rows = [
            ion_text(
                {
                    "executionId": entry.execution_id,
                    "taskId": entry.task_id,
                    "taskRunId": entry.task_run_id,
                    "attemptNumber": entry.attempt_number,
                    "timestamp": format_instant(entry.timestamp),
                    "level": entry.level,
                    "message": entry.message,
                },
                _ROW_LIMIT,
            )
            for entry in lines
        ]
        uri = ctx.put_file("logs.ion", "".join(row + "\n" for row in rows).encode())
        return {"size": len(rows), "uri": uri}
