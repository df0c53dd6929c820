"""Namespace KV pairs in a dict."""

from __future__ import annotations

from engine.resources import KVEntry


class InMemoryKVStore:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], KVEntry] = {}

    def get(self, namespace: str, key: str) -> KVEntry | None:
        return self._entries.get((namespace, key))

    def put(self, namespace: str, key: str, entry: KVEntry, *, overwrite: bool = True) -> bool:
        if not overwrite and (namespace, key) in self._entries:
            return False
        self._entries[(namespace, key)] = entry
        return True

    def delete(self, namespace: str, key: str) -> bool:
        return self._entries.pop((namespace, key), None) is not None

    def namespaces(self) -> list[str]:
        return sorted({namespace for namespace, _ in self._entries})

    def list(self, namespace: str) -> list[tuple[str, KVEntry]]:
        entries = [(key, entry) for (ns, key), entry in self._entries.items() if ns == namespace]
        return sorted(entries, key=lambda item: item[0])
