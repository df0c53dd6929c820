"""io.kestra.plugin.core.flow.LoopUntil (alias WaitFor): run `tasks` until `condition` holds.

Between iterations the loop waits `checkFrequency.interval` on a timer (the task run and the execution
are PAUSED meanwhile, as in Kestra), then its children are created again with `iterationCount` + 1.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from pydantic import Field

from engine.expressions import is_truthy
from engine.model.state import StateType
from engine.task_api import (
    Duration,
    FlowableScope,
    FlowableTask,
    Model,
    NewTaskRun,
    TaskBase,
    TaskList,
    duration_property,
    task_type,
)

S = StateType


class CheckFrequency(Model):
    max_iterations: int | None = Field(None, alias="maxIterations", ge=1)
    max_duration: Duration | None = Field(None, alias="maxDuration")
    interval: Duration = "PT1M"


@task_type("io.kestra.plugin.core.flow.LoopUntil", "io.kestra.plugin.core.flow.WaitFor")
class LoopUntil(FlowableTask):
    relation: ClassVar[str] = "DYNAMIC"
    condition: str | bool
    tasks: TaskList = Field(min_length=1)
    fail_on_max_reached: bool = Field(False, alias="failOnMaxReached")
    check_frequency: CheckFrequency = Field(default_factory=CheckFrequency, alias="checkFrequency")

    def main_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        yield "tasks", self.tasks

    def start(self, scope: FlowableScope) -> Mapping[str, Any]:
        return {"iterationCount": 1}

    def resolve_nexts(self, scope: FlowableScope) -> list[NewTaskRun]:
        return scope.next_for_scope(self.tasks, self.errors, self.finally_)

    def resolve_state(self, scope: FlowableScope) -> StateType | None:
        current = scope.active_branch(self.tasks, self.errors, self.finally_)
        if [t.id for t in current] != [t.id for t in self.tasks] or scope.failed(self.tasks):
            return scope.resolve_state(self.tasks, self.errors, self.finally_)
        if not scope.all_terminated(self.tasks):
            return None
        condition = (
            self.condition if isinstance(self.condition, bool) else scope.render(self.condition, "condition")
        )
        if is_truthy(condition):
            return scope.final_state(self.tasks)
        if self._max_reached(scope):
            if self.fail_on_max_reached:
                # Kestra counts the iteration it refuses to start (iterationCount = maxIterations + 1).
                scope.set_outputs({"iterationCount": self._count(scope) + 1})
                return S.FAILED
            return scope.final_state(self.tasks)
        interval = duration_property(self.check_frequency.interval, "checkFrequency.interval")
        scope.pause(interval, next_iteration=True)
        return None

    def next_iteration(self, outputs: Mapping[str, Any]) -> Mapping[str, Any]:
        return {**outputs, "iterationCount": int(outputs.get("iterationCount", 0)) + 1}

    def _count(self, scope: FlowableScope) -> int:
        assert scope.run is not None
        return int(scope.run.outputs.get("iterationCount", 1))

    def _max_reached(self, scope: FlowableScope) -> bool:
        limit = self.check_frequency.max_iterations
        if limit is not None and self._count(scope) >= limit:
            return True
        if self.check_frequency.max_duration is None:
            return False
        assert scope.run is not None
        elapsed = scope.now() - scope.run.state.start_date
        return elapsed >= duration_property(self.check_frequency.max_duration, "checkFrequency.maxDuration")
