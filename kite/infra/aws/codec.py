"""JSON for the port values that DynamoDB stores besides executions: outbox messages and log entries."""

from __future__ import annotations

from typing import Any

from kite.engine.model.serde import format_instant, parse_instant
from kite.engine.ports import LogEntry, Message, QueueName


def message_to_json(message: Message) -> dict[str, Any]:
    return {
        "queue": message.queue.value,
        "body": message.body,
        "dedupId": message.dedup_id,
        "groupId": message.group_id,
        "deliverAt": format_instant(message.deliver_at) if message.deliver_at else None,
    }


def message_from_json(data: dict[str, Any]) -> Message:
    return Message(
        queue=QueueName(data["queue"]),
        body=data["body"],
        dedup_id=data["dedupId"],
        group_id=data.get("groupId"),
        deliver_at=parse_instant(data["deliverAt"]) if data.get("deliverAt") else None,
    )


def log_to_json(entry: LogEntry) -> dict[str, Any]:
    return {
        "executionId": entry.execution_id,
        "level": entry.level,
        "message": entry.message,
        "timestamp": format_instant(entry.timestamp),
        "taskRunId": entry.task_run_id,
        "taskId": entry.task_id,
        "attemptNumber": entry.attempt_number,
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
