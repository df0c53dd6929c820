"""io.kestra.plugin.core.state.Get, Set and Delete (deprecated in Kestra for the KV store, which now keeps
them): a JSON map per name, scoped to the flow (or to the namespace with `namespace: true`) and, by
default, to the task run's loop value, under the KV key Kestra's StateStore uses."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from engine.kv import KVError, NamespaceKV
from engine.task_api import RunContext, RunnableTask, TaskFailedError, task_type
from engine.tasks.properties import render_bool


class StateTask(RunnableTask):
    name: str = "default"
    namespace: bool = False  # true: shared by the namespace's flows
    taskrun_value: bool = Field(True, alias="taskrunValue")

    def store(self, ctx: RunContext) -> tuple[NamespaceKV, str]:
        """The namespace's KV and this state's key: `[flowId_]states_tasks-states_<name>[_<value hash>]`."""
        run = ctx.task_run
        prefix = "" if self.namespace else f"{run.flow_id}_"
        value = run.value if self.taskrun_value else None
        suffix = f"_{hashlib.sha256(value.encode()).hexdigest()[:32]}" if value is not None else ""
        return ctx.kv(run.namespace), f"{prefix}states_tasks-states_{ctx.render(self.name, 'name')}{suffix}"

    def current(self, ctx: RunContext) -> tuple[bool, dict[str, Any]]:
        kv, key = self.store(ctx)
        try:
            found, value = kv.get(key)
        except KVError as exc:
            raise TaskFailedError(str(exc)) from None
        return found, dict(value) if isinstance(value, Mapping) else {}


@task_type("io.kestra.plugin.core.state.Get", "io.kestra.core.tasks.states.Get")
class Get(StateTask):
    error_on_missing: bool | str = Field(False, alias="errorOnMissing")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        found, data = self.current(ctx)
        if not found and render_bool(ctx, self.error_on_missing, "errorOnMissing"):
            raise TaskFailedError(f"Unable to find the state file '{self.store(ctx)[1]}'")
        return {"count": len(data), "data": data}


@task_type("io.kestra.plugin.core.state.Set", "io.kestra.core.tasks.states.Set")
class Set(StateTask):
    data: dict[str, Any] | None = None

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        _, current = self.current(ctx)
        merged = {**current, **ctx.render_value(self.data or {}, "data")}
        kv, key = self.store(ctx)
        try:
            kv.put(key, merged, kv_type="JSON", ttl=None, overwrite=True)
        except KVError as exc:
            raise TaskFailedError(str(exc)) from None
        return {"count": len(merged), "key": key}


@task_type("io.kestra.plugin.core.state.Delete", "io.kestra.core.tasks.states.Delete")
class Delete(StateTask):
    error_on_missing: bool | str = Field(False, alias="errorOnMissing")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        kv, key = self.store(ctx)
        deleted = kv.delete(key)
        if not deleted and render_bool(ctx, self.error_on_missing, "errorOnMissing"):
            raise TaskFailedError(f"Unable to find the state file '{key}'")
        return {"deleted": deleted}
