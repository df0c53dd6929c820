"""Queue message bodies ↔ engine events. Dedup ids say what a message is for, so re-sends are recognised."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any

from msgspec import Struct

from engine.executor.events import (
    AttemptLost,
    Event,
    Kill,
    Notify,
    Pause,
    ReleaseSlot,
    Restart,
    Resume,
    StartExecution,
    SubflowEnded,
    TimerFired,
    TimerKind,
    Unqueue,
    Wake,
)
from engine.model.serde import (
    execution_from_json,
    execution_to_json,
    format_instant,
    log_from_json,
    log_to_json,
    parse_instant,
    task_run_from_json,
    task_run_to_json,
)
from engine.model.state import StateType
from engine.model.values import from_json_value, to_json_value
from engine.ports import Message, QueueName
from engine.runtime.attempt import WorkerResult


def _for(
    execution_id: str,
    kind: str,
    dedup_id: str,
    fields: dict[str, Any] | None = None,
    deliver_at: datetime | None = None,
) -> Message:
    """A message for one execution's dispatcher: grouped by execution, delayed through the timer queue."""
    return Message(
        QueueName.DISPATCH if deliver_at is None else QueueName.TIMER,
        {"kind": kind, "executionId": execution_id, **(fields or {})},
        dedup_id=dedup_id,
        group_id=execution_id,
        deliver_at=deliver_at,
    )


def wake(execution_id: str, reason: str) -> Message:
    return _for(execution_id, "Wake", f"wake-{execution_id}-{reason}")


def release_slot(execution_id: str, attempt: int) -> Message:
    return _for(execution_id, "ReleaseSlot", f"release-{execution_id}-{attempt}")


def kill(execution_id: str, *, cascade: bool = True, after: tuple[int, int] | None = None) -> Message:
    if after is not None:
        seq, iteration = after
        key = f"kill-{execution_id}-after-{seq}-{iteration}"
        return _for(execution_id, "Kill", key, {"after": [seq, iteration]})
    if cascade:
        return _for(execution_id, "Kill", f"kill-{execution_id}")
    return _for(execution_id, "Kill", f"kill-{execution_id}-alone", {"cascade": False})


def resume(execution_id: str, task_run_id: str | None, inputs: dict[str, Any]) -> Message:
    fields = {"taskRunId": task_run_id, "inputs": inputs}
    return _for(execution_id, "Resume", f"resume-{execution_id}-{task_run_id}", fields)


def pause(execution_id: str, version: int) -> Message:
    return _for(execution_id, "Pause", f"pause-{execution_id}-{version}")


def unqueue(execution_id: str, version: int, state: StateType, *, force: bool = False) -> Message:
    fields = {"state": state.value, "force": force}
    return _for(execution_id, "Unqueue", f"unqueue-{execution_id}-{version}", fields)


def notify(effect: Notify) -> Message:
    """An event for another execution: a child's end for its parent, a kill or a restart for a child."""
    event = effect.event
    if isinstance(event, Kill):
        return kill(effect.execution_id, after=event.after)
    if isinstance(event, Restart):
        return _for(effect.execution_id, "Restart", effect.key, {"waitedBy": event.waited_by})
    fields = {
        "taskRunId": event.task_run_id,
        "childId": event.child_id,
        "state": event.state.value,
        "outputs": to_json_value(event.outputs),
        "error": event.error,
        "iteration": event.iteration,
        "taskRunAttempt": event.task_run_attempt,
    }
    return _for(effect.execution_id, "SubflowEnded", effect.key, fields)


def start_execution(effect: StartExecution) -> Message:
    execution = effect.execution
    fields = {"execution": execution_to_json(execution, internal=True)}
    return _for(execution.id, "StartExecution", f"start-{execution.id}", fields, effect.at)


class TickMode(StrEnum):
    """Why a schedule is looked at: its date came (CLOCK, from what wakes it), the execution it last
    started ended (RELEASE: a date waiting for it may go), or its flow or trigger changed (RECOVER: what
    was missed meanwhile is recovered as the trigger says)."""

    CLOCK = "CLOCK"
    RELEASE = "RELEASE"
    RECOVER = "RECOVER"


class Tick(Struct, frozen=True):
    namespace: str
    flow_id: str
    trigger_id: str
    mode: TickMode
    scheduled: datetime | None = None  # CLOCK: the date it was woken for

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.flow_id}/{self.trigger_id}"


def tick_body(tick: Tick, scheduled: str | None = None) -> dict[str, Any]:
    """`scheduled` replaces the tick's date as text (what wakes it fills it in: EventBridge Scheduler's
    `<aws.scheduler.scheduled-time>`)."""
    date = (
        scheduled if scheduled is not None else (format_instant(tick.scheduled) if tick.scheduled else None)
    )
    return {
        "kind": "ScheduleTick",
        "namespace": tick.namespace,
        "flowId": tick.flow_id,
        "triggerId": tick.trigger_id,
        "mode": tick.mode.value,
        "scheduled": date,
    }


def schedule_tick(tick: Tick, reason: str, at: datetime | None = None) -> Message:
    """Ticks of one trigger are ordered in their own group; `reason` tells re-sends apart from new ones;
    `at`: not before then."""
    group = "tick-" + hashlib.sha256(tick.key.encode()).hexdigest()  # a key may be longer than a group id
    return Message(
        QueueName.DISPATCH if at is None else QueueName.TIMER,
        tick_body(tick),
        dedup_id=f"{group}-{reason}",
        group_id=group,
        deliver_at=at,
    )


def decode_tick(body: dict[str, Any]) -> Tick | None:
    """A schedule tick, or None for a message of an execution."""
    if body.get("kind") != "ScheduleTick":
        return None
    scheduled = body.get("scheduled")
    return Tick(
        str(body["namespace"]),
        str(body["flowId"]),
        str(body["triggerId"]),
        TickMode(body.get("mode") or TickMode.CLOCK),
        parse_instant(scheduled) if scheduled else None,
    )


def run_task_dedup_id(task_run_id: str, attempt: int) -> str:
    return f"run-{task_run_id}-{attempt}"


def worker_result(result: WorkerResult) -> Message:
    run = result.task_run
    fields: dict[str, Any] = {
        "taskRun": task_run_to_json(run, internal=True),
        "logs": [log_to_json(entry) for entry in result.logs],
    }
    if result.children:
        fields["children"] = [task_run_to_json(child, internal=True) for child in result.children]
    dedup_id = f"result-{run.id}-{run.attempt_number}-{run.state.current.value}"
    return _for(run.execution_id, "WorkerResult", dedup_id, fields)


def attempt_lost(execution_id: str, task_run_id: str, attempt: int, at: datetime | None = None) -> Message:
    """Now (a lapsed claim), or at the end of a held claim's lease, through the timer queue."""
    fields = {"taskRunId": task_run_id, "attempt": attempt}
    return _for(execution_id, "AttemptLost", f"lost-{task_run_id}-{attempt}", fields, at)


def timer(execution_id: str, event: TimerFired, deliver_at: datetime) -> Message:
    spec = {
        "kind": event.kind,
        "taskRunId": event.task_run_id,
        "attempt": event.attempt,
        "slaId": event.sla_id,
    }
    subject = event.sla_id if event.sla_id is not None else event.task_run_id
    dedup_id = f"timer-{execution_id}-{event.kind}-{subject}-{event.attempt}"
    fields = {"timer": spec}
    return _for(execution_id, "TimerFired", dedup_id, fields, deliver_at)


def _cursor(value: Any) -> tuple[int, int] | None:
    """A kill's continuation cursor; a bare number is a task run's `seq`, as a deployment before batches
    had cursors sent it (such a message may still be in flight after an update)."""
    if value is None:
        return None
    if isinstance(value, int):
        return value, 0
    seq, iteration = value
    return int(seq), int(iteration)


def decode_event(body: dict[str, Any]) -> tuple[str, Event]:
    """A dispatch or timer message → (execution id, event)."""
    kind = body.get("kind")
    execution_id = body["executionId"]
    if kind == "Wake":
        return execution_id, Wake()
    if kind == "Kill":
        return execution_id, Kill(cascade=bool(body.get("cascade", True)), after=_cursor(body.get("after")))
    if kind == "ReleaseSlot":
        return execution_id, ReleaseSlot()
    if kind == "Resume":
        return execution_id, Resume(body.get("taskRunId"), from_json_value(body.get("inputs") or {}))
    if kind == "Pause":
        return execution_id, Pause()
    if kind == "Unqueue":
        return execution_id, Unqueue(StateType(body["state"]), bool(body.get("force", False)))
    if kind == "Restart":
        return execution_id, Restart(body.get("waitedBy"))
    if kind == "SubflowEnded":
        outputs = from_json_value(body.get("outputs"))
        ended = SubflowEnded(
            body["taskRunId"],
            body["childId"],
            StateType(body["state"]),
            outputs,
            body.get("error"),
            body.get("iteration"),
            body.get("taskRunAttempt"),
        )
        return execution_id, ended
    if kind == "StartExecution":
        return execution_id, StartExecution(execution_from_json(body["execution"], []))
    if kind == "WorkerResult":
        logs = tuple(log_from_json(entry) for entry in body.get("logs") or ())
        children = tuple(task_run_from_json(child) for child in body.get("children") or ())
        return execution_id, WorkerResult(task_run_from_json(body["taskRun"]), logs, children)
    if kind == "AttemptLost":
        return execution_id, AttemptLost(body["taskRunId"], int(body["attempt"]))
    if kind == "TimerFired":
        spec = body["timer"]
        return execution_id, TimerFired(
            TimerKind(spec["kind"]), spec.get("taskRunId"), spec.get("attempt"), spec.get("slaId")
        )
    raise ValueError(f"unknown message kind {kind!r}")
