"""One harness per implementation of the ports: in-memory, and AWS adapters on the embedded stack."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from contract_support import START, Harness

from engine.memory import (
    InMemoryExecutionStore,
    InMemoryFlowRepository,
    InMemoryMessageBus,
    InMemoryStorage,
    ManualClock,
)
from engine.ports import QueueName
from infra.embedded.clock import VirtualClock
from infra.embedded.scheduler import LocalScheduler
from infra.embedded.stack import EmbeddedStack


def _memory() -> Iterator[Harness]:
    clock = ManualClock(START)
    bus = InMemoryMessageBus()
    yield Harness(
        store=InMemoryExecutionStore(),
        flows=InMemoryFlowRepository(),
        bus=bus,
        storage=InMemoryStorage(),
        now=clock.now,
        advance=clock.advance,
        receive=lambda queue: [m.body for m in bus.due(queue, clock.now())],
    )


def _moto() -> Iterator[Harness]:
    with VirtualClock(START, tick=False) as clock, EmbeddedStack(clock=clock) as stack:
        bus = stack.message_bus()
        urls = {
            QueueName.DISPATCH: stack.settings.dispatch_queue_url,
            QueueName.WORKER: stack.settings.worker_queue_url,
            QueueName.TIMER: stack.settings.timer_queue_url,
        }
        scheduler = LocalScheduler(
            stack.session,
            stack.settings.schedule_group,
            {stack.settings.timer_queue_arn: urls[QueueName.TIMER]},
        )

        def receive(queue: QueueName) -> list[dict[str, Any]]:
            if queue is QueueName.TIMER:
                scheduler.fire_due(clock.now())
            sqs = stack.session.sqs
            bodies: list[dict[str, Any]] = []
            while True:
                messages = sqs.receive_message(QueueUrl=urls[queue], MaxNumberOfMessages=10).get(
                    "Messages", []
                )
                if not messages:
                    return bodies
                bodies += [bus.decode_body(m["Body"]) for m in messages]
                sqs.delete_message_batch(
                    QueueUrl=urls[queue],
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
                    ],
                )

        yield Harness(
            store=stack.execution_store(),
            flows=stack.flow_repository(),
            bus=bus,
            storage=stack.storage(),
            now=clock.now,
            advance=clock.advance,
            receive=receive,
        )


@pytest.fixture(params=["memory", "moto"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    yield from (_memory() if request.param == "memory" else _moto())
