"""io.kestra.plugin.core.log.Log (spec part 1 §2.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from engine.task_api import RunContext, RunnableTask, task_type


@task_type("io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.log.Log")
class Log(RunnableTask):
    inline: ClassVar[bool] = True

    message: str | list[str]
    level: Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] = "INFO"

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        for message in [self.message] if isinstance(self.message, str) else self.message:
            ctx.log(self.level, ctx.render(message, "message"))
        return None
