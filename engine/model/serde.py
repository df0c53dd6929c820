"""Kestra's execution JSON shape (design §6), both ways.

`internal=True` adds the fields Kite needs to rebuild an execution from storage (`seq`, `valuePath`,
`version`, `nextSeq`); Kestra clients ignore unknown fields, but the public API leaves them out.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.model.batches import Batches
from engine.model.execution import (
    Execution,
    ExecutionMetadata,
    Label,
    TaskRun,
    TaskRunAttempt,
    TaskRuns,
)
from engine.model.logs import LogEntry, LogPurge
from engine.model.state import History, State, StateType


def format_instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def format_duration(value: timedelta) -> str:
    """Java `Duration.toString()`: PT#H#M#.###S, hours never folded into days."""
    total = value.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = ["PT"]
    if hours:
        parts.append(f"{int(hours)}H")
    if minutes:
        parts.append(f"{int(minutes)}M")
    if seconds or (not hours and not minutes):
        text = f"{seconds:.6f}".rstrip("0").rstrip(".")
        parts.append(f"{text}S")
    return sign + "".join(parts)


def format_hms(value: timedelta) -> str:
    """`HH:mm:ss.SSS`, like Apache Commons' `DurationFormatUtils.formatDurationHMS` (timeout messages)."""
    millis = max(round(value.total_seconds() * 1000), 0)
    seconds, ms = divmod(millis, 1000)
    minutes, sec = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours:02d}:{minute:02d}:{sec:02d}.{ms:03d}"


def state_to_json(state: State) -> dict[str, Any]:
    data: dict[str, Any] = {
        "current": state.current.value,
        "histories": [{"state": h.state.value, "date": format_instant(h.date)} for h in state.histories],
        "startDate": format_instant(state.start_date),
    }
    end = state.end_date
    if end is not None:
        data["endDate"] = format_instant(end)
        data["duration"] = format_duration(end - state.start_date)
    return data


def state_from_json(data: dict[str, Any]) -> State:
    histories = tuple(History(StateType(h["state"]), parse_instant(h["date"])) for h in data["histories"])
    return State(StateType(data["current"]), histories)


def task_run_to_json(run: TaskRun, *, internal: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": run.id,
        "executionId": run.execution_id,
        "namespace": run.namespace,
        "flowId": run.flow_id,
        "taskId": run.task_id,
        "parentTaskRunId": run.parent_task_run_id,
        "value": run.value,
        "iteration": run.iteration,
        "state": state_to_json(run.state),
        "attempts": [{"state": state_to_json(a.state)} for a in run.attempts] or None,
        "outputs": dict(run.outputs),
    }
    if run.force_execution:
        data["forceExecution"] = True
    if internal:
        data["seq"] = run.seq
        data["valuePath"] = list(run.value_path)
        if run.loop_values is not None:
            data["loopValues"] = list(run.loop_values)
        if run.batches is not None:
            data["batches"] = run.batches.to_json()
    return data


def task_run_from_json(data: dict[str, Any]) -> TaskRun:
    return TaskRun(
        id=data["id"],
        execution_id=data["executionId"],
        namespace=data["namespace"],
        flow_id=data["flowId"],
        task_id=data["taskId"],
        parent_task_run_id=data.get("parentTaskRunId"),
        value=data.get("value"),
        iteration=data.get("iteration"),
        state=state_from_json(data["state"]),
        attempts=tuple(TaskRunAttempt(state_from_json(a["state"])) for a in data.get("attempts") or ()),
        outputs=data.get("outputs") or {},
        force_execution=bool(data.get("forceExecution", False)),
        seq=int(data.get("seq", 0)),
        value_path=tuple(data.get("valuePath") or ()),
        loop_values=tuple(data["loopValues"]) if data.get("loopValues") is not None else None,
        batches=Batches.from_json(data["batches"]) if data.get("batches") is not None else None,
    )


def header_to_json(execution: Execution, *, internal: bool = False) -> dict[str, Any]:
    """Everything but the task runs."""
    data: dict[str, Any] = {
        "id": execution.id,
        "namespace": execution.namespace,
        "flowId": execution.flow_id,
        "flowRevision": execution.flow_revision,
        "state": state_to_json(execution.state),
        "inputs": execution.inputs,
        "outputs": execution.outputs,
        "variables": execution.variables,
        "labels": [{"key": label.key, "value": label.value} for label in execution.labels],
        "trigger": execution.trigger,
        "parentId": execution.parent_id,
        "originalId": execution.original_id or execution.id,
        "metadata": {
            "attemptNumber": execution.metadata.attempt_number,
            "originalCreatedDate": format_instant(execution.metadata.original_created_date),
        },
        "scheduleDate": format_instant(execution.schedule_date) if execution.schedule_date else None,
    }
    if internal:
        data["version"] = execution.version
        data["nextSeq"] = execution.next_seq
        if not execution.kill_cascade:
            data["killCascade"] = False
        if execution.waited_by is not None:
            data["waitedBy"] = execution.waited_by
    return data


def header_changed(before: Execution, after: Execution) -> bool:
    """Whether a step changed what the stored header holds (the version and the task runs aside)."""

    def stored(execution: Execution) -> dict[str, Any]:
        data = header_to_json(execution, internal=True)
        return {key: value for key, value in data.items() if key not in ("version", "nextSeq")}

    return stored(before) != stored(after)


def execution_to_json(execution: Execution, *, internal: bool = False) -> dict[str, Any]:
    data = header_to_json(execution, internal=internal)
    data["taskRunList"] = [task_run_to_json(r, internal=internal) for r in execution.task_runs]
    return data


def strict_json(value: Any) -> Any:
    """`value` as strict JSON holds it: a NaN or an infinity (a FLOAT input may be one) written as Jackson
    writes them by default, as the strings "NaN", "Infinity" and "-Infinity"."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: strict_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(item) for item in value]
    return value


def execution_from_json(data: dict[str, Any], task_runs: list[TaskRun] | None = None) -> Execution:
    runs = (
        task_runs if task_runs is not None else [task_run_from_json(r) for r in data.get("taskRunList", [])]
    )
    metadata = data.get("metadata") or {}
    state = state_from_json(data["state"])
    return Execution(
        id=data["id"],
        namespace=data["namespace"],
        flow_id=data["flowId"],
        flow_revision=int(data["flowRevision"]),
        state=state,
        task_runs=TaskRuns(runs),
        metadata=ExecutionMetadata(
            attempt_number=int(metadata.get("attemptNumber", 1)),
            original_created_date=parse_instant(metadata["originalCreatedDate"])
            if metadata.get("originalCreatedDate")
            else state.start_date,
        ),
        inputs=data.get("inputs") or {},
        outputs=data.get("outputs"),
        variables=data.get("variables") or {},
        labels=tuple(Label(str(x["key"]), str(x["value"])) for x in data.get("labels") or ()),
        trigger=data.get("trigger"),
        parent_id=data.get("parentId"),
        original_id=data.get("originalId"),
        schedule_date=parse_instant(data["scheduleDate"]) if data.get("scheduleDate") else None,
        version=int(data.get("version", 0)),
        next_seq=int(data.get("nextSeq", len(runs))),
        kill_cascade=bool(data.get("killCascade", True)),
        waited_by=data.get("waitedBy"),
    )


def log_to_json(entry: LogEntry) -> dict[str, Any]:
    return {
        "executionId": entry.execution_id,
        "taskRunId": entry.task_run_id,
        "taskId": entry.task_id,
        "attemptNumber": entry.attempt_number,
        "level": entry.level,
        "message": entry.message,
        "timestamp": format_instant(entry.timestamp),
    }


def log_from_json(data: dict[str, Any]) -> LogEntry:
    return LogEntry(
        execution_id=data["executionId"],
        level=data["level"],
        message=data["message"],
        timestamp=parse_instant(data["timestamp"]),
        task_run_id=data.get("taskRunId"),
        task_id=data.get("taskId"),
        attempt_number=data.get("attemptNumber"),
    )


def purge_to_json(purge: LogPurge) -> dict[str, Any]:
    return {
        "before": format_instant(purge.before),
        "minLevel": purge.min_level,
        "taskRunId": purge.task_run_id,
        "taskId": purge.task_id,
        "attempt": purge.attempt,
        "levels": sorted(purge.levels) if purge.levels is not None else None,
    }


def purge_from_json(data: dict[str, Any]) -> LogPurge:
    return LogPurge(
        before=parse_instant(data["before"]),
        min_level=data.get("minLevel"),
        task_run_id=data.get("taskRunId"),
        task_id=data.get("taskId"),
        attempt=data.get("attempt"),
        levels=frozenset(data["levels"]) if data.get("levels") is not None else None,
    )
