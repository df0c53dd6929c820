"""A new execution of a flow (Kestra's `Execution.newExecution`): the API, a Subflow and a trigger all
start executions this way."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from engine.flow.model import Flow
from engine.model.execution import Execution, ExecutionMetadata, TaskRuns
from engine.model.labels import SYSTEM_PREFIX, merge_labels
from engine.model.state import State, StateType

CORRELATION_ID = "system.correlationId"


def new_execution(
    flow: Flow,
    revision: int,
    execution_id: str,
    now: datetime,
    *,
    inputs: dict[str, Any],
    labels: Sequence[tuple[str, str]] = (),
    trigger: dict[str, Any] | None = None,
    schedule_date: datetime | None = None,
) -> Execution:
    """Flow labels (not the system ones), then `labels`, the last of a key winning; the execution is its
    own correlation id unless one was handed down."""
    flow_labels = [(k, v) for k, v in flow.label_pairs() if not k.startswith(SYSTEM_PREFIX)]
    correlation = [] if any(k == CORRELATION_ID for k, _ in labels) else [(CORRELATION_ID, execution_id)]
    return Execution(
        id=execution_id,
        namespace=flow.namespace,
        flow_id=flow.id,
        flow_revision=revision,
        state=State.of(StateType.CREATED, now),
        task_runs=TaskRuns(),
        metadata=ExecutionMetadata(attempt_number=1, original_created_date=now),
        inputs=inputs,
        variables=dict(flow.variables or {}),
        labels=merge_labels(flow_labels, labels, correlation),
        trigger=trigger,
        original_id=execution_id,
        schedule_date=schedule_date,
    )
