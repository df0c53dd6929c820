"""io.kestra.plugin.core.http.Download: a file from an HTTP server into the execution's storage; its
`kestra://` URI, the response's status and headers, and its length are the outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import Field

from engine.task_api import RunContext, TaskFailedError, task_type
from engine.tasks.http_request import HttpTask
from engine.tasks.properties import render_bool

DEFAULT_NAME = "download"


@task_type("io.kestra.plugin.core.http.Download", "io.kestra.plugin.fs.http.Download")
class Download(HttpTask):
    fail_on_empty_response: bool | str = Field(True, alias="failOnEmptyResponse")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        url, headers, content, timeout = self.prepared(ctx)

        def name_for(status: int, received: dict[str, str]) -> str:
            self.check_status(ctx, status)
            return _from_disposition(received.get("content-disposition")) or _from_path(url) or DEFAULT_NAME

        # Streamed into storage as it comes: a file of any size, never whole in the worker's memory.
        code, received, uri, length = ctx.download(
            self.method, url, headers, content, timeout, name_for=name_for
        )
        if not length:
            allowed = render_bool(ctx, self.allow_failed, "allowFailed")
            if render_bool(ctx, self.fail_on_empty_response, "failOnEmptyResponse") and not allowed:
                raise TaskFailedError("No response from server")
            ctx.log("WARN", f"File '{url}' is empty")
        return {"uri": uri, "code": code, "headers": {k: [v] for k, v in received.items()}, "length": length}


def _from_disposition(value: str | None) -> str | None:
    """The file name a Content-Disposition gives (`filename*=UTF-8''…` preferred), its path dropped."""
    found = None
    for part in (value or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == "filename" and found is None:
            found = value.strip('"')
        elif key == "filename*":
            found = unquote(value.split("''", 1)[-1].strip('"'))
    return _safe(found)


def _from_path(url: str) -> str | None:
    return _safe(unquote(urlsplit(url).path.rsplit("/", 1)[-1]))


def _safe(name: str | None) -> str | None:
    """A name with no path in it (a server cannot choose where the file goes)."""
    if not name:
        return None
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return name if name not in ("", ".", "..") else None
