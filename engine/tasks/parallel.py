"""io.kestra.plugin.core.flow.Parallel: children at once, at most `concurrent` in flight (0 = no limit)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from pydantic import Field

from engine.model.state import StateType
from engine.task_api import FlowableScope, FlowableTask, NewTaskRun, TaskBase, TaskList, task_type


@task_type("io.kestra.plugin.core.flow.Parallel", "io.kestra.core.tasks.flows.Parallel")
class Parallel(FlowableTask):
    relation: ClassVar[str] = "PARALLEL"
    tasks: TaskList = Field(min_length=1)
    concurrent: int = Field(0, ge=0)

    def main_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        yield "tasks", self.tasks

    def resolve_nexts(self, scope: FlowableScope) -> list[NewTaskRun]:
        return scope.next_parallel(self.tasks, self.errors, self.finally_, self.concurrent)

    def resolve_state(self, scope: FlowableScope) -> StateType | None:
        return scope.resolve_state(self.tasks, self.errors, self.finally_)
