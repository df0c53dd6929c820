"""io.kestra.plugin.core.flow.WorkingDirectory: its tasks run one after the other on one worker, in one
directory they share (`{{ workingDir }}`), with the WorkingDirectory's `inputFiles` and `namespaceFiles`
in it first and its `outputFiles` kept after; the execution shows each child's task run. A child that
fails stops the others, as in a Sequential; one with its own `retry` runs again first, in the same
directory. And storage.LocalFiles, which writes and keeps files there.

Only runnable tasks run inside (Kestra's rule): they are what a worker runs.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import Field, model_validator

from engine.model.state import StateType
from engine.task_api import (
    Duration,
    Model,
    RunContext,
    RunnableTask,
    TaskBase,
    TaskFailedError,
    TaskList,
    duration_property,
    task_type,
)
from engine.task_api.scope import worst_state
from engine.tasks.task_files import NamespaceFiles, input_files, namespace_files

S = StateType


class Cache(Model):
    """Files of the directory kept from one execution to the next (`node_modules/**`), for `ttl`."""

    patterns: list[str] = Field(min_length=1)
    ttl: Duration | None = None


@task_type("io.kestra.plugin.core.flow.WorkingDirectory", "io.kestra.core.tasks.flows.WorkingDirectory")
class WorkingDirectory(RunnableTask):
    tasks: TaskList = Field(min_length=1)
    input_files: dict[str, str] | str | None = Field(None, alias="inputFiles")
    output_files: list[str] | None = Field(None, alias="outputFiles")
    namespace_files: NamespaceFiles | None = Field(None, alias="namespaceFiles")
    cache: Cache | None = None

    @model_validator(mode="after")
    def _runnable_children(self) -> WorkingDirectory:
        for task in self.tasks:
            if not isinstance(task, RunnableTask) or task.runs_its_children():
                raise ValueError(f"Only runnable tasks run inside a WorkingDirectory: '{task.id}' is not one")
            if task.retry is not None and task.retry.behavior != "RETRY_FAILED_TASK":
                raise ValueError(
                    f"Task '{task.id}' retries inside the WorkingDirectory, in its directory: its retry "
                    "behavior can only be RETRY_FAILED_TASK (CREATE_NEW_EXECUTION goes on the directory)"
                )
        return self

    def child_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        yield "tasks", self.tasks

    def runs_its_children(self) -> bool:
        return True

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        with ctx.working_directory():
            cached = self._restore_cache(ctx)
            ctx.write_files(
                {**namespace_files(ctx, self.namespace_files), **input_files(ctx, self.input_files)}
            )
            states = []
            for task in self.tasks:
                if task.disabled:
                    continue
                child = ctx.run_child(task)
                states.append(child.state.current)
                if child.state.current in (S.FAILED, S.KILLED):
                    break
            state = worst_state(states, S.SUCCESS)
            if state == S.FAILED:
                raise TaskFailedError("A task of the working directory failed")
            if state == S.WARNING:
                ctx.warn()
            patterns = [ctx.render(pattern, "outputFiles") for pattern in self.output_files or ()]
            kept = {name: ctx.put_file(name, data) for name, data in ctx.collect_files(patterns).items()}
            self._save_cache(ctx, cached)
        return {"outputFiles": kept, "uris": kept} if kept else {}

    def _restore_cache(self, ctx: RunContext) -> dict[str, bytes]:
        """The files the last execution cached, put back first (what the flow writes then wins)."""
        if self.cache is None:
            return {}
        ttl = self.cache.ttl
        archive = ctx.cache_file(
            duration_property(ctx.render(ttl, "cache.ttl"), "cache.ttl") if ttl else None
        )
        if archive is None:
            return {}
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            files = {name: opened.read(name) for name in opened.namelist() if not name.endswith("/")}
        ctx.write_files(files)
        ctx.log("DEBUG", f"Cache restored: {len(files)} files")
        return files

    def _save_cache(self, ctx: RunContext, restored: Mapping[str, bytes]) -> None:
        """The files the patterns match, kept for the next execution when they changed."""
        if self.cache is None:
            return
        files = ctx.collect_files([ctx.render(pattern, "cache.patterns") for pattern in self.cache.patterns])
        if not files or files == restored:
            return
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in sorted(files.items()):
                archive.writestr(name, data)
        ctx.log("DEBUG", f"Caching {len(files)} files in {ctx.put_cache_file(buffer.getvalue())}")


@task_type("io.kestra.plugin.core.storage.LocalFiles", "io.kestra.core.tasks.storages.LocalFiles")
class LocalFiles(RunnableTask):
    """Deprecated in Kestra for `inputFiles`/`outputFiles`, still in its examples: files into the
    WorkingDirectory it runs in (`inputs`), and files of it kept (`outputs`, as `uris`)."""

    inputs: dict[str, str] | str | None = None
    outputs: list[str] | None = None

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        ctx.write_files(input_files(ctx, self.inputs, "inputs"))
        patterns = [ctx.render(pattern, "outputs") for pattern in self.outputs or ()]
        return {
            "uris": {name: ctx.put_file(name, data) for name, data in ctx.collect_files(patterns).items()}
        }
