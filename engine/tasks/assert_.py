"""io.kestra.plugin.core.execution.Assert: every condition must be truthy (spec part 1 §3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from engine.expressions import ExpressionError, is_truthy
from engine.task_api import RunContext, RunnableTask, TaskFailedError, task_type


@task_type("io.kestra.plugin.core.execution.Assert")
class Assert(RunnableTask):
    inline: ClassVar[bool] = True

    conditions: list[str]
    error_message: str | None = Field(None, alias="errorMessage")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        failed = 0
        for condition in self.conditions:
            try:
                # Not ctx.render: Kestra logs the bare expression error.
                holds = is_truthy(ctx.evaluate(condition))
            except ExpressionError as exc:
                ctx.log("ERROR", f"Assertion `{condition}` failed, failed to render `{exc}`")
                failed += 1
                continue
            if not holds:
                ctx.log("ERROR", f"Assertion `{condition}` failed!")
                failed += 1
        if failed:
            message = f"{failed} assertion{'s' if failed > 1 else ''} failed!"
            if self.error_message is not None:
                message += "\n" + ctx.render(self.error_message, "errorMessage")
            raise TaskFailedError(message)
        return None
