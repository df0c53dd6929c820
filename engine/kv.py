"""Kestra's namespace KV store semantics: keys, typed values and expiry, over the KVStore port."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Any

from msgspec import Struct

from engine.model.durations import parse_duration
from engine.model.serde import format_duration, format_instant, parse_instant
from engine.resources import Clock, KVEntry, KVStore

KV_TYPES = ("STRING", "NUMBER", "BOOLEAN", "DATETIME", "DATE", "DURATION", "JSON")
_KEY = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]*")


class KVError(ValueError):
    pass


def validate_key(key: str) -> str:
    if not key:
        raise KVError("Key cannot be null or empty")
    if not _KEY.fullmatch(key):
        raise KVError(
            "Key must start with an alphanumeric character (uppercase or lowercase) and can contain "
            "alphanumeric characters (uppercase or lowercase), dots (.), underscores (_), "
            "and hyphens (-) only."
        )
    return key


def infer_type(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int | float):
        return "NUMBER"
    if isinstance(value, datetime):
        return "DATETIME"
    if isinstance(value, timedelta):
        return "DURATION"
    if isinstance(value, dict | list):
        return "JSON"
    return "STRING"


def coerce(value: Any, kv_type: str) -> Any:
    """What kv.Set does with a string value and an explicit `kvType`."""
    if kv_type not in KV_TYPES:
        raise KVError(f"Unknown kvType '{kv_type}', expected one of {', '.join(KV_TYPES)}")
    if not isinstance(value, str):
        return value
    try:
        if kv_type == "NUMBER":
            number = json.loads(value)
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ValueError(value)
            return number
        if kv_type == "BOOLEAN":
            return value.lower() == "true"
        if kv_type in ("DATETIME", "DATE"):
            return parse_instant(value)
        if kv_type == "DURATION":
            return parse_duration(value)
        if kv_type == "JSON":
            return json.loads(value)
    except ValueError as exc:
        raise KVError(f"Cannot read '{value}' as a {kv_type} value: {exc}") from None
    return value


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    return value


def _from_json(kv_type: str, value: Any) -> Any:
    if kv_type in ("DATETIME", "DATE") and isinstance(value, str):
        return parse_instant(value)
    return value


class NamespaceKV(Struct, frozen=True):
    """One namespace's KV pairs as Kestra's tasks and the kv() function see them: expired pairs are absent."""

    store: KVStore
    clock: Clock
    namespace: str

    def get(self, key: str) -> tuple[bool, Any]:
        entry = self.store.get(self.namespace, validate_key(key))
        if entry is None or self.expired(entry):
            return False, None
        return True, _from_json(entry.type, json.loads(entry.json_value))

    def put(
        self, key: str, value: Any, *, kv_type: str | None, ttl: timedelta | None, overwrite: bool
    ) -> None:
        if kv_type is not None:
            value = coerce(value, kv_type)
        now = self.clock.now()
        entry = KVEntry(
            type=kv_type or infer_type(value),
            json_value=json.dumps(_to_json(value), separators=(",", ":")),
            updated=now,
            expiration_date=now + ttl if ttl is not None else None,
        )
        if not self.store.put(self.namespace, validate_key(key), entry, overwrite=overwrite):
            raise KVError(
                f"Cannot set value for key '{key}'. Key already exists and `overwrite` is set to `false`."
            )

    def delete(self, key: str) -> bool:
        return self.store.delete(self.namespace, validate_key(key))

    def keys(self) -> list[str]:
        return [key for key, entry in self.store.list(self.namespace) if not self.expired(entry)]

    def entries(self) -> list[tuple[str, KVEntry]]:
        """Every stored pair, expired ones included (PurgeKV needs them)."""
        return self.store.list(self.namespace)

    def expired(self, entry: KVEntry) -> bool:
        return entry.expiration_date is not None and entry.expiration_date <= self.clock.now()
