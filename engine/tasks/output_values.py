"""io.kestra.plugin.core.output.OutputValues: the rendered `values` map as the output `values`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from engine.task_api import RunContext, RunnableTask, task_type


@task_type("io.kestra.plugin.core.output.OutputValues")
class OutputValues(RunnableTask):
    inline: ClassVar[bool] = True

    values: dict[str, Any] | None = None

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        return {"values": ctx.render_value(self.values or {}, "values")}
