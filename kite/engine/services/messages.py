"""Queue message bodies ↔ engine events. Dedup ids say what a message is for, so re-sends are recognised."""

from __future__ import annotations

from typing import Any

from kite.engine.executor.events import (
    Event,
    Kill,
    Pause,
    Resume,
    StartExecution,
    TimerFired,
    Wake,
    WorkerResult,
)
from kite.engine.executor.variables import from_json_value
from kite.engine.model.serde import (
    execution_from_json,
    execution_to_json,
    log_from_json,
    log_to_json,
    task_run_from_json,
    task_run_to_json,
)
from kite.engine.ports import Message, QueueName


def wake(execution_id: str, reason: str) -> Message:
    return Message(
        QueueName.DISPATCH,
        {"kind": "Wake", "executionId": execution_id},
        dedup_id=f"wake-{execution_id}-{reason}",
        group_id=execution_id,
    )


def kill(execution_id: str) -> Message:
    return Message(
        QueueName.DISPATCH,
        {"kind": "Kill", "executionId": execution_id},
        dedup_id=f"kill-{execution_id}",
        group_id=execution_id,
    )


def resume(execution_id: str, task_run_id: str | None, inputs: dict[str, Any]) -> Message:
    return Message(
        QueueName.DISPATCH,
        {"kind": "Resume", "executionId": execution_id, "taskRunId": task_run_id, "inputs": inputs},
        dedup_id=f"resume-{execution_id}-{task_run_id}",
        group_id=execution_id,
    )


def start_execution(effect: StartExecution) -> Message:
    execution = effect.execution
    return Message(
        QueueName.DISPATCH if effect.at is None else QueueName.TIMER,
        {
            "kind": "StartExecution",
            "executionId": execution.id,
            "execution": execution_to_json(execution, internal=True),
        },
        dedup_id=f"start-{execution.id}",
        group_id=execution.id,
        deliver_at=effect.at,
    )


def pause(execution_id: str, version: int) -> Message:
    return Message(
        QueueName.DISPATCH,
        {"kind": "Pause", "executionId": execution_id},
        dedup_id=f"pause-{execution_id}-{version}",
        group_id=execution_id,
    )


def worker_result(result: WorkerResult) -> Message:
    run = result.task_run
    return Message(
        QueueName.DISPATCH,
        {
            "kind": "WorkerResult",
            "executionId": run.execution_id,
            "taskRun": task_run_to_json(run, internal=True),
            "logs": [log_to_json(entry) for entry in result.logs],
        },
        dedup_id=f"result-{run.id}-{run.attempt_number}-{run.state.current.value}",
        group_id=run.execution_id,
    )


def timer(execution_id: str, event: TimerFired, deliver_at: Any) -> Message:
    return Message(
        QueueName.TIMER,
        {
            "kind": "TimerFired",
            "executionId": execution_id,
            "timer": {"kind": event.kind, "taskRunId": event.task_run_id, "attempt": event.attempt},
        },
        dedup_id=f"timer-{execution_id}-{event.kind}-{event.task_run_id}-{event.attempt}",
        group_id=execution_id,
        deliver_at=deliver_at,
    )


def decode_event(body: dict[str, Any]) -> tuple[str, Event]:
    """A dispatch or timer message → (execution id, event)."""
    kind = body.get("kind")
    execution_id = body["executionId"]
    if kind == "Wake":
        return execution_id, Wake()
    if kind == "Kill":
        return execution_id, Kill()
    if kind == "Resume":
        return execution_id, Resume(body.get("taskRunId"), from_json_value(body.get("inputs") or {}))
    if kind == "Pause":
        return execution_id, Pause()
    if kind == "StartExecution":
        return execution_id, StartExecution(execution_from_json(body["execution"], []))
    if kind == "WorkerResult":
        logs = tuple(log_from_json(entry) for entry in body.get("logs") or ())
        return execution_id, WorkerResult(task_run_from_json(body["taskRun"]), logs)
    if kind == "TimerFired":
        spec = body["timer"]
        return execution_id, TimerFired(spec["kind"], spec.get("taskRunId"), spec.get("attempt"))
    raise ValueError(f"unknown message kind {kind!r}")
