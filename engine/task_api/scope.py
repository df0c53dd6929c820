"""FlowableScope: what a flowable task sees of its task run and its children, and Kestra's FlowableUtils
rules written once over it.

A scope is a list of tasks with its `errors` and `finally`: the flow itself or one flowable task run. The
executor implements the primitives (`engine.executor.scope`); the rules below are spec part 2 §12.2–12.4
and §7.4, with the corrections the spec recommends: a sequential cursor waits while any run is not
terminated, and "all terminated" requires a run for every task.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from msgspec import Struct

from engine.model.execution import TaskRun, TaskRuns
from engine.model.state import StateType
from engine.task_api.task import TaskBase

S = StateType


class NewTaskRun(Struct, frozen=True):
    """A child task run to create: `value` and `iteration` for loop iterations."""

    task: TaskBase
    value: str | None = None
    iteration: int | None = None


def enabled(tasks: Sequence[TaskBase] | None) -> list[TaskBase]:
    return [t for t in tasks or () if not t.disabled]


_PRIORITY = (S.KILLED, S.FAILED, S.CANCELLED, S.WARNING, S.PAUSED)


def worst_state(
    states: Sequence[StateType] | dict[StateType, int], terminal: StateType = S.SUCCESS
) -> StateType:
    """KILLED > FAILED > CANCELLED > WARNING > PAUSED > terminal (spec part 2 §7.4)."""
    present = {s for s in states if (states[s] if isinstance(states, dict) else 1)}
    for state in _PRIORITY:
        if state in present:
            return state
    return terminal


def apply_allow(state: StateType, allow_failure: bool, allow_warning: bool) -> StateType:
    if state == S.FAILED and allow_failure:
        return S.SUCCESS if allow_warning else S.WARNING
    if state == S.WARNING and allow_warning:
        return S.SUCCESS
    return state


class FlowableScope(ABC):
    """`run` is the flowable's task run (None for the flow itself) and `task` its task."""

    def __init__(self, run: TaskRun | None, task: TaskBase | None) -> None:
        self.run = run
        self.task = task

    # --- primitives: the executor's ----------------------------------------------------------------

    @property
    @abstractmethod
    def killing(self) -> bool:
        """The execution is being killed: nothing new may start."""

    @property
    @abstractmethod
    def task_runs(self) -> TaskRuns:
        """Every task run of the execution, to read (loops use its per-value indexes)."""

    @abstractmethod
    def now(self) -> datetime: ...

    @abstractmethod
    def log(self, level: str, message: str) -> None:
        """A line in this task run's logs."""

    @abstractmethod
    def render(self, template: str, prop: str) -> str: ...

    @abstractmethod
    def render_typed(self, template: str, prop: str) -> Any: ...

    @abstractmethod
    def render_value(self, value: Any, prop: str) -> Any: ...

    @abstractmethod
    def pause(self, duration: timedelta | None, *, next_iteration: bool = False) -> None:
        """Hold this task run PAUSED (and the execution), for `duration` if given (spec part 2 §13.1).

        `next_iteration`: the wait of a loop between iterations; when it ends, the children are dropped
        and the task's `next_iteration` hook gives its new outputs, instead of a Pause's resume."""

    @abstractmethod
    def set_outputs(self, outputs: Mapping[str, Any]) -> None:
        """Merge `outputs` into this task run's."""

    @abstractmethod
    def set_loop_values(self, values: list[str]) -> None:
        """The values a loop iterates over, kept on its task run."""

    @abstractmethod
    def loop_cursor(self) -> int:
        """How many iteration groups of this loop are known complete (0 at first)."""

    @abstractmethod
    def set_loop_cursor(self, done: int) -> None: ...

    @abstractmethod
    def inline_room(self, task: TaskBase) -> int | None:
        """How many more runs of `task` this step could run itself; None when it would not run them.

        Loops create inline iterations no faster than that: a run created now but run in a later step
        would be written twice (decision 0003)."""

    @abstractmethod
    def defer(self) -> None:
        """Work was left for the next step."""

    # --- Kestra's rules over the primitives ---------------------------------------------------------

    @property
    def parent_id(self) -> str | None:
        return self.run.id if self.run else None

    def runs_of(self, tasks: Sequence[TaskBase], value: str | None = None) -> list[TaskRun]:
        ids = {t.id for t in tasks}
        if not ids:
            return []
        runs = self.task_runs
        found = [
            r
            for task_id in ids
            for r in runs.of_task(task_id)
            if r.parent_task_run_id == self.parent_id and (value is None or r.value == value)
        ]
        return sorted(found, key=lambda r: r.seq)

    def all_terminated(self, tasks: Sequence[TaskBase], value: str | None = None) -> bool:
        runs = self.runs_of(tasks, value)
        return {r.task_id for r in runs} >= {t.id for t in tasks} and all(
            r.state.current.terminated for r in runs
        )

    def failed(self, tasks: Sequence[TaskBase], value: str | None = None) -> bool:
        return any(r.state.current == S.FAILED for r in self.runs_of(tasks, value))

    def active_branch(
        self,
        main: Sequence[TaskBase] | None,
        errors: Sequence[TaskBase] | None,
        finally_: Sequence[TaskBase] | None,
        *,
        main_failed: bool | None = None,
        main_done: bool | None = None,
    ) -> list[TaskBase]:
        """Which list is in charge (spec part 2 §12.3). Loops pass `main_failed`/`main_done`, which they
        know from their own indexes, instead of scanning every iteration."""
        c, e, f = enabled(main), enabled(errors), enabled(finally_)
        if f and self.runs_of(f):
            return f
        failed = self.failed(c) if main_failed is None else main_failed
        if (e and self.runs_of(e)) or failed:
            if f and e and not self.all_terminated(e):
                return e
            if not f:
                return e
        if f and (failed or (self.all_terminated(c) if main_done is None else main_done)):
            return f
        return c

    def next_sequential(
        self, tasks: Sequence[TaskBase], value: str | None = None, iteration: int | None = None
    ) -> list[NewTaskRun]:
        if not tasks or self.killing:
            return []
        runs = self.runs_of(tasks, value)
        if not runs:
            return [NewTaskRun(tasks[0], value, iteration)]
        if any(not r.state.current.terminated for r in runs):
            return []
        index = next(i for i, t in enumerate(tasks) if t.id == runs[-1].task_id)
        return [NewTaskRun(tasks[index + 1], value, iteration)] if index + 1 < len(tasks) else []

    def next_for_scope(
        self,
        main: Sequence[TaskBase] | None,
        errors: Sequence[TaskBase] | None,
        finally_: Sequence[TaskBase] | None,
    ) -> list[NewTaskRun]:
        return self.next_sequential(self.active_branch(main, errors, finally_))

    def next_parallel(
        self,
        main: Sequence[TaskBase],
        errors: Sequence[TaskBase] | None,
        finally_: Sequence[TaskBase] | None,
        concurrent: int,
        depends_on: Mapping[str, Sequence[str]] | None = None,
    ) -> list[NewTaskRun]:
        """`depends_on` (Dag): a task waits until every task it depends on has a terminated run."""
        if self.killing:
            return []
        c = enabled(main)
        current = self.active_branch(c, errors, finally_)
        if [t.id for t in current] != [t.id for t in c]:
            return self.next_sequential(current)
        runs = self.runs_of(c)
        busy = sum(1 for r in runs if not r.state.current.terminated)
        if concurrent > 0 and busy >= concurrent:
            return []
        started = {r.task_id for r in runs}
        todo = [t for t in c if t.id not in started]
        if depends_on:
            # A disabled dependency has no run and never will: it is ignored rather than blocking forever.
            waiting = {t.id for t in c} - {r.task_id for r in runs if r.state.current.terminated}
            todo = [t for t in todo if waiting.isdisjoint(depends_on.get(t.id, ()))]
        if not todo or any(r.state.current.created for r in runs):
            return []
        if concurrent > 0:
            todo = todo[: concurrent - busy]
        return [NewTaskRun(t) for t in todo]

    def final_state(self, main: Sequence[TaskBase], terminal: StateType = S.SUCCESS) -> StateType:
        state = worst_state([r.state.current for r in self.runs_of(enabled(main))], terminal)
        return self._allowed(state)

    def _allowed(self, state: StateType) -> StateType:
        if self.task is None:
            return state
        return apply_allow(state, self.task.allow_failure, self.task.allow_warning)

    def resolve_state(
        self,
        main: Sequence[TaskBase] | None,
        errors: Sequence[TaskBase] | None,
        finally_: Sequence[TaskBase] | None,
    ) -> StateType | None:
        """Spec part 2 §7.4; a flowable with nothing enabled to run ends SUCCESS."""
        c = enabled(main)
        if not c:
            return self._allowed(S.SUCCESS)
        current = self.active_branch(c, errors, finally_)
        if current:
            return self.final_state(c) if self.all_terminated(current) else None
        return self.final_state(c) if self.failed(c) else None

    def resolve_state_from(self, state: StateType | None) -> StateType | None:
        """For loops that computed their children's worst state themselves."""
        return None if state is None else self._allowed(state)
