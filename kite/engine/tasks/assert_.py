"""io.kestra.plugin.core.execution.Assert: every condition must be truthy (spec part 1 §3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from kite.engine.expressions import is_truthy
from kite.engine.tasks.base import RunnableTask, TaskFailedError
from kite.engine.tasks.registry import task_type
from kite.engine.worker.context import PropertyRenderError, RunContext


@task_type("io.kestra.plugin.core.execution.Assert")
class Assert(RunnableTask):
    inline: ClassVar[bool] = True

    conditions: list[str] = Field(min_length=1)
    error_message: str | None = Field(None, alias="errorMessage")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        failed = 0
        for condition in self.conditions:
            try:
                holds = is_truthy(ctx.render(condition, "conditions"))
            except PropertyRenderError as exc:  # an expression that cannot render does not hold
                ctx.log("ERROR", str(exc))
                holds = False
            if not holds:
                failed += 1
                ctx.log("ERROR", f"Assertion `{condition}` failed!")
        if failed:
            message = f"{failed} assertion(s) failed!"
            if self.error_message is not None:
                message += "\n" + ctx.render(self.error_message, "errorMessage")
            raise TaskFailedError(message)
        return None
