"""Where Kestra puts things in internal storage (`kestra:///…`), and who may read them."""

from __future__ import annotations

import re
import unicodedata

SCHEME = "kestra:///"


def kestra_uri(path: str) -> str:
    return SCHEME + path.lstrip("/")


def kestra_path(uri: str) -> str:
    """The path inside internal storage, without a leading slash."""
    if not uri.startswith(SCHEME) or len(uri) == len(SCHEME):
        raise ValueError(f"not an internal storage URI: {uri!r}")
    return uri[len(SCHEME) :]


def slugify(text: str) -> str:
    """Kestra's Slugify: accents dropped, lower case, every other run of characters a single `-`."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def namespace_path(namespace: str) -> str:
    return namespace.replace(".", "/")


# An empty object that keeps a namespace folder created empty (the API's `directory` route).
FOLDER_MARKER = ".kite-folder"


def namespace_file_uri(namespace: str, path: str) -> str:
    """A namespace file's URI (`fileURI()`); the path may not climb out of the namespace."""
    relative = path.lstrip("/")
    if ".." in relative.split("/"):
        raise ValueError("Path must not contain '../'")
    return f"{SCHEME}{namespace_path(namespace)}/_files/{relative}"


def namespace_file_revisions(namespace: str, path: str) -> str:
    """Where the revisions of a namespace file written through the API are kept, one object each."""
    relative = namespace_file_uri(namespace, path).split("/_files/", 1)[1]
    return f"{SCHEME}{namespace_path(namespace)}/_revisions/{relative}/"


def flow_prefix(namespace: str, flow_id: str) -> str:
    """A flow's files: its executions', and its tasks' caches."""
    return f"{SCHEME}{namespace_path(namespace)}/{slugify(flow_id)}/"


def execution_prefix(namespace: str, flow_id: str, execution_id: str) -> str:
    """Every file an execution writes lives under this URI prefix."""
    return f"{flow_prefix(namespace, flow_id)}executions/{execution_id}/"


def belongs_to(uri: str, prefix: str) -> bool:
    """True when `uri` is under `prefix` without any `..` segment to climb out of it."""
    return uri.startswith(prefix) and ".." not in uri[len(SCHEME) :].split("/")
