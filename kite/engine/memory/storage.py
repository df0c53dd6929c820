"""Internal storage in a dict, and the `kestra:///` URI scheme every Storage adapter shares."""

from __future__ import annotations

from kite.engine.files import SCHEME as _SCHEME
from kite.engine.ports import NotFoundError


def kestra_uri(path: str) -> str:
    return _SCHEME + path.lstrip("/")


def kestra_path(uri: str) -> str:
    """The path inside internal storage, without a leading slash."""
    if not uri.startswith(_SCHEME) or len(uri) == len(_SCHEME):
        raise ValueError(f"not an internal storage URI: {uri!r}")
    return uri[len(_SCHEME) :]


class InMemoryStorage:
    def __init__(self) -> None:
        self._objects: dict[str, bytes] = {}

    def put(self, path: str, data: bytes) -> str:
        uri = kestra_uri(path)
        self._objects[kestra_path(uri)] = bytes(data)
        return uri

    def get(self, uri: str) -> bytes:
        try:
            return self._objects[kestra_path(uri)]
        except KeyError:
            raise NotFoundError(uri) from None

    def exists(self, uri: str) -> bool:
        return kestra_path(uri) in self._objects

    def size(self, uri: str) -> int:
        return len(self.get(uri))
