"""Execution, TaskRun and attempts (spec part 1 §4.1, part 2 §0.2).

TaskRun, TaskRunAttempt and State are frozen values. `Execution` is the aggregate the executor works on:
a header plus an ordered, indexed collection of task runs. `advance()` works on a copy, so callers never
see their input change; indexes make the hot lookups (children of a task run, open children, runs of a
task) independent of the size of the execution.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace

from engine.model.batches import Batches
from engine.model.path_index import PathIndex
from engine.model.state import State, StateType

JsonMap = Mapping[str, Any]


class TaskRunAttempt(Struct, frozen=True):
    state: State


class TaskRun(Struct, frozen=True):
    id: str
    execution_id: str
    namespace: str
    flow_id: str
    task_id: str
    state: State
    seq: int
    parent_task_run_id: str | None = None
    value: str | None = None
    iteration: int | None = None
    attempts: tuple[TaskRunAttempt, ...] = ()
    outputs: JsonMap = field(default_factory=dict)
    force_execution: bool = False
    # Loop values of this run and its ancestors that carry one, outermost first: where its outputs live
    # in the `outputs` tree (spec part 1 §7.1).
    value_path: tuple[str, ...] = ()
    # A loop's rendered values, kept so they are rendered once (internal).
    loop_values: tuple[str, ...] | None = None
    # A ForEachItem's `_items`: its child executions, started and ended (internal).
    batches: Batches | None = None

    def with_state(self, state: StateType, at: datetime) -> TaskRun:
        return replace(self, state=self.state.with_state(state, at))

    def with_attempt_state(self, state: StateType, at: datetime) -> TaskRun:
        """Move the last attempt to `state` (a flowable's single attempt, or the worker's current one)."""
        if not self.attempts:
            return replace(self, attempts=(TaskRunAttempt(State.of(state, at)),))
        last = self.attempts[-1]
        return replace(self, attempts=(*self.attempts[:-1], TaskRunAttempt(last.state.with_state(state, at))))

    def with_new_attempt(self, state: StateType, at: datetime) -> TaskRun:
        """Append an attempt that starts in `state` (CREATED, or FAILED for one that cannot run)."""
        return replace(self, attempts=(*self.attempts, TaskRunAttempt(State.of(state, at))))

    def start_attempt(self, at: datetime) -> TaskRun:
        """RUNNING, with a new attempt that went CREATED → RUNNING."""
        return (
            self.with_state(StateType.RUNNING, at)
            .with_new_attempt(StateType.CREATED, at)
            .with_attempt_state(StateType.RUNNING, at)
        )

    def terminate(self, state: StateType, at: datetime) -> TaskRun:
        """Task run and its last attempt take the same terminal state."""
        return self.with_attempt_state(state, at).with_state(state, at)

    @property
    def attempt_number(self) -> int:
        return len(self.attempts)


class Label(Struct, frozen=True):
    key: str
    value: str


class ExecutionMetadata(Struct, frozen=True):
    attempt_number: int
    original_created_date: datetime


class TaskRuns:
    """Task runs in creation order with incrementally maintained indexes."""

    __slots__ = (
        "_by_state",
        "_by_task",
        "_by_value",
        "_children",
        "_open",
        "_outputs",
        "_runs",
        "_state_counts",
        "_states",
        "_values",
    )

    def __init__(self, runs: Iterable[TaskRun] = ()) -> None:
        self._runs: dict[str, TaskRun] = {}
        self._children: dict[str | None, list[str]] = {}
        self._by_task: dict[str, list[str]] = {}
        self._by_state: dict[StateType, set[str]] = {}
        self._open: dict[str | None, set[str]] = {}
        self._state_counts: dict[str | None, Counter[StateType]] = {}
        # Loop children by (parent, value), and the distinct values started under each parent.
        self._by_value: dict[tuple[str | None, str], list[str]] = {}
        self._values: dict[str | None, dict[str, None]] = {}
        # The `outputs` and `tasks` expression variables, keyed (taskId, *value_path).
        self._outputs = PathIndex()
        self._states = PathIndex()
        for run in sorted(runs, key=lambda r: r.seq):
            self.put(run)

    def copy(self) -> TaskRuns:
        clone = TaskRuns.__new__(TaskRuns)
        clone._runs = dict(self._runs)
        clone._children = {k: list(v) for k, v in self._children.items()}
        clone._by_task = {k: list(v) for k, v in self._by_task.items()}
        clone._by_state = {k: set(v) for k, v in self._by_state.items()}
        clone._open = {k: set(v) for k, v in self._open.items()}
        clone._state_counts = {k: Counter(v) for k, v in self._state_counts.items()}
        clone._by_value = {k: list(v) for k, v in self._by_value.items()}
        clone._values = {k: dict(v) for k, v in self._values.items()}
        clone._outputs = self._outputs.copy()
        clone._states = self._states.copy()
        return clone

    def put(self, run: TaskRun) -> None:
        old = self._runs.get(run.id)
        parent = run.parent_task_run_id
        counts = self._state_counts.setdefault(parent, Counter())
        if old is None:
            self._children.setdefault(parent, []).append(run.id)
            self._by_task.setdefault(run.task_id, []).append(run.id)
            if run.value is not None:
                self._by_value.setdefault((parent, run.value), []).append(run.id)
                self._values.setdefault(parent, {})[run.value] = None
        else:
            counts[old.state.current] -= 1
            self._by_state[old.state.current].discard(run.id)
        counts[run.state.current] += 1
        self._by_state.setdefault(run.state.current, set()).add(run.id)
        opened = self._open.setdefault(parent, set())
        if run.state.current.terminated:
            opened.discard(run.id)
        else:
            opened.add(run.id)
        self._runs[run.id] = run
        key = (run.task_id, *run.value_path)
        if run.outputs:
            self._outputs.set(key, run.outputs, run.seq)
        else:
            self._outputs.discard(key)
        self._states.set(key, {"state": run.state.current.value}, run.seq)

    def remove(self, run_id: str) -> None:
        run = self._runs.pop(run_id)
        parent = run.parent_task_run_id
        self._children[parent].remove(run_id)
        self._by_task[run.task_id].remove(run_id)
        if run.value is not None:
            group = self._by_value[(parent, run.value)]
            group.remove(run_id)
            if not group:
                del self._by_value[(parent, run.value)]
                del self._values[parent][run.value]
        self._by_state[run.state.current].discard(run_id)
        self._open.get(parent, set()).discard(run_id)
        self._state_counts[parent][run.state.current] -= 1
        key = (run.task_id, *run.value_path)
        self._outputs.discard(key)
        self._states.discard(key)

    def in_state(self, state: StateType) -> list[TaskRun]:
        """Runs currently in `state`, in creation order."""
        return sorted((self._runs[i] for i in self._by_state.get(state, ())), key=lambda r: r.seq)

    def outputs_view(self) -> Mapping[str, Any]:
        return self._outputs.view()

    def states_view(self) -> Mapping[str, Any]:
        return self._states.view()

    def get(self, run_id: str) -> TaskRun:
        return self._runs[run_id]

    def find(self, run_id: str) -> TaskRun | None:
        return self._runs.get(run_id)

    def __iter__(self) -> Iterator[TaskRun]:
        return iter(self._runs.values())

    def __len__(self) -> int:
        return len(self._runs)

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._runs

    def children(self, parent_id: str | None) -> list[TaskRun]:
        return [self._runs[i] for i in self._children.get(parent_id, ())]

    def open_children(self, parent_id: str | None) -> list[TaskRun]:
        """Non-terminated children, in creation order."""
        ids = self._open.get(parent_id)
        if not ids:
            return []
        return sorted((self._runs[i] for i in ids), key=lambda r: r.seq)

    def orphans(self) -> list[TaskRun]:
        """Non-terminated runs whose parent run has ended, in creation order."""
        found = [
            self._runs[i]
            for parent_id, ids in self._open.items()
            if parent_id is not None
            and parent_id in self._runs
            and self._runs[parent_id].state.current.terminated
            for i in ids
        ]
        return sorted(found, key=lambda r: r.seq)

    def _ended(self, run_id: str) -> bool:
        return self._runs[run_id].state.current.terminated

    def with_value(self, parent_id: str | None, value: str) -> list[TaskRun]:
        """Children of `parent_id` carrying loop value `value`, in creation order."""
        return [self._runs[i] for i in self._by_value.get((parent_id, value), ())]

    def values_started(self, parent_id: str | None) -> int:
        """How many distinct loop values have children under `parent_id`."""
        return len(self._values.get(parent_id, ()))

    def child_count(self, parent_id: str | None) -> int:
        return len(self._children.get(parent_id, ()))

    def state_counts(self, parent_id: str | None) -> Counter[StateType]:
        return self._state_counts.get(parent_id, Counter())

    def of_task(self, task_id: str) -> list[TaskRun]:
        return [self._runs[i] for i in self._by_task.get(task_id, ())]

    def ancestors(self, run: TaskRun) -> list[TaskRun]:
        """Parents of `run`, nearest first."""
        result = []
        parent_id = run.parent_task_run_id
        while parent_id is not None:
            parent = self._runs[parent_id]
            result.append(parent)
            parent_id = parent.parent_task_run_id
        return result


class Execution(Struct):
    """The execution aggregate. `version` is the store's optimistic-locking counter."""

    id: str
    namespace: str
    flow_id: str
    flow_revision: int
    state: State
    task_runs: TaskRuns
    metadata: ExecutionMetadata
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    labels: tuple[Label, ...] = ()
    trigger: dict[str, Any] | None = None
    parent_id: str | None = None
    original_id: str | None = None
    schedule_date: datetime | None = None
    version: int = 0
    next_seq: int = 0
    kill_cascade: bool = True  # a kill in progress stops the subflow executions too
    # A child's: the attempt of the parent's task run that waits for its end (subflows.stale).
    waited_by: int | None = None

    def copy(self) -> Execution:
        clone = copy.copy(self)
        clone.task_runs = self.task_runs.copy()
        return clone

    def with_state(self, state: StateType, at: datetime) -> None:
        self.state = self.state.with_state(state, at)

    def label_map(self) -> dict[str, str]:
        return {label.key: label.value for label in self.labels}

    def trigger_execution_id(self) -> str | None:
        """The execution that started this one (a Subflow's or a ForEachItem's parent, a Flow trigger's
        upstream): Kestra's `triggerExecutionId`."""
        started_by = ((self.trigger or {}).get("variables") or {}).get("executionId")
        return started_by if isinstance(started_by, str) else None
