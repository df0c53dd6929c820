"""Flow concurrency slots and queues in dicts."""

from __future__ import annotations

from datetime import datetime


class InMemoryConcurrencyStore:
    def __init__(self) -> None:
        self.holders: dict[str, set[str]] = {}
        self.queues: dict[str, dict[str, datetime]] = {}

    def acquire(self, flow: str, execution_id: str, limit: int) -> tuple[bool, int]:
        holders = self.holders.setdefault(flow, set())
        if execution_id in holders or len(holders) < limit:
            holders.add(execution_id)
            return True, len(holders)
        return False, len(holders)

    def release(self, flow: str, execution_id: str) -> None:
        self.holders.get(flow, set()).discard(execution_id)

    def enqueue(self, flow: str, execution_id: str, queued_at: datetime) -> None:
        self.queues.setdefault(flow, {})[execution_id] = queued_at

    def dequeue(self, flow: str, execution_id: str, queued_at: datetime) -> bool:
        return self.queues.get(flow, {}).pop(execution_id, None) is not None

    def queued(self, flow: str, limit: int) -> list[tuple[datetime, str]]:
        waiting = sorted((at, execution_id) for execution_id, at in self.queues.get(flow, {}).items())
        return waiting[:limit]
