"""io.kestra.plugin.core.flow.ForEach and the legacy EachSequential / EachParallel (spec part 1 §2.5).

Values are rendered once, de-duplicated and kept on the loop's task run. Each value is an iteration
group whose tasks run sequentially; at most `concurrencyLimit` groups are in flight (0 = all).
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from msgspec import Struct, field
from pydantic import Field

from engine.expressions import to_pebble_string
from engine.model.execution import TaskRun
from engine.model.state import StateType
from engine.task_api import (
    FlowableScope,
    FlowableTask,
    NewTaskRun,
    TaskBase,
    TaskFailedError,
    TaskList,
    enabled,
    task_type,
    worst_state,
)

S = StateType


class _Progress(Struct):
    """Where a loop stands. Groups before `done` are complete and never looked at again, so one pass
    costs the same at iteration 10 and at iteration 10,000."""

    values: tuple[str, ...]
    done: int
    started: int
    active: dict[str, list[TaskRun]] = field(default_factory=dict)
    states: Counter[StateType] = field(default_factory=Counter)

    @property
    def failed(self) -> bool:
        return self.states[S.FAILED] > 0

    @property
    def main_done(self) -> bool:
        return self.done == len(self.values)


def _group_done(runs: list[TaskRun], body: list[TaskBase]) -> bool:
    return bool(runs) and runs[-1].task_id == body[-1].id and all(r.state.current.terminated for r in runs)


class _Loop(FlowableTask):
    relation: ClassVar[str] = "DYNAMIC"
    tasks: TaskList = Field(min_length=1)

    def main_lists(self) -> Iterator[tuple[str, list[TaskBase]]]:
        yield "tasks", self.tasks

    @abstractmethod
    def raw_values(self) -> Any:
        """The property holding the values (`values`, or `value` for the legacy tasks)."""

    @abstractmethod
    def limit(self) -> int:
        """How many iteration groups may be in flight; 0 = all."""

    def start(self, scope: FlowableScope) -> Mapping[str, Any]:
        scope.set_loop_values(_resolve_values(self.raw_values(), scope))
        return {}

    def _progress(self, scope: FlowableScope, body: list[TaskBase]) -> _Progress:
        assert scope.run is not None
        loop = scope.run.id
        runs = scope.task_runs
        values = scope.run.loop_values or ()
        started = runs.values_started(loop)
        done = scope.loop_cursor()
        while done < started and _group_done(runs.with_value(loop, values[done]), body):
            done += 1
        scope.set_loop_cursor(done)
        progress = _Progress(values, done, started, states=Counter(runs.state_counts(loop)))
        progress.active = {value: runs.with_value(loop, value) for value in values[done:started]}
        for handler in scope.runs_of([*enabled(self.errors), *enabled(self.finally_)]):
            progress.states[handler.state.current] -= 1
        return progress

    def _branch(self, scope: FlowableScope, progress: _Progress, body: list[TaskBase]) -> list[TaskBase]:
        return scope.active_branch(
            body, self.errors, self.finally_, main_failed=progress.failed, main_done=progress.main_done
        )

    def resolve_nexts(self, scope: FlowableScope) -> list[NewTaskRun]:
        body = enabled(self.tasks)
        if not body:
            return []  # nothing enabled to iterate: resolve_state ends the loop SUCCESS
        progress = self._progress(scope, body)
        branch = self._branch(scope, progress, body)
        if [t.id for t in branch] != [t.id for t in body]:
            return scope.next_sequential(branch)
        if scope.killing:
            return []
        index = {value: i for i, value in enumerate(progress.values)}
        new: list[NewTaskRun] = []
        in_flight = 0
        for value, runs in progress.active.items():
            if any(not r.state.current.terminated for r in runs):
                in_flight += 1
                continue
            position = next(i for i, t in enumerate(body) if t.id == runs[-1].task_id)
            if position + 1 < len(body):
                new.append(NewTaskRun(body[position + 1], value, index[value]))
                in_flight += 1
        limit = self.limit()
        free = len(progress.values) if limit == 0 else limit - in_flight
        waiting = progress.values[progress.started :]
        wanted = min(max(free, 0), len(waiting))
        room = scope.inline_room(body[0])
        if room is not None and room < wanted:
            wanted = room
            scope.defer()
        for value in waiting[:wanted]:
            new.append(NewTaskRun(body[0], value, index[value]))
        return new

    def resolve_state(self, scope: FlowableScope) -> StateType | None:
        body = enabled(self.tasks)
        if not body or not (scope.run and scope.run.loop_values):
            return scope.resolve_state_from(S.SUCCESS)
        progress = self._progress(scope, body)
        branch = self._branch(scope, progress, body)
        if [t.id for t in branch] == [t.id for t in body]:
            done = progress.main_done
        else:
            done = scope.all_terminated(branch) if branch else progress.failed
        if not done:
            return None
        return scope.resolve_state_from(worst_state(dict(progress.states)))


@task_type("io.kestra.plugin.core.flow.ForEach")
class ForEach(_Loop):
    values: list[Any] | str
    concurrency_limit: int = Field(1, alias="concurrencyLimit", ge=0)

    def raw_values(self) -> Any:
        return self.values

    def limit(self) -> int:
        return self.concurrency_limit


@task_type("io.kestra.plugin.core.flow.EachSequential", "io.kestra.core.tasks.flows.EachSequential")
class EachSequential(_Loop):
    value: list[Any] | str

    def raw_values(self) -> Any:
        return self.value

    def limit(self) -> int:
        return 1


@task_type("io.kestra.plugin.core.flow.EachParallel", "io.kestra.core.tasks.flows.EachParallel")
class EachParallel(_Loop):
    value: list[Any] | str
    concurrent: int = Field(0, ge=0)

    def raw_values(self) -> Any:
        return self.value

    def limit(self) -> int:
        return self.concurrent


def _resolve_values(raw: Any, scope: FlowableScope) -> list[str]:
    """FlowableUtils.resolveValues: strings rendered, numbers printed, maps as JSON; then distinct."""
    if isinstance(raw, str):
        rendered = scope.render(raw, "values")
        try:
            raw = json.loads(rendered)
        except ValueError as exc:
            raise TaskFailedError(
                f"Unable to parse the iteration values '{rendered}' as a JSON array"
            ) from exc
        if not isinstance(raw, list):
            raise TaskFailedError(f"The iteration values must be a list, got '{rendered}'")
        elements = [_element(v, raw, scope, render=False) for v in raw]
    else:
        elements = [_element(v, raw, scope, render=True) for v in raw]
    return list(dict.fromkeys(elements))


def _element(value: Any, values: list[Any], scope: FlowableScope, *, render: bool) -> str:
    if value is None:
        nulls = sum(1 for v in values if v is None)
        raise TaskFailedError(f"Found '{nulls}' null values on Each, values={to_pebble_string(values)}")
    if isinstance(value, bool):
        raise TaskFailedError(f"Unknown value element type: {type(value).__name__}")
    if isinstance(value, str):
        return scope.render(value, "values") if render else value
    if isinstance(value, int | float):
        return to_pebble_string(value)
    if isinstance(value, dict | list):
        rendered = scope.render_value(value, "values") if render else value
        return json.dumps(rendered, separators=(",", ":"), ensure_ascii=False)
    raise TaskFailedError(f"Unknown value element type: {type(value).__name__}")
