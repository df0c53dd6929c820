"""io.kestra.plugin.core.kv.GetKeys: the unexpired keys of a namespace starting with `prefix`, sorted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.task_api import RunContext, task_type
from engine.tasks.kv_base import NamespaceKVTask


@task_type("io.kestra.plugin.core.kv.GetKeys")
class GetKeys(NamespaceKVTask):
    prefix: str | None = None

    def use_kv(self, ctx: RunContext) -> Mapping[str, Any] | None:
        kv = self.namespace_kv(ctx)
        prefix = "" if self.prefix is None else ctx.render(self.prefix, "prefix")
        keys = kv.keys()
        return {"keys": [key for key in keys if key.startswith(prefix)]}
