"""Every Resources port answered in memory."""

from __future__ import annotations

from collections.abc import Mapping

from engine.memory.http_client import CannedHttpClient
from engine.memory.kv_store import InMemoryKVStore
from engine.memory.sandbox import InlineSandbox
from engine.memory.secret_store import InMemorySecretStore
from engine.memory.storage import InMemoryStorage
from engine.resources import HttpClient, Resources


def in_memory_resources(
    secrets: Mapping[str, str] | None = None, http: HttpClient | None = None
) -> Resources:
    return Resources(
        secrets=InMemorySecretStore(secrets),
        kv=InMemoryKVStore(),
        storage=InMemoryStorage(),
        http=http or CannedHttpClient(),
        sandbox=InlineSandbox(),
    )
