"""io.kestra.plugin.core.debug.Return: renders `format` into the output `value` (always a string)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from engine.task_api import RunContext, RunnableTask, task_type


@task_type("io.kestra.plugin.core.debug.Return", "io.kestra.core.tasks.debugs.Return")
class Return(RunnableTask):
    inline: ClassVar[bool] = True

    format: str | None = None

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        return {"value": ctx.render(self.format, "format") if self.format is not None else None}
