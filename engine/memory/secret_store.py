"""Secrets in a dict: one mapping for every namespace, like Kestra's environment-variable secrets."""

from __future__ import annotations

from collections.abc import Mapping


class InMemorySecretStore:
    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        self._secrets = dict(secrets or {})

    def get(self, namespace: str, key: str) -> str | None:
        return self._secrets.get(key)
