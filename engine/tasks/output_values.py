"""io.kestra.plugin.core.output.OutputValues: the rendered `values` map as the output `values`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from engine.tasks.base import RunnableTask
from engine.tasks.registry import task_type
from engine.worker.context import RunContext


@task_type("io.kestra.plugin.core.output.OutputValues")
class OutputValues(RunnableTask):
    inline: ClassVar[bool] = True

    values: dict[str, Any] | None = None

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        return {"values": ctx.render_value(self.values or {}, "values")}
