"""Internal storage in S3: `kestra:///<path>` is the object `storage/<path>` of the stack's bucket."""

from __future__ import annotations

from collections.abc import Iterable

from engine.model.files import SCHEME, kestra_path, kestra_uri
from engine.resources import NotFoundError, StoredObject
from infra.aws.blobs import S3Blobs

_PREFIX = "storage/"


class S3Storage:
    def __init__(self, blobs: S3Blobs) -> None:
        self._blobs = blobs

    def put(self, path: str, data: bytes) -> str:
        uri = kestra_uri(path)
        self._blobs.put(_PREFIX + kestra_path(uri), data)
        return uri

    def get(self, uri: str, limit: int | None = None) -> bytes:
        return self._blobs.get(_PREFIX + kestra_path(uri), limit)

    def exists(self, uri: str) -> bool:
        return self._blobs.exists(_PREFIX + kestra_path(uri))

    def size(self, uri: str) -> int:
        size = self._blobs.size(_PREFIX + kestra_path(uri))
        if size is None:
            raise NotFoundError(uri)
        return size

    def list(self, prefix: str) -> list[StoredObject]:
        start = kestra_path(prefix) if prefix != SCHEME else ""
        return [
            StoredObject(kestra_uri(key.removeprefix(_PREFIX)), size, modified)
            for key, size, modified in self._blobs.list(_PREFIX + start)
        ]

    def delete(self, uri: str) -> bool:
        return self._blobs.delete(_PREFIX + kestra_path(uri))

    def put_chunks(self, path: str, chunks: Iterable[bytes]) -> tuple[str, int]:
        uri = kestra_uri(path)
        return uri, self._blobs.put_chunks(_PREFIX + kestra_path(uri), chunks)
