"""Runs flows end to end on the in-memory adapters: the queues are lists, time is a ManualClock.

The same services as in Lambda; only the adapters differ. Fast enough for table-driven executor tests;
`kite run` and the functional tests use the real handlers on moto instead.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from engine.config import EngineConfig
from engine.memory.clock import ManualClock
from engine.memory.concurrency_store import InMemoryConcurrencyStore
from engine.memory.execution_store import InMemoryExecutionStore
from engine.memory.flow_repository import InMemoryFlowRepository
from engine.memory.ids import RandomIds
from engine.memory.message_bus import InMemoryMessageBus
from engine.memory.precondition_store import InMemoryPreconditionStore
from engine.memory.resources import in_memory_resources
from engine.memory.trigger_state_store import InMemoryTriggerStateStore
from engine.memory.trigger_wakes import InMemoryTriggerWakes
from engine.model.execution import Execution
from engine.ports import Message, QueueName
from engine.resources import Resources
from engine.services import messages
from engine.services.app import Services
from engine.services.dispatcher import Delivery

START = datetime(2026, 1, 1, tzinfo=UTC)
TEST_KEY = bytes(range(32))


class InMemoryRunner:
    def __init__(
        self,
        *,
        inline_budget: int = 500,
        seed: int = 0,
        resources: Resources | None = None,
        config: EngineConfig | None = None,
        max_writes: int | None = None,
        store: InMemoryExecutionStore | None = None,
    ) -> None:
        self.clock = ManualClock(START)
        self.bus = InMemoryMessageBus()
        self.store = store or InMemoryExecutionStore()
        self.repository = InMemoryFlowRepository()
        self.wakes = InMemoryTriggerWakes()
        self.services = Services.build(
            self.repository,
            self.store,
            self.bus,
            self.clock,
            RandomIds(random.Random(seed)),
            resources or in_memory_resources(),
            InMemoryConcurrencyStore(),
            InMemoryPreconditionStore(),
            InMemoryTriggerStateStore(),
            wakes=self.wakes,
            # A fixed key by default: this runner is for tests, its executions die with it.
            config=config or EngineConfig(encryption_key=TEST_KEY),
            inline_budget=inline_budget,
            max_writes=max_writes,
        )

    def deploy(self, source: str) -> None:
        self.services.flows.deploy(source)

    def run(
        self,
        namespace: str,
        flow_id: str,
        inputs: Mapping[str, Any] | None = None,
        labels: Sequence[tuple[str, str]] = (),
        max_steps: int = 100_000,
    ) -> Execution:
        execution = self.services.executions.create(namespace, flow_id, inputs, labels)
        self.drain(max_steps)
        return self.services.executions.get(execution.id)

    def drain(self, max_steps: int = 100_000) -> None:
        """Deliver messages until every queue is empty, jumping the clock to the next timer when idle."""
        for _ in range(max_steps):
            if self._deliver():
                continue
            pending = [m.deliver_at for m in self.bus.sent[QueueName.TIMER] if m.deliver_at is not None]
            if not pending:
                return
            self.clock.set(max(self.clock.now(), min(pending)))
        raise RuntimeError("the in-memory runner did not settle")

    def drain_now(self, max_steps: int = 100_000) -> None:
        """Deliver what is due without moving the clock (timers in the future stay pending)."""
        for _ in range(max_steps):
            if not self._deliver():
                return
        raise RuntimeError("the in-memory runner did not settle")

    def _deliver(self) -> bool:
        batch = self.bus.drain(QueueName.DISPATCH) + self.bus.due(QueueName.TIMER, self.clock.now())
        for message in batch:
            tick = messages.decode_tick(message.body)
            if tick is not None:
                self.services.schedules.tick(tick)
                continue
            execution_id, event = messages.decode_event(message.body)
            self.services.dispatcher.handle(execution_id, [event])
        work = self.bus.drain(QueueName.WORKER)
        for message in work:
            reports: list[Message] = []
            self.services.worker.handle(message.body, Delivery(frozenset({message.dedup_id})), reports)
            self.services.worker.send(reports)
        return bool(batch or work)
