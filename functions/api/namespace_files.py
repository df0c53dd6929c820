"""Namespace files (what `read()`, `namespaceFiles` and `fileURI()` see): Kestra's
`/namespaces/{namespace}/files` routes. Folders are the paths' own prefixes, plus an empty marker object
for a folder created empty."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from engine.model.files import FOLDER_MARKER, namespace_file_revisions, namespace_file_uri
from engine.resources import NotFoundError, Storage, StoredObject
from functions import app
from functions.api import shapes
from functions.api.errors import ApiError
from functions.api.requests import form, query, query_int

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


def _storage() -> Storage:
    return app.current().services.resources.storage


def _uri(namespace: str, path: str | None) -> str:
    try:
        return namespace_file_uri(namespace, path or "/")
    except ValueError as exc:
        raise ApiError(422, f"Invalid entity: path: {exc}") from None


def _path(name: str | None) -> str:
    value = query(router.current_event, name or "path")
    if not value:
        raise ApiError(422, f"Invalid entity: {name or 'path'}: required")
    return value


def _attributes(name: str, kind: str, size: int, obj: StoredObject | None = None) -> dict[str, Any]:
    millis = int(obj.modified.timestamp() * 1000) if obj and obj.modified else 0
    return {
        "fileName": name,
        "type": kind,
        "size": size,
        "lastModifiedTime": millis,
        "creationTime": millis,
        "metadata": {},
    }


def _under(namespace: str, folder: str) -> tuple[str, list[StoredObject]]:
    prefix = _uri(namespace, folder.rstrip("/") + "/") if folder.strip("/") else _uri(namespace, "/")
    prefix = prefix if prefix.endswith("/") else prefix + "/"
    return prefix, _storage().list(prefix)


@router.get("/namespaces/<namespace>/files/directory")
def list_directory(namespace: str) -> list[dict[str, Any]]:
    prefix, objects = _under(namespace, query(router.current_event, "path") or "/")
    entries: dict[str, dict[str, Any]] = {}
    for obj in objects:
        rest = obj.uri[len(prefix) :]
        head, _, tail = rest.partition("/")
        if tail:
            entries.setdefault(head, _attributes(head, "Directory", 0, obj))
        elif head != FOLDER_MARKER:
            entries[head] = _attributes(head, "File", obj.size, obj)
    return [entries[name] for name in sorted(entries)]


@router.post("/namespaces/<namespace>/files/directory")
def create_directory(namespace: str) -> Response[str]:
    folder = _path("path").rstrip("/")
    _storage().put(_uri(namespace, f"{folder}/{FOLDER_MARKER}").removeprefix("kestra:///"), b"")
    return shapes.no_content()


@router.get("/namespaces/<namespace>/files/stats")
def file_stats(namespace: str) -> dict[str, Any]:
    path = _path("path")
    uri = _uri(namespace, path)
    name = path.rstrip("/").rsplit("/", 1)[-1]
    storage = _storage()
    if storage.exists(uri):
        return _attributes(name, "File", storage.size(uri))
    if _under(namespace, path)[1]:
        return _attributes(name, "Directory", 0)
    raise NotFoundError(f"Namespace file '{path}' not found")


@router.get("/namespaces/<namespace>/files/export")
def export_files(namespace: str) -> Response[bytes]:
    prefix, objects = _under(namespace, "/")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for obj in objects:
            if not obj.uri.endswith("/" + FOLDER_MARKER):
                archive.writestr(obj.uri[len(prefix) :], _storage().get(obj.uri))
    return Response(
        200,
        "application/octet-stream",
        buffer.getvalue(),
        headers={"Content-Disposition": f'attachment; filename="{namespace}_files.zip"'},
    )


@router.get("/namespaces/<namespace>/files")
def file_content(namespace: str) -> Response[bytes]:
    path = _path("path")
    revision = query_int(router.current_event, "revision")
    revisions = _revisions(namespace, path)
    uri = _uri(namespace, path)
    if revision is not None and revisions:
        uri = f"{_revisions_prefix(namespace, path)}{revision}"
    elif revision not in (None, 1):
        raise NotFoundError(f"Namespace file '{path}' has no revision {revision}")
    try:
        content = _storage().get(uri)
    except NotFoundError:
        suffix = f" (revision {revision})" if revision is not None else ""
        raise NotFoundError(f"Namespace file '{path}' not found{suffix}") from None
    return Response(200, "application/octet-stream", content)


@router.get("/namespaces/<namespace>/files/revisions")
def file_revisions(namespace: str) -> list[dict[str, Any]]:
    """Every write of the file through the API is a revision; a file written otherwise has one."""
    path = _path("path")
    revisions = _revisions(namespace, path)
    if not revisions:
        if not _storage().exists(_uri(namespace, path)):
            raise NotFoundError(f"Namespace file '{path}' not found")
        revisions = [1]
    return [{"revision": revision} for revision in revisions]


@router.post("/namespaces/<namespace>/files")
def create_file(namespace: str) -> Response[str]:
    path = _path("path")
    upload = form(router.current_event).files.get("fileContent")
    if upload is None:
        raise ApiError(422, "Invalid entity: fileContent: a file part is required")
    _put(namespace, path, upload.content)
    return shapes.no_content()


@router.put("/namespaces/<namespace>/files")
def move(namespace: str) -> Response[str]:
    source, target = _path("from"), _path("to")
    storage = _storage()
    source_uri = _uri(namespace, source)
    if storage.exists(source_uri):
        moves = [(source_uri, _uri(namespace, target))]
    else:
        prefix, objects = _under(namespace, source)
        if not objects:
            raise NotFoundError(f"Namespace file '{source}' not found")
        target_prefix = _uri(namespace, target.rstrip("/") + "/")
        moves = [(obj.uri, target_prefix + obj.uri[len(prefix) :]) for obj in objects]
    for old, new in moves:
        storage.put(new.removeprefix("kestra:///"), storage.get(old))
        storage.delete(old)
    return shapes.no_content()


@router.delete("/namespaces/<namespace>/files")
def delete(namespace: str) -> Response[str]:
    path = _path("path")
    storage = _storage()
    for obj in storage.list(_revisions_prefix(namespace, path)):
        storage.delete(obj.uri)
    if not storage.delete(_uri(namespace, path)):
        objects = _under(namespace, path)[1]
        if not objects:
            raise NotFoundError(f"Namespace file '{path}' not found")
        for obj in objects:
            storage.delete(obj.uri)
    return shapes.no_content()


def _put(namespace: str, path: str, content: bytes) -> None:
    storage = _storage()
    storage.put(_uri(namespace, path).removeprefix("kestra:///"), content)
    revision = max(_revisions(namespace, path), default=0) + 1
    storage.put(f"{_revisions_prefix(namespace, path)}{revision}".removeprefix("kestra:///"), content)


def _revisions_prefix(namespace: str, path: str) -> str:
    try:
        return namespace_file_revisions(namespace, path)
    except ValueError as exc:
        raise ApiError(422, f"Invalid entity: path: {exc}") from None


def _revisions(namespace: str, path: str) -> list[int]:
    prefix = _revisions_prefix(namespace, path)
    names = (obj.uri[len(prefix) :] for obj in _storage().list(prefix))
    return sorted(int(name) for name in names if name.isdigit())
