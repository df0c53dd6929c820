"""Task cache (spec part 2 §11): a runnable task's outputs kept in internal storage, keyed by its rendered
definition, and reused instead of running it again until the TTL expires."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from msgspec import Struct

from engine.expressions import Renderer
from engine.model.durations import parse_duration
from engine.model.execution import TaskRun
from engine.model.files import kestra_uri, namespace_path
from engine.model.serde import format_instant, parse_instant
from engine.model.values import from_json_value, to_json_value
from engine.runtime.port_services import PortServices
from engine.task_api import RunnableTask


class CacheEntry(Struct, frozen=True):
    path: str  # in internal storage
    ttl: str | None


def entry_for(
    task: RunnableTask, run: TaskRun, variables: Mapping[str, Any], renderer: Renderer, services: PortServices
) -> CacheEntry | None:
    """Where this run's outputs are cached; None when the task is not cached.

    The key is the task as written (defaults left out) with every string rendered in the run's context:
    the same rendered definition in the same flow hits, across executions and revisions."""
    if task.task_cache is None or not task.task_cache.enabled:
        return None
    definition = task.model_dump(mode="json", by_alias=True, exclude_unset=True)
    # A render error (ExpressionError) goes to the caller: the task then runs uncached.
    rendered = renderer.render_value(definition, {**variables, "workingDir": "workingDir"}, services)
    digest = hashlib.sha256(json.dumps(to_json_value(rendered), sort_keys=True).encode()).hexdigest()
    scope = f"{namespace_path(run.namespace)}/{run.flow_id}/{digest}/cache"
    if run.value is not None:
        scope += "/" + hashlib.sha256(run.value.encode()).hexdigest()
    return CacheEntry(f"{scope}/cache.json", task.task_cache.ttl)


def lookup(entry: CacheEntry, services: PortServices) -> dict[str, Any] | None:
    """The cached outputs, unless absent or older than the TTL."""
    storage = services.resources.storage
    uri = kestra_uri(entry.path)
    if not storage.exists(uri):
        return None
    stored = json.loads(storage.get(uri))
    if entry.ttl is not None and services.clock.now() > parse_instant(stored["storedAt"]) + parse_duration(
        entry.ttl
    ):
        return None
    outputs: dict[str, Any] = from_json_value(stored["outputs"])
    return outputs


def store(entry: CacheEntry, outputs: Mapping[str, Any], now: datetime, services: PortServices) -> None:
    """Overwrites the previous entry: the TTL counts from the run that produced it."""
    body = {"storedAt": format_instant(now), "outputs": to_json_value(dict(outputs))}
    services.resources.storage.put(entry.path, json.dumps(body).encode())
