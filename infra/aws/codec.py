"""JSON for the outbox entries DynamoDB stores with an execution (log entries use the engine's serde)."""

from __future__ import annotations

from typing import Any

from engine.model.serde import format_instant, parse_instant
from engine.ports import Message, OutboxEntry, QueueName


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


def entry_to_json(entry: OutboxEntry) -> dict[str, Any]:
    data = message_to_json(entry.message) | {"at": format_instant(entry.at)}
    if entry.origins:
        data["origins"] = list(entry.origins)
    if entry.ordered:
        data["ordered"] = True
    return data


def entry_from_json(data: dict[str, Any]) -> OutboxEntry:
    return OutboxEntry(
        message_from_json(data),
        parse_instant(data["at"]),
        tuple(data.get("origins") or ()),
        bool(data.get("ordered", False)),
    )
