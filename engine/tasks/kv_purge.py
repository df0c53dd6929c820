"""io.kestra.plugin.core.kv.PurgeKV (Kestra 1.x): delete the keys of namespaces, expired ones by default.

The namespaces are those `namespaces` names (with their children unless `includeChildNamespaces` is false),
those `namespacePattern` matches (a wildcard), or every one. Kestra picks among the namespaces that have
flows; Kite among those that have keys, which are the ones a purge can change. A child is a namespace
under a named one (`company.team` of `company`), where Kestra's prefix test also took `company2`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from engine.model.namespaces import in_namespace
from engine.task_api import Model, RunContext, TaskFailedError, task_type
from engine.tasks.kv_base import KVTask
from engine.tasks.properties import render_bool


class KeyBehavior(Model):
    """Kestra's `key` purge behavior; `version` needs KV versions, which Kite does not keep."""

    type: Literal["key"] = "key"
    expired_only: bool = Field(True, alias="expiredOnly")


@task_type("io.kestra.plugin.core.kv.PurgeKV")
class PurgeKV(KVTask):
    namespaces: list[str] | None = None
    namespace_pattern: str | None = Field(None, alias="namespacePattern")
    include_child_namespaces: bool | str = Field(True, alias="includeChildNamespaces")
    key_pattern: str | None = Field(None, alias="keyPattern")
    behavior: KeyBehavior = KeyBehavior()
    # Deprecated since Kestra 1.1; when set, it overrides `behavior`.
    expired_only: bool | str | None = Field(None, alias="expiredOnly")

    def use_kv(self, ctx: RunContext) -> Mapping[str, Any] | None:
        namespaces = self._namespaces(ctx)
        expired_only = (
            self.behavior.expired_only
            if self.expired_only is None
            else render_bool(ctx, self.expired_only, "expiredOnly")
        )
        pattern = ctx.render(self.key_pattern, "keyPattern") if self.key_pattern else ""
        matches = _wildcard(pattern) if pattern.strip() else None
        ctx.log("INFO", f"purging {len(namespaces)} namespaces: [{', '.join(namespaces)}]")
        size = 0
        for namespace in namespaces:
            kv = ctx.kv(namespace)
            for key, entry in kv.entries():
                if expired_only and not kv.expired(entry):
                    continue
                if matches is not None and not matches.fullmatch(key):
                    continue
                size += int(kv.delete(key))
        ctx.log("INFO", f"purged {size} keys")
        return {"size": size}

    def _namespaces(self, ctx: RunContext) -> list[str]:
        names = list(dict.fromkeys(ctx.render(name, "namespaces") for name in self.namespaces or []))
        pattern = ctx.render(self.namespace_pattern, "namespacePattern") if self.namespace_pattern else ""
        if names and pattern.strip():
            raise TaskFailedError(
                "Properties `namespaces` and `namespacePattern` can't be used at the same time "
                "— use one or the other."
            )
        existing = ctx.kv_namespaces()
        if pattern.strip():
            matches = _wildcard(pattern)
            return [namespace for namespace in existing if matches.fullmatch(namespace)]
        if not names:
            return existing
        if not render_bool(ctx, self.include_child_namespaces, "includeChildNamespaces"):
            return names
        children = [n for n in existing if n not in names and any(in_namespace(n, p) for p in names)]
        return [*names, *children]


def _wildcard(pattern: str) -> re.Pattern[str]:
    """Commons IO's wildcardMatch, as Kestra uses it: `*` any run, `?` one character, case-sensitive."""
    return re.compile(".*".join(".".join(map(re.escape, part.split("?"))) for part in pattern.split("*")))
