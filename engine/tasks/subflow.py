"""io.kestra.plugin.core.flow.Subflow (spec part 1 §12.1): start an execution of another flow.

The task renders what to start; the executor (executor/subflows.py) creates the child execution, waits
for its end when `wait` is true and maps the child's final state onto the task run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from engine.model.labels import InvalidLabelError, check_user_labels
from engine.task_api import ExecutableTask, RunContext, SubflowCall, TaskFailedError, task_type
from engine.tasks.labels import render_labels
from engine.tasks.properties import render_bool, render_map


@task_type(
    "io.kestra.plugin.core.flow.Subflow",
    "io.kestra.core.tasks.flows.Subflow",
    "io.kestra.core.tasks.flows.Flow",
)
class Subflow(ExecutableTask):
    namespace: str
    flow_id: str = Field(alias="flowId")
    revision: int | None = Field(None, ge=1)
    inputs: dict[str, Any] | str | None = None
    labels: dict[str, Any] | list[dict[str, Any]] | None = None
    inherit_labels: bool | str = Field(False, alias="inheritLabels")
    schedule_date: str | None = Field(None, alias="scheduleDate")
    # Deprecated since 0.15: values rendered in the child's context when the child declares no outputs.
    outputs: dict[str, Any] | None = None

    def call(self, ctx: RunContext) -> SubflowCall:
        labels = render_labels(ctx, self.labels) if self.labels is not None else {}
        try:
            check_user_labels(labels.items())
        except InvalidLabelError as exc:
            raise TaskFailedError(str(exc)) from None
        return SubflowCall(
            namespace=ctx.render(self.namespace, "namespace"),
            flow_id=ctx.render(self.flow_id, "flowId"),
            revision=self.revision,
            inputs=self._inputs(ctx),
            labels=list(labels.items()),
            inherit_labels=render_bool(ctx, self.inherit_labels, "inheritLabels"),
            schedule_date=_instant(ctx.render(self.schedule_date, "scheduleDate"))
            if self.schedule_date
            else None,
        )

    def _inputs(self, ctx: RunContext) -> dict[str, Any]:
        """Typed rendering: an input that is one expression hands over its list, map or number as is."""
        if self.inputs is None:
            return {}
        if isinstance(self.inputs, str):
            return render_map(ctx, self.inputs, "inputs")
        return {
            key: ctx.render_typed(value, f"inputs.{key}")
            if isinstance(value, str)
            else ctx.render_value(value, f"inputs.{key}")
            for key, value in self.inputs.items()
        }

    def target(self) -> tuple[str, str] | None:
        if "{{" in self.namespace or "{{" in self.flow_id:
            return None
        return self.namespace, self.flow_id

    def legacy_outputs(self) -> Mapping[str, Any] | None:
        return self.outputs


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise TaskFailedError(f"Invalid scheduleDate '{text}': expected an ISO-8601 date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
