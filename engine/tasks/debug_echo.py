"""io.kestra.plugin.core.debug.Echo (deprecated in Kestra for log.Log): logs `format` at `level`; no
outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from engine.task_api import RunContext, RunnableTask, task_type


@task_type("io.kestra.plugin.core.debug.Echo", "io.kestra.core.tasks.debugs.Echo")
class Echo(RunnableTask):
    inline: ClassVar[bool] = True

    format: str = Field(min_length=1)
    level: Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] = "INFO"

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        ctx.log(self.level, ctx.render(self.format, "format"))
        return None
