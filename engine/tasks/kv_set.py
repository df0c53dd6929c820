"""io.kestra.plugin.core.kv.Set: store a typed value under a key, optionally expiring."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from engine.task_api import Duration, RunContext, duration_property, task_type
from engine.tasks.kv_base import NamespaceKVTask
from engine.tasks.properties import render_bool


@task_type("io.kestra.plugin.core.kv.Set")
class Set(NamespaceKVTask):
    key: str
    value: str
    overwrite: bool | str = True
    ttl: Duration | None = None
    kv_type: str | None = Field(None, alias="kvType")
    # Accepted for Kestra's flows, stored nowhere: Kite keeps no KV metadata but the type and the expiry.
    kv_description: str | None = Field(None, alias="kvDescription")

    def use_kv(self, ctx: RunContext) -> Mapping[str, Any] | None:
        kv = self.namespace_kv(ctx)
        key = ctx.render(self.key, "key")
        value = ctx.render_typed(self.value, "value")
        ttl = None if self.ttl is None else duration_property(ctx.render(self.ttl, "ttl"), "ttl")
        kv_type = None if self.kv_type is None else ctx.render(self.kv_type, "kvType")
        kv.put(key, value, kv_type=kv_type, ttl=ttl, overwrite=render_bool(ctx, self.overwrite, "overwrite"))
        return None
