"""Internal storage in a dict."""

from __future__ import annotations

from collections.abc import Iterable

from engine.model.files import SCHEME, kestra_path, kestra_uri
from engine.resources import NotFoundError, StoredObject


class InMemoryStorage:
    def __init__(self) -> None:
        self._objects: dict[str, bytes] = {}

    def put(self, path: str, data: bytes) -> str:
        uri = kestra_uri(path)
        self._objects[kestra_path(uri)] = bytes(data)
        return uri

    def get(self, uri: str, limit: int | None = None) -> bytes:
        try:
            return self._objects[kestra_path(uri)][:limit]
        except KeyError:
            raise NotFoundError(uri) from None

    def exists(self, uri: str) -> bool:
        return kestra_path(uri) in self._objects

    def size(self, uri: str) -> int:
        return len(self.get(uri))

    def list(self, prefix: str) -> list[StoredObject]:
        start = kestra_path(prefix) if prefix != SCHEME else ""
        return [
            StoredObject(kestra_uri(path), len(data))
            for path, data in sorted(self._objects.items())
            if path.startswith(start)
        ]

    def delete(self, uri: str) -> bool:
        return self._objects.pop(kestra_path(uri), None) is not None

    def put_chunks(self, path: str, chunks: Iterable[bytes]) -> tuple[str, int]:
        data = b"".join(chunks)
        return self.put(path, data), len(data)
