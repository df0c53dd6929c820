"""io.kestra.plugin.core.storage: files of the execution's internal storage — Size, Delete,
PurgeCurrentExecutionFiles, Concat, Reverse, Split, as Kestra has them (a new file's name keeps its
source's extension)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import Field, model_validator

from engine.task_api import Model, RunContext, RunnableTask, TaskFailedError, task_type
from engine.tasks.properties import render_bool

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?B?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "M": 1024**2, "MB": 1024**2, "G": 1024**3, "GB": 1024**3}


def _extension(uri: str, default: str = ".tmp") -> str:
    name = uri.rsplit("/", 1)[-1]
    return name[name.rindex(".") :] if "." in name else default


def _lines(data: bytes) -> list[str]:
    """The rows of a file, as Java's readLine sees them (`\\n`, `\\r\\n` or `\\r` end a row)."""
    return data.decode("utf-8").splitlines()


@task_type("io.kestra.plugin.core.storage.Size", "io.kestra.core.tasks.storages.Size")
class Size(RunnableTask):
    uri: str

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        return {"size": ctx.file_size(ctx.render(self.uri, "uri"))}


@task_type("io.kestra.plugin.core.storage.Delete", "io.kestra.core.tasks.storages.Delete")
class Delete(RunnableTask):
    uri: str
    error_on_missing: bool | str = Field(False, alias="errorOnMissing")

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        uri = ctx.render(self.uri, "uri")
        deleted = ctx.delete_file(uri)
        if not deleted and render_bool(ctx, self.error_on_missing, "errorOnMissing"):
            raise TaskFailedError(f"Unable to find file '{uri}'")
        return {"uri": uri, "deleted": deleted}


@task_type(
    "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles", "io.kestra.core.tasks.storages.PurgeExecution"
)
class PurgeCurrentExecutionFiles(RunnableTask):
    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        return {"uris": ctx.purge_execution_files()}


@task_type("io.kestra.plugin.core.storage.Concat", "io.kestra.core.tasks.storages.Concat")
class Concat(RunnableTask):
    files: list[str] | str
    separator: str | None = None
    extension: str = ".tmp"

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        if isinstance(self.files, str):
            listed = json.loads(ctx.render(self.files, "files"))
            if not isinstance(listed, list):
                raise TaskFailedError("Invalid `files` property: a JSON list of URIs expected")
            uris = [str(uri) for uri in listed]
        else:
            uris = [ctx.render(uri, "files") for uri in self.files]
        separator = (self.separator or "").encode()
        data = b"".join(ctx.read_file(uri) + separator for uri in uris)
        return {"uri": ctx.put_file(f"concat{ctx.render(self.extension, 'extension')}", data)}


@task_type("io.kestra.plugin.core.storage.Reverse", "io.kestra.core.tasks.storages.Reverse")
class Reverse(RunnableTask):
    from_: str = Field(alias="from")
    separator: str = "\n"
    charset: str = "UTF-8"

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        uri = ctx.render(self.from_, "from")
        charset = ctx.render(self.charset, "charset")
        separator = ctx.render(self.separator, "separator")
        try:
            rows = ctx.read_file(uri).decode(charset).splitlines()
        except (LookupError, UnicodeDecodeError) as exc:
            raise TaskFailedError(f"Unable to read '{uri}' as {charset}: {exc}") from None
        data = "".join(row + separator for row in reversed(rows)).encode(charset)
        return {"uri": ctx.put_file(f"reverse{_extension(uri)}", data)}


class Rows(Model):
    """How a file's rows are split into files (StorageService.split): by `bytes` (`10MB`), into `partitions`
    files (round-robin), or `rows` a file (one when none is given). Split's properties, ForEachItem's
    `batch`."""

    bytes_: str | None = Field(None, alias="bytes")
    partitions: int | str | None = None
    rows: int | str | None = None
    separator: str = "\n"

    def split(self, ctx: RunContext, data: bytes) -> list[bytes]:
        ending = ctx.render(self.separator, "separator")
        lines = [(row + ending).encode() for row in _lines(data)]
        if self.bytes_ is not None:
            limit = _bytes(ctx.render(self.bytes_, "bytes"))
            return _grouped(lines, lambda total, count: total >= limit)
        if self.partitions is not None:
            count = _positive(ctx, self.partitions, "partitions")
            parts = [b"".join(lines[index::count]) for index in range(count)]
            return [part for part in parts if part]
        per_file = _positive(ctx, self.rows if self.rows is not None else 1, "rows")
        return _grouped(lines, lambda total, count: count >= per_file)


@task_type("io.kestra.plugin.core.storage.Split", "io.kestra.core.tasks.storages.Split")
class Split(RunnableTask, Rows):
    from_: str = Field(alias="from")

    @model_validator(mode="after")
    def _one_way(self) -> Split:
        if self.bytes_ is None and self.partitions is None and self.rows is None:
            raise ValueError("Invalid configuration with no size, count, nor rows")
        return self

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        uri = ctx.render(self.from_, "from")
        chunks = self.split(ctx, ctx.read_file(uri))
        extension = _extension(uri)
        return {
            "uris": [ctx.put_file(f"split-{index}{extension}", chunk) for index, chunk in enumerate(chunks)]
        }


def _grouped(rows: list[bytes], full: Callable[[int, int], bool]) -> list[bytes]:
    """Rows into files, a new one started once `full(bytes, rows)` of the current one holds."""
    files: list[list[bytes]] = []
    size = count = 0
    for row in rows:
        if not files or full(size, count):
            files.append([])
            size = count = 0
        files[-1].append(row)
        size, count = size + len(row), count + 1
    return [b"".join(rows_of) for rows_of in files]


def _positive(ctx: RunContext, value: int | str, prop: str) -> int:
    text = ctx.render(str(value), prop)
    if not text.strip().isdigit() or int(text) < 1:
        raise TaskFailedError(f"Invalid '{prop}' value '{text}': a positive whole number expected")
    return int(text)


def _bytes(text: str) -> int:
    """A size as Micronaut reads it: `10MB`, `512KB`, `1024`."""
    match = _SIZE.match(text)
    unit = match[2].upper() if match else ""
    if match is None or unit not in _UNITS:
        raise TaskFailedError(f"Invalid size with value '{text}'")
    return int(float(match[1]) * _UNITS[unit])
