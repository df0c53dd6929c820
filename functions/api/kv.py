"""The KV store: Kestra's `/namespaces/{namespace}/kv` and `/kv` routes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from engine.kv import KVError, NamespaceKV, validate_key
from engine.model.durations import parse_duration
from engine.model.serde import format_instant, parse_instant
from engine.resources import KVEntry, NotFoundError
from functions import app
from functions.api import shapes
from functions.api.errors import ApiError
from functions.api.query_filters import Filters, Resource
from functions.api.requests import body_bytes, header, json_body, query_int

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


def _kv(namespace: str) -> NamespaceKV:
    services = app.current().services
    return NamespaceKV(services.resources.kv, services.clock, namespace)


def typed(text: str) -> Any:
    """A value as Kestra's API reads a KV body: JSON when it parses (a number, a boolean, an object, a
    quoted string), else an ISO date-time or duration, else the text itself. Its KV type follows."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    for read in (parse_instant, parse_duration):
        try:
            return read(text)
        except ValueError:
            continue
    return text


@router.put("/namespaces/<namespace>/kv/<key>")
def set_key_value(namespace: str, key: str) -> Any:
    event = router.current_event
    value = typed(body_bytes(event).decode())
    ttl_text = header(event, "ttl")
    ttl: timedelta | None = None
    if ttl_text:
        try:
            ttl = parse_duration(ttl_text)
        except ValueError:
            raise ApiError(422, f"Invalid entity: ttl: '{ttl_text}' is not an ISO-8601 duration") from None
    try:
        _kv(namespace).put(key, value, kv_type=None, ttl=ttl, overwrite=True)
    except KVError as exc:
        raise ApiError(422, f"Invalid entity: {exc}", [str(exc)]) from None
    return shapes.no_content()


@router.get("/namespaces/<namespace>/kv/inheritance")
def list_with_inheritance(namespace: str) -> list[dict[str, Any]]:
    """This namespace's keys, then those of its parents that it does not shadow (nearest first)."""
    parts = namespace.split(".")
    seen: set[str] = set()
    entries = []
    for depth in range(len(parts), 0, -1):
        current = ".".join(parts[:depth])
        kv = _kv(current)
        for key, entry in kv.entries():
            if key not in seen and not kv.expired(entry):
                seen.add(key)
                entries.append(_entry(current, key, entry))
    return entries


@router.get("/namespaces/<namespace>/kv/<key>")
def get_key_value(namespace: str, key: str) -> dict[str, Any]:
    kv = _kv(namespace)
    entry = kv.store.get(namespace, _valid(key))
    if entry is None or kv.expired(entry):
        raise NotFoundError(f"No value found for key '{key}' in namespace '{namespace}'")
    return {
        "type": entry.type,
        "value": json.loads(entry.json_value),
        "updated": format_instant(entry.updated),
    }


@router.delete("/namespaces/<namespace>/kv/<key>")
def delete_key_value(namespace: str, key: str) -> bool:
    return _kv(namespace).delete(_valid(key))


@router.delete("/namespaces/<namespace>/kv")
def delete_key_values(namespace: str) -> dict[str, Any]:
    request = json_body(router.current_event, {})
    keys = request.get("keys") if isinstance(request, dict) else None
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ApiError(422, "Invalid entity: keys: a list of keys is required")
    kv = _kv(namespace)
    return {"keys": [key for key in keys if kv.delete(_valid(key))]}


@router.get("/namespaces/<namespace>/kv")
def list_keys(namespace: str) -> list[dict[str, Any]]:
    kv = _kv(namespace)
    return [_entry(namespace, key, entry) for key, entry in kv.entries() if not kv.expired(entry)]


@router.get("/kv")
def list_all_keys() -> dict[str, Any]:
    """The keys the query's filters name (namespace, `q` in the key, updated), in every namespace."""
    event = router.current_event
    filters = Filters.of(event, Resource.KV_METADATA)
    namespace = filters.equal("namespace")
    namespaces = [namespace] if namespace else app.current().services.resources.kv.namespaces()
    entries = []
    for name in namespaces:
        if not filters.text("namespace", name):
            continue
        kv = _kv(name)
        entries += [
            _entry(name, key, entry)
            for key, entry in kv.entries()
            if not kv.expired(entry) and filters.query(key) and filters.instant("updated", entry.updated)
        ]
    page, size = query_int(event, "page", 1) or 1, query_int(event, "size", 25) or 25
    return shapes.paged(entries, page, size)


def _valid(key: str) -> str:
    try:
        return validate_key(key)
    except KVError as exc:
        raise ApiError(422, f"Invalid entity: {exc}", [str(exc)]) from None


def _entry(namespace: str, key: str, entry: KVEntry) -> dict[str, Any]:
    return {
        "namespace": namespace,
        "key": key,
        "creationDate": format_instant(entry.updated),
        "updateDate": format_instant(entry.updated),
        "expirationDate": format_instant(entry.expiration_date) if entry.expiration_date else None,
    }
