"""moto's SQS, made to keep up with deep queues (local only), and a look inside it that the API cannot give:
when the next hidden message (delayed, or in flight) becomes visible, and whether a queue has a visible one.

moto computes every attribute of a queue, message counts included, which reads the clock once per queued
message, whenever it needs one of them: for each message it sends to or receives from a FIFO queue, and
for each message it receives (its retention check). With a few hundred queued messages that was most of a
local run's time. `install` makes a queue's attributes lazy: each is computed when read, as moto computes
it, so nothing changes but the work.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from moto.core.utils import camelcase_to_underscores, unix_time_millis
from moto.sqs.models import Queue, sqs_backends

_MARK = "_kite_lazy"


def next_visible(account_id: str, region: str, queue_names: Iterable[str]) -> datetime | None:
    """When the next message of these queues can be received: now if one can already. A message that
    becomes visible between a look at the visible ones and this one is counted, not missed (the clock may
    tick in between); a FIFO message waits while its group has one in flight."""
    backend = sqs_backends[account_id][region]
    now = unix_time_millis()
    earliest: float | None = None
    for name in queue_names:
        queue = backend.queues.get(name)
        if queue is None:
            continue
        blocked: dict[str | None, float] = {}
        if queue.fifo_queue:
            for message in queue._messages:
                if message.visible_at > now:  # in flight: its group waits for it
                    blocked[message.group_id] = max(blocked.get(message.group_id, 0.0), message.visible_at)
        for message in queue._messages:
            release = max(message.delayed_until, message.visible_at, blocked.get(message.group_id, 0.0), now)
            earliest = release if earliest is None else min(earliest, release)
    return None if earliest is None else datetime.fromtimestamp(earliest / 1000, UTC)


def has_visible(account_id: str, region: str, queue_name: str) -> bool:
    """Some message of the queue could be received now."""
    queue = sqs_backends[account_id][region].queues.get(queue_name)
    if queue is None:
        return False
    now = unix_time_millis()
    return any(now > message.visible_at and now >= message.delayed_until for message in queue._messages)


class _LazyAttributes(Mapping[str, Any]):
    """A queue's attributes as moto's `Queue.attributes` builds them, each computed when read."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue

    def _names(self) -> list[str]:
        queue = self._queue
        names = list(queue.BASE_ATTRIBUTES)
        if queue.fifo_queue:
            names += queue.FIFO_ATTRIBUTES
        if queue.kms_master_key_id:  # type: ignore[attr-defined]
            names += queue.KMS_ATTRIBUTES
        names += [name for name in ("Policy", "RedrivePolicy") if name not in names]
        return names

    def __getitem__(self, name: str) -> Any:
        if name not in self._names():
            raise KeyError(name)
        queue = self._queue
        if name == "Policy" and queue.policy:
            return queue.policy
        if name == "RedrivePolicy" and queue.redrive_policy:
            return json.dumps(queue.redrive_policy)
        value = getattr(queue, camelcase_to_underscores(name))
        return str(value).lower() if isinstance(value, bool) else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self) == dict(other)

    __hash__ = None  # type: ignore[assignment]


def install() -> None:
    """Patch moto's SQS queues (idempotent)."""
    if getattr(Queue, _MARK, False):
        return
    Queue.attributes = property(_LazyAttributes)  # type: ignore[assignment,method-assign]
    setattr(Queue, _MARK, True)
