"""io.kestra.plugin.core.flow.If: the condition is rendered once, at start (output `evaluationResult`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from pydantic import Field

from engine.expressions import is_truthy
from engine.model.state import StateType
from engine.task_api import FlowableScope, FlowableTask, NewTaskRun, TaskBase, TaskList, task_type


@task_type("io.kestra.plugin.core.flow.If", "io.kestra.core.tasks.flows.If")
class If(FlowableTask):
    relation: ClassVar[str] = "CHOICE"
    condition: str | bool | int | float
    then: TaskList = Field(min_length=1)
    else_: TaskList | None = Field(None, alias="else")

    def main_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        yield "then", self.then
        if self.else_:
            yield "else", self.else_

    def start(self, scope: FlowableScope) -> Mapping[str, Any]:
        value = (
            self.condition
            if not isinstance(self.condition, str)
            else scope.render(self.condition, "condition")
        )
        return {"evaluationResult": is_truthy(value)}

    def _branch(self, scope: FlowableScope) -> list[TaskBase]:
        assert scope.run is not None
        return self.then if scope.run.outputs.get("evaluationResult") else (self.else_ or [])

    def resolve_nexts(self, scope: FlowableScope) -> list[NewTaskRun]:
        return scope.next_for_scope(self._branch(scope), self.errors, self.finally_)

    def resolve_state(self, scope: FlowableScope) -> StateType | None:
        return scope.resolve_state(self._branch(scope), self.errors, self.finally_)
