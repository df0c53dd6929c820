"""io.kestra.plugin.core.flow.Sequential: children one after the other."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from engine.model.state import StateType
from engine.task_api import FlowableScope, FlowableTask, NewTaskRun, TaskBase, TaskList, task_type


@task_type("io.kestra.plugin.core.flow.Sequential", "io.kestra.core.tasks.flows.Sequential")
class Sequential(FlowableTask):
    tasks: TaskList = Field(min_length=1)

    def main_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        yield "tasks", self.tasks

    def resolve_nexts(self, scope: FlowableScope) -> list[NewTaskRun]:
        return scope.next_for_scope(self.tasks, self.errors, self.finally_)

    def resolve_state(self, scope: FlowableScope) -> StateType | None:
        return scope.resolve_state(self.tasks, self.errors, self.finally_)
