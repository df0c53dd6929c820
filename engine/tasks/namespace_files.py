"""io.kestra.plugin.core.namespace: UploadFiles, DownloadFiles, DeleteFiles — namespace files (what
`read()`, `namespaceFiles` and the API's `/namespaces/{namespace}/files` see) from a task. Paths match
Kestra's patterns (engine/model/path_patterns.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, model_validator

from engine.model.path_patterns import matcher
from engine.task_api import RunContext, RunnableTask, TaskFailedError, task_type


def _patterns(ctx: RunContext, files: str | list[str], prop: str = "files") -> list[str]:
    return [ctx.render(files, prop)] if isinstance(files, str) else [ctx.render(f, prop) for f in files]


def _matching(ctx: RunContext, namespace: str, files: str | list[str]) -> dict[str, bytes]:
    """The namespace's files the patterns match, by absolute path."""
    wanted = matcher(_patterns(ctx, files))
    every = {f"/{path}": data for path, data in ctx.namespace_files(namespace).items()}
    return {path: data for path, data in every.items() if wanted(path)}


@task_type("io.kestra.plugin.core.namespace.DownloadFiles")
class DownloadFiles(RunnableTask):
    namespace: str
    files: str | list[str]
    destination: str = ""

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        namespace = ctx.render(self.namespace, "namespace")
        destination = ctx.render(self.destination, "destination").strip("/")
        downloaded = {
            path: ctx.put_file("/".join(p for p in (destination, path.lstrip("/")) if p), data)
            for path, data in _matching(ctx, namespace, self.files).items()
        }
        return {"files": downloaded}


@task_type("io.kestra.plugin.core.namespace.DeleteFiles")
class DeleteFiles(RunnableTask):
    namespace: str
    files: str | list[str]

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        namespace = ctx.render(self.namespace, "namespace")
        for path in _matching(ctx, namespace, self.files):
            ctx.delete_namespace_file(namespace, path)
            ctx.log("DEBUG", f"Deleted {path}")
        return None


@task_type("io.kestra.plugin.core.namespace.UploadFiles")
class UploadFiles(RunnableTask):
    """`filesMap` names each file's destination; `files` are `kestra://` URIs (each under `destination` by
    its name)."""

    namespace: str
    files: str | list[str] | None = None
    files_map: dict[str, str] | str | None = Field(None, alias="filesMap")
    destination: str = "/"
    conflict: Literal["OVERWRITE", "ERROR", "SKIP"] = "OVERWRITE"

    @model_validator(mode="after")
    def _something(self) -> UploadFiles:
        if self.files is None and self.files_map is None:
            raise ValueError("files or filesMap is required")
        return self

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        namespace = ctx.render(self.namespace, "namespace")
        destination = "/" + ctx.render(self.destination, "destination").strip("/")
        existing = set(ctx.namespace_files(namespace))
        for target, uri in self._sources(ctx, destination).items():
            if target.lstrip("/") in existing:
                if self.conflict == "ERROR":
                    raise TaskFailedError(f"File '{target}' already exists in namespace '{namespace}'")
                if self.conflict == "SKIP":
                    continue
            ctx.put_namespace_file(namespace, target, ctx.read_file(uri))
        return None

    def _sources(self, ctx: RunContext, destination: str) -> dict[str, str]:
        """Destination path → source URI."""
        sources: dict[str, str] = {}
        if self.files_map is not None:
            declared = self.files_map
            if isinstance(declared, str):
                loaded = json.loads(ctx.render(declared, "filesMap"))
                if not isinstance(loaded, dict):
                    raise TaskFailedError("filesMap must be a map of destinations to file URIs")
                declared = {str(k): str(v) for k, v in loaded.items()}
            for target, uri in declared.items():
                rendered = ctx.render(target, "filesMap")
                path = rendered if rendered.startswith("/") else f"{destination.rstrip('/')}/{rendered}"
                sources[path] = ctx.render(uri, f"filesMap.{target}")
        for uri in _patterns(ctx, self.files or []):
            sources[f"{destination.rstrip('/')}/{uri.rsplit('/', 1)[-1]}"] = uri
        return sources
