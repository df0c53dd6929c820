"""io.kestra.plugin.core.flow.Pause (spec part 2 §13.1): wait for a resume, a duration or a timeout.

The executor holds the pause (the task run and the execution go PAUSED, a timer is set); this module
says how long, what the timer ends it with, and what runs once it is resumed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pydantic import AliasChoices, Field

from engine.model.state import StateType
from engine.task_api import (
    Duration,
    FlowableScope,
    FlowableTask,
    Input,
    NewTaskRun,
    TaskBase,
    TaskList,
    TaskRef,
    apply_allow,
    duration_property,
    task_type,
)

S = StateType
_BEHAVIOR = {"RESUME": S.RUNNING, "WARN": S.WARNING, "FAIL": S.FAILED, "CANCEL": S.CANCELLED}


@task_type("io.kestra.plugin.core.flow.Pause", "io.kestra.core.tasks.flows.Pause")
class Pause(FlowableTask):
    # `delay` is the deprecated spelling (removed in Kestra 2.0).
    pause_duration: Duration | None = Field(None, validation_alias=AliasChoices("pauseDuration", "delay"))
    behavior: str = "RESUME"
    on_resume: list[Input] | None = Field(None, alias="onResume")
    on_pause: Annotated[TaskBase, TaskRef] | None = Field(None, alias="onPause")
    # Deprecated: run after the resume (removed in Kestra 2.0).
    tasks: TaskList | None = None

    def main_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        if self.tasks:
            yield "tasks", self.tasks
        if self.on_pause is not None:
            yield "onPause", [self.on_pause]

    def continues_after_pause(self) -> bool:
        """Without children to run after the resume, the resume itself ends the task run."""
        return bool(self.tasks or self.errors or self.finally_)

    def resume_inputs(self) -> list[Input]:
        return list(self.on_resume or [])

    def start(self, scope: FlowableScope) -> Mapping[str, Any]:
        wait = self.pause_duration or self.timeout
        scope.pause(
            duration_property(scope.render(wait, "pauseDuration"), "pause duration") if wait else None
        )
        return {}

    def pause_elapsed(self, scope: FlowableScope) -> StateType:
        """`behavior` after `pauseDuration`, a failure after `timeout`."""
        if self.pause_duration is None:
            return apply_allow(S.FAILED, self.allow_failure, self.allow_warning)
        behavior = scope.render(self.behavior, "behavior").strip().upper()
        if behavior not in _BEHAVIOR:
            raise ValueError(f"Invalid behavior '{behavior}', expected one of {', '.join(_BEHAVIOR)}")
        return _BEHAVIOR[behavior]

    def resolve_nexts(self, scope: FlowableScope) -> list[NewTaskRun]:
        run = scope.run
        assert run is not None
        if run.state.current == S.PAUSED:
            started = self.on_pause is not None and scope.runs_of([self.on_pause])
            return [NewTaskRun(self.on_pause)] if self.on_pause is not None and not started else []
        target = _resumed_to(run.outputs)
        if target is None:
            return []
        return scope.next_sequential(self._branch(scope, target))

    def resolve_state(self, scope: FlowableScope) -> StateType | None:
        run = scope.run
        assert run is not None
        target = _resumed_to(run.outputs)
        if run.state.current == S.PAUSED or target is None:
            return None
        current = self._branch(scope, target)
        if not scope.all_terminated(current):
            return None
        return scope.final_state(self.tasks or [], terminal=target)

    def _branch(self, scope: FlowableScope, target: StateType) -> list[TaskBase]:
        """After the resume, the children run as a Sequential's: one failing hands over to `errors`. A
        pause that ends FAILED (its timeout) goes to `errors` at once."""
        failed = True if target == S.FAILED else None
        return scope.active_branch(self.tasks, self.errors, self.finally_, main_failed=failed)


def _resumed_to(outputs: Mapping[str, Any]) -> StateType | None:
    resumed = outputs.get("resumed")
    return S(resumed["to"]) if isinstance(resumed, Mapping) and resumed.get("to") else None
