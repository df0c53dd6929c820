"""StepScope: the task API's FlowableScope, answered by the step being taken."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from msgspec.structs import replace

from engine.executor.step import Step
from engine.model.execution import TaskRun, TaskRuns
from engine.model.state import StateType
from engine.task_api import FlowableScope, TaskBase


class StepScope(FlowableScope):
    def __init__(self, step: Step, run: TaskRun | None, task: TaskBase | None) -> None:
        super().__init__(run, task)
        self.step = step

    @property
    def killing(self) -> bool:
        return self.step.execution.state.current == StateType.KILLING

    @property
    def task_runs(self) -> TaskRuns:
        return self.step.execution.task_runs

    def now(self) -> datetime:
        return self.step.now()

    def log(self, level: str, message: str) -> None:
        self.step.log(level, message, self.run)

    def render(self, template: str, prop: str) -> str:
        return str(self.step.render_for(self._own_run(), prop, template))

    def render_typed(self, template: str, prop: str) -> Any:
        return self.step.render_for(self._own_run(), prop, template, mode="typed")

    def render_value(self, value: Any, prop: str) -> Any:
        return self.step.render_for(self._own_run(), prop, value, mode="value")

    def pause(self, duration: timedelta | None, *, next_iteration: bool = False) -> None:
        self.run = self.step.hold(self._own_run(), duration, next_iteration=next_iteration)

    def set_outputs(self, outputs: Mapping[str, Any]) -> None:
        run = self._own_run()
        self.run = self.step.put(replace(run, outputs={**run.outputs, **outputs}))

    def set_loop_values(self, values: list[str]) -> None:
        self.run = self.step.set_loop_values(self._own_run(), values)

    def loop_cursor(self) -> int:
        return self.step.loop_cursors.get(self._own_run().id, 0)

    def set_loop_cursor(self, done: int) -> None:
        self.step.loop_cursors[self._own_run().id] = done

    def inline_room(self, task: TaskBase) -> int | None:
        return self.step.inline_room(task)

    def defer(self) -> None:
        self.step.defer()

    def _own_run(self) -> TaskRun:
        assert self.run is not None, "the flow scope has no task run of its own"
        return self.run
