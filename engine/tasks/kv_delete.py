"""io.kestra.plugin.core.kv.Delete: remove a key; the output `deleted` says whether there was one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.task_api import RunContext, task_type
from engine.tasks.kv_base import KeyLookupTask


@task_type("io.kestra.plugin.core.kv.Delete")
class Delete(KeyLookupTask):
    def use_kv(self, ctx: RunContext) -> Mapping[str, Any] | None:
        kv = self.namespace_kv(ctx)
        key = ctx.render(self.key, "key")
        deleted = kv.delete(key)
        self.require(ctx, deleted, key, kv)
        return {"deleted": deleted}
