"""io.kestra.plugin.core.flow.WorkingDirectory: its tasks run one after the other on one worker, in one
directory they share (`{{ workingDir }}`), with the WorkingDirectory's `inputFiles` and `namespaceFiles`
in it first and its `outputFiles` kept after; the execution shows each child's task run. A child that
fails stops the others, as in a Sequential. And storage.LocalFiles, which writes and keeps files there.

Only runnable tasks run inside (Kestra's rule): they are what a worker runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import Field, model_validator

from engine.model.state import StateType
from engine.task_api import RunContext, RunnableTask, TaskBase, TaskFailedError, TaskList, task_type
from engine.task_api.scope import worst_state
from engine.tasks.task_files import NamespaceFiles, input_files, namespace_files

S = StateType


@task_type("io.kestra.plugin.core.flow.WorkingDirectory", "io.kestra.core.tasks.flows.WorkingDirectory")
class WorkingDirectory(RunnableTask):
    tasks: TaskList = Field(min_length=1)
    input_files: dict[str, str] | str | None = Field(None, alias="inputFiles")
    output_files: list[str] | None = Field(None, alias="outputFiles")
    namespace_files: NamespaceFiles | None = Field(None, alias="namespaceFiles")

    @model_validator(mode="after")
    def _runnable_children(self) -> WorkingDirectory:
        for task in self.tasks:
            if not isinstance(task, RunnableTask) or task.runs_its_children():
                raise ValueError(f"Only runnable tasks run inside a WorkingDirectory: '{task.id}' is not one")
        return self

    def child_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        yield "tasks", self.tasks

    def runs_its_children(self) -> bool:
        return True

    def run(self, ctx: RunContext) -> Mapping[str, Any] | None:
        with ctx.working_directory():
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
        return {"outputFiles": kept, "uris": kept} if kept else {}


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
