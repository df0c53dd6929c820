"""io.kestra.plugin.core.flow.Switch: the rendered `value` picks a case by exact string equality."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from pydantic import field_validator, model_validator

from engine.model.state import StateType
from engine.task_api import FlowableScope, FlowableTask, NewTaskRun, TaskBase, TaskList, task_type


@task_type("io.kestra.plugin.core.flow.Switch", "io.kestra.core.tasks.flows.Switch")
class Switch(FlowableTask):
    relation: ClassVar[str] = "CHOICE"
    value: str | int | float | bool
    cases: dict[str, TaskList] | None = None
    defaults: TaskList | None = None

    @field_validator("cases", mode="before")
    @classmethod
    def _string_keys(cls, value: Any) -> Any:
        # YAML reads `1:` as an int; Kestra compares case keys as strings.
        if isinstance(value, dict):
            return {_case_key(k): v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _has_tasks(self) -> Switch:
        if not self.cases and not self.defaults:
            raise ValueError("No task defined, neither cases or default have any tasks")
        return self

    def main_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        for key, tasks in (self.cases or {}).items():
            yield f"cases.{key}", tasks
        if self.defaults:
            yield "defaults", self.defaults

    def start(self, scope: FlowableScope) -> Mapping[str, Any]:
        value = self.value if not isinstance(self.value, str) else scope.render(self.value, "value")
        rendered = _case_key(value)
        return {"value": rendered, "defaults": rendered not in (self.cases or {})}

    def _branch(self, scope: FlowableScope) -> list[TaskBase] | None:
        assert scope.run is not None
        if scope.run.outputs.get("defaults"):
            return self.defaults
        return (self.cases or {}).get(str(scope.run.outputs.get("value")))

    def resolve_nexts(self, scope: FlowableScope) -> list[NewTaskRun]:
        branch = self._branch(scope)
        return [] if branch is None else scope.next_for_scope(branch, self.errors, self.finally_)

    def resolve_state(self, scope: FlowableScope) -> StateType | None:
        branch = self._branch(scope)
        if branch is None:
            value = scope.run and scope.run.outputs.get("value")
            scope.log("ERROR", f"No task found on flow for switch value '{value}'")
            return scope.resolve_state_from(StateType.FAILED)
        return scope.resolve_state(branch, self.errors, self.finally_)


def _case_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
