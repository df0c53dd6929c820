"""The harness every contract test gets, and executions built with the model classes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from msgspec import Struct

from engine.model.execution import (
    Execution,
    ExecutionMetadata,
    Label,
    TaskRun,
    TaskRunAttempt,
    TaskRuns,
)
from engine.model.state import State, StateType
from engine.ports import ExecutionStore, FlowRepository, MessageBus, QueueName
from engine.resources import Storage

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Harness(Struct):
    store: ExecutionStore
    flows: FlowRepository
    bus: MessageBus
    storage: Storage
    now: Callable[[], datetime]
    advance: Callable[[timedelta], None]
    receive: Callable[[QueueName], list[dict[str, Any]]]
    """Bodies of the messages of a queue that are due now, taken off the queue."""


def make_task_run(execution: Execution, seq: int, at: datetime = START, **changes: Any) -> TaskRun:
    fields: dict[str, Any] = {
        "id": f"run{seq:05d}",
        "execution_id": execution.id,
        "namespace": execution.namespace,
        "flow_id": execution.flow_id,
        "task_id": f"task{seq % 7}",
        "state": State.of(StateType.CREATED, at).with_state(StateType.RUNNING, at + timedelta(seconds=1)),
        "seq": seq,
        "attempts": (TaskRunAttempt(State.of(StateType.RUNNING, at + timedelta(seconds=1))),),
        "outputs": {"index": seq, "nested": {"list": [1, "two", None]}},
    }
    fields.update(changes)
    return TaskRun(**fields)


def make_execution(
    execution_id: str = "exec1",
    runs: int = 0,
    *,
    at: datetime = START,
    namespace: str = "company.team",
    flow_id: str = "hello",
    state: StateType = StateType.RUNNING,
) -> Execution:
    execution = Execution(
        id=execution_id,
        namespace=namespace,
        flow_id=flow_id,
        flow_revision=3,
        state=State.of(StateType.CREATED, at).with_state(state, at + timedelta(milliseconds=5)),
        task_runs=TaskRuns(),
        metadata=ExecutionMetadata(attempt_number=1, original_created_date=at),
        inputs={"name": "world", "count": 3},
        labels=(Label("team", "data"),),
        trigger={"id": "schedule", "type": "io.kestra.plugin.core.trigger.Schedule"},
        schedule_date=at,
    )
    for seq in range(runs):
        parent = f"run{seq - 1:05d}" if seq % 3 == 2 else None
        execution.task_runs.put(
            make_task_run(execution, seq, at, parent_task_run_id=parent, value=f"v{seq}", iteration=seq % 2)
        )
    execution.next_seq = runs
    return execution
