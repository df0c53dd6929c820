"""io.kestra.plugin.core.execution.Fail (spec part 2 §1.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from engine.expressions import is_truthy
from engine.task_api import RunContext, RunnableTask, TaskFailedError, task_type


@task_type("io.kestra.plugin.core.execution.Fail", "io.kestra.core.tasks.executions.Fail")
class Fail(RunnableTask):
    inline: ClassVar[bool] = True

    condition: str | bool | None = None
    error_message: str = Field("Task failure", alias="errorMessage")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        message = ctx.render(self.error_message, "errorMessage")
        if self.condition is None:
            raise TaskFailedError(message)
        condition = (
            self.condition if isinstance(self.condition, bool) else ctx.render(self.condition, "condition")
        )
        if is_truthy(condition):
            ctx.log("ERROR", message)
            raise TaskFailedError("Fail on a condition")
        return None
