"""io.kestra.plugin.core.trigger.Toggle: enable or disable a trigger of a flow (this one unless `namespace`
and `flowId` say otherwise) without a new revision of it, as the triggers API does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from engine.task_api import RunContext, RunnableTask, task_type
from engine.tasks.properties import render_bool


@task_type("io.kestra.plugin.core.trigger.Toggle", "io.kestra.core.tasks.trigger.Toggle")
class Toggle(RunnableTask):
    trigger: str
    enabled: bool | str = False
    namespace: str = "{{ flow.namespace }}"
    flow_id: str = Field("{{ flow.id }}", alias="flowId")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        ctx.set_trigger_enabled(
            ctx.render(self.namespace, "namespace"),
            ctx.render(self.flow_id, "flowId"),
            ctx.render(self.trigger, "trigger"),
            render_bool(ctx, self.enabled, "enabled"),
        )
        return None
