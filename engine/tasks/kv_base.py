"""What the io.kestra.plugin.core.kv tasks share.

They are never `inline`: every call reaches the KV store (DynamoDB in the cloud), so they run on a worker.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from engine.kv import KVError, NamespaceKV
from engine.task_api import RunContext, RunnableTask, TaskFailedError
from engine.tasks.properties import render_bool


class KVTask(RunnableTask):
    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        try:
            return self.use_kv(ctx)
        except KVError as exc:
            # Kestra's own wording (invalid key, overwrite refused…), without an exception class name.
            raise TaskFailedError(str(exc)) from None

    @abstractmethod
    def use_kv(self, ctx: RunContext) -> Mapping[str, Any] | None:
        """The task's work; a KVError fails the attempt with its message."""


class NamespaceKVTask(KVTask):
    """A KV task on one namespace, the flow's unless `namespace` says otherwise."""

    namespace: str = "{{ flow.namespace }}"

    def namespace_kv(self, ctx: RunContext) -> NamespaceKV:
        return ctx.kv(ctx.render(self.namespace, "namespace"))


class KeyLookupTask(NamespaceKVTask):
    """Get and Delete: one key, and whether its absence fails the task."""

    key: str
    error_on_missing: bool | str = Field(False, alias="errorOnMissing")

    def require(self, ctx: RunContext, found: bool, key: str, kv: NamespaceKV) -> None:
        if not found and render_bool(ctx, self.error_on_missing, "errorOnMissing"):
            raise TaskFailedError(
                f"No value found for key '{key}' in namespace '{kv.namespace}' "
                "and `errorOnMissing` is set to true"
            )
