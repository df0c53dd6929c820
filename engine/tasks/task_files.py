"""The files a task puts in its working directory (script tasks, WorkingDirectory, LocalFiles):
`inputFiles` (contents, or `kestra://` files) and `namespaceFiles` (include and exclude patterns)."""

from __future__ import annotations

import json

from engine.model.path_patterns import matcher
from engine.task_api import Model, RunContext, TaskFailedError


class NamespaceFiles(Model):
    enabled: bool = True
    include: list[str] | None = None
    exclude: list[str] | None = None


def input_files(
    ctx: RunContext, declared: dict[str, str] | str | None, prop: str = "inputFiles"
) -> dict[str, bytes]:
    """Each file's content, rendered; a `kestra://` URI is that file. A string is a JSON map (or a
    `kestra://` file holding one)."""
    if declared is None:
        return {}
    if isinstance(declared, str):
        rendered = ctx.render(declared, prop)
        loaded = (
            json.loads(ctx.read_file(rendered)) if rendered.startswith("kestra://") else json.loads(rendered)
        )
        if not isinstance(loaded, dict):
            raise TaskFailedError(f"{prop} must be a map of file names to contents")
        declared = {str(k): str(v) for k, v in loaded.items()}
    files = {}
    for name, content in declared.items():
        text = ctx.render(content, f"{prop}.{name}")
        files[ctx.render(name, prop)] = ctx.read_file(text) if text.startswith("kestra://") else text.encode()
    return files


def namespace_files(ctx: RunContext, wanted: NamespaceFiles | None) -> dict[str, bytes]:
    """The flow's namespace files `include` matches and `exclude` does not (Kestra's path patterns)."""
    if wanted is None or not wanted.enabled:
        return {}
    namespace = ctx.render("{{ flow.namespace }}", "namespaceFiles")
    include = matcher(wanted.include or ["**"])
    exclude = matcher(wanted.exclude or [])
    return {
        path: data
        for path, data in ctx.namespace_files(namespace).items()
        if include(f"/{path}") and not exclude(f"/{path}")
    }
