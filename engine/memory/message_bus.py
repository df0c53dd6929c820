"""A message bus that keeps what was sent, for tests to inspect and deliver."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime

from engine.ports import Message, QueueName


class InMemoryMessageBus:
    def __init__(self) -> None:
        self.sent: dict[QueueName, list[Message]] = {queue: [] for queue in QueueName}

    def send(self, messages: Sequence[Message]) -> None:
        for message in messages:
            # A sender may reuse its body dict; the queue must keep what was sent.
            self.sent[message.queue].append(copy.deepcopy(message))

    def drain(self, queue: QueueName) -> list[Message]:
        """Take every message of `queue`, due or not."""
        taken, self.sent[queue] = self.sent[queue], []
        return taken

    def due(self, queue: QueueName, now: datetime) -> list[Message]:
        """Take the messages of `queue` whose `deliver_at` has come, in sending order."""
        taken: list[Message] = []
        kept: list[Message] = []
        for message in self.sent[queue]:
            (taken if message.deliver_at is None or message.deliver_at <= now else kept).append(message)
        self.sent[queue] = kept
        return taken
