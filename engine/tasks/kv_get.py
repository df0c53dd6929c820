"""io.kestra.plugin.core.kv.Get: the value of a key as the output `value`, with the type it was set with."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.model.serde import format_instant
from engine.task_api import RunContext, task_type
from engine.tasks.kv_base import KeyLookupTask


@task_type("io.kestra.plugin.core.kv.Get")
class Get(KeyLookupTask):
    def use_kv(self, ctx: RunContext) -> Mapping[str, Any] | None:
        kv = self.namespace_kv(ctx)
        key = ctx.render(self.key, "key")
        found, value = kv.get(key)
        self.require(ctx, found, key, kv)
        if not found:
            # Kestra serialises outputs without nulls: a missing value is an absent `value`.
            return {}
        # Outputs travel as JSON: a DATETIME takes the ISO-8601 text Kestra's outputs give it.
        return {"value": format_instant(value) if isinstance(value, datetime) else value}
