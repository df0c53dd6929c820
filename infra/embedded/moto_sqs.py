"""A look inside moto's SQS backend, which the API cannot give, or only slowly: when the next hidden message
(delayed, or in flight) becomes visible, and whether a queue has a visible one. GetQueueAttributes reads
the clock once per message and per attribute, which made it the pump's largest cost on deep queues.
Local-only."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from moto.core.utils import unix_time_millis
from moto.sqs.models import sqs_backends


def next_visible(account_id: str, region: str, queue_names: Iterable[str]) -> datetime | None:
    backend = sqs_backends[account_id][region]
    earliest: float | None = None
    for name in queue_names:
        queue = backend.queues.get(name)
        for message in queue._messages if queue is not None else ():
            if message.delayed:
                release = float(message.delayed_until)
            elif not message.visible:
                release = float(message.visible_at)
            else:
                continue
            earliest = release if earliest is None else min(earliest, release)
    return None if earliest is None else datetime.fromtimestamp(earliest / 1000, UTC)


def has_visible(account_id: str, region: str, queue_name: str) -> bool:
    """Some message of the queue could be received now."""
    queue = sqs_backends[account_id][region].queues.get(queue_name)
    if queue is None:
        return False
    now = unix_time_millis()
    return any(now > message.visible_at and now >= message.delayed_until for message in queue._messages)
