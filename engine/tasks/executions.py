"""io.kestra.plugin.core.execution.Count, Resume and PurgeExecutions, and log.PurgeLogs: other executions
from a task (`RunContext.executions()`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from engine.model.execution import Execution
from engine.model.logs import LogPurge
from engine.model.namespaces import in_namespace
from engine.resources import NotFoundError
from engine.task_api import Model, RunContext, RunnableTask, TaskFailedError, task_type

LogLevel = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]


class FlowRef(Model):
    namespace: str
    flow_id: str = Field(alias="flowId")


def _date(ctx: RunContext, value: str | None, prop: str) -> datetime | None:
    if value is None:
        return None
    text = ctx.render(value, prop)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").split("[", 1)[0])
    except ValueError:
        raise TaskFailedError(f"Invalid {prop} '{text}': an ISO-8601 date-time expected") from None
    if parsed.tzinfo is None:
        raise TaskFailedError(f"Invalid {prop} '{text}': a date-time with an offset expected")
    return parsed


def _within(execution: Execution, start: datetime | None, end: datetime | None) -> bool:
    began = execution.state.start_date
    return (start is None or began >= start) and (end is None or began <= end)


@task_type("io.kestra.plugin.core.execution.Count", "io.kestra.core.tasks.executions.Counts")
class Count(RunnableTask):
    flows: list[FlowRef] | None = None
    namespaces: list[str] | None = None
    states: list[str] | None = None
    start_date: str = Field(alias="startDate")
    end_date: str | None = Field(None, alias="endDate")
    expression: str

    @model_validator(mode="after")
    def _what(self) -> Count:
        if self.flows is None and self.namespaces is None:
            raise ValueError("You must provide a list of flows or namespaces")
        return self

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        start, end = _date(ctx, self.start_date, "startDate"), _date(ctx, self.end_date, "endDate")
        counts: dict[tuple[str, str], int] = {(f.namespace, f.flow_id): 0 for f in self.flows or ()}
        found = [e for e in ctx.executions().search(None, None) if _within(e, start, end)]
        for execution in found:
            key = (execution.namespace, execution.flow_id)
            listed = key in counts or execution.namespace in (self.namespaces or ())
            if listed and (self.states is None or execution.state.current.value in self.states):
                counts[key] = counts.get(key, 0) + 1
        results = [
            {"namespace": namespace, "flowId": flow_id, "count": count}
            for (namespace, flow_id), count in counts.items()
            if ctx.render_with(self.expression, "expression", {"count": count}).strip() == "true"
        ]
        return {"results": results, "total": sum(result["count"] for result in results)}


@task_type("io.kestra.plugin.core.execution.Resume", "io.kestra.core.tasks.executions.Resume")
class Resume(RunnableTask):
    """Resume a paused execution (this one unless `executionId` says another), with `inputs`."""

    namespace: str | None = None
    flow_id: str | None = Field(None, alias="flowId")
    execution_id: str = Field("{{ execution.id }}", alias="executionId")
    inputs: dict[str, Any] | None = None

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        execution_id = ctx.render(self.execution_id, "executionId")
        inputs = ctx.render_value(self.inputs or {}, "inputs")
        try:
            ctx.executions().resume(execution_id, inputs)
        except NotFoundError:
            raise TaskFailedError(f"No execution found for id '{execution_id}'") from None
        except ValueError as exc:
            raise TaskFailedError(str(exc)) from None
        return None


class _Purge(RunnableTask):
    namespace: str | None = None
    flow_id: str | None = Field(None, alias="flowId")
    start_date: str | None = Field(None, alias="startDate")
    end_date: str = Field(alias="endDate")

    def ended(self, ctx: RunContext, states: list[str] | None = None) -> list[Execution]:
        """The ended executions of the namespace (its children too) and flow that started in the range;
        never the one running this task."""
        start, end = _date(ctx, self.start_date, "startDate"), _date(ctx, self.end_date, "endDate")
        namespace = ctx.render(self.namespace, "namespace") if self.namespace else None
        flow_id = ctx.render(self.flow_id, "flowId") if self.flow_id else None
        me = ctx.task_run.execution_id
        return [
            e
            for e in ctx.executions().search(None, flow_id)
            if e.id != me
            and e.state.current.terminated
            and (namespace is None or in_namespace(e.namespace, namespace))
            and (states is None or e.state.current.value in states)
            and _within(e, start, end)
        ]


@task_type("io.kestra.plugin.core.execution.PurgeExecutions", "io.kestra.core.tasks.storages.Purge")
class PurgeExecutions(_Purge):
    states: list[str] | None = None
    purge_execution: bool = Field(True, alias="purgeExecution")
    purge_log: bool = Field(True, alias="purgeLog")
    purge_metric: bool = Field(True, alias="purgeMetric")  # Kite keeps no metrics: nothing to purge
    purge_storage: bool = Field(True, alias="purgeStorage")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        executions = self.ended(ctx, self.states)
        logs = files = 0
        for execution in executions:
            lines, removed = ctx.executions().purge(
                execution, record=self.purge_execution, logs=self.purge_log, files=self.purge_storage
            )
            logs, files = logs + lines, files + removed
        return {
            "executionsCount": len(executions) if self.purge_execution else 0,
            "logsCount": logs,
            "storagesCount": files,
            "metricsCount": 0,
        }


@task_type("io.kestra.plugin.core.log.PurgeLogs", "io.kestra.core.tasks.log.PurgeLogs")
class PurgeLogs(_Purge):
    log_levels: list[LogLevel] | None = Field(None, alias="logLevels")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        levels = frozenset(self.log_levels) if self.log_levels is not None else None
        count = 0
        for execution in self.ended(ctx):
            lines = ctx.executions().purge_logs(execution.id, LogPurge(before=ctx.now(), levels=levels))
            count += lines
        return {"count": count}
