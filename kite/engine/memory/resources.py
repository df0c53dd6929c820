"""Every Resources port answered in memory."""

from __future__ import annotations

from collections.abc import Mapping

from kite.engine.memory.http import CannedHttpClient
from kite.engine.memory.kv import InMemoryKVStore
from kite.engine.memory.secrets import InMemorySecretStore
from kite.engine.memory.storage import InMemoryStorage
from kite.engine.ports import HttpClient, Resources


def in_memory_resources(
    secrets: Mapping[str, str] | None = None, http: HttpClient | None = None
) -> Resources:
    return Resources(
        secrets=InMemorySecretStore(secrets),
        kv=InMemoryKVStore(),
        storage=InMemoryStorage(),
        http=http or CannedHttpClient(),
    )
