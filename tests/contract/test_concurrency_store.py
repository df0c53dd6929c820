"""ConcurrencyStore contract: the same suite on the in-memory and the DynamoDB adapters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from contract_support import START

from engine.memory.concurrency_store import InMemoryConcurrencyStore
from engine.ports import ConcurrencyStore
from infra.aws.concurrency_store import DynamoConcurrencyStore
from infra.embedded.stack import EmbeddedStack

FLOW = "demo#flow"


@pytest.fixture(params=["memory", "moto"])
def slots(request: pytest.FixtureRequest) -> Iterator[ConcurrencyStore]:
    if request.param == "memory":
        yield InMemoryConcurrencyStore()
        return
    with EmbeddedStack() as stack:
        yield DynamoConcurrencyStore(stack.session, stack.settings.state_table)


def test_slots_are_granted_up_to_the_limit_and_held_by_execution(slots: ConcurrencyStore) -> None:
    assert slots.acquire(FLOW, "e1", 2) == (True, 1)
    assert slots.acquire(FLOW, "e1", 2) == (True, 1)  # asking again keeps the same slot
    assert slots.acquire(FLOW, "e2", 2) == (True, 2)
    assert slots.acquire(FLOW, "e3", 2) == (False, 2)
    assert slots.acquire("demo#other", "e3", 2) == (True, 1)  # per flow


def test_release_is_idempotent_and_frees_exactly_one_slot(slots: ConcurrencyStore) -> None:
    slots.acquire(FLOW, "e1", 1)
    slots.release(FLOW, "e1")
    slots.release(FLOW, "e1")
    slots.release(FLOW, "never-held")
    assert slots.acquire(FLOW, "e2", 1) == (True, 1)
    assert slots.acquire(FLOW, "e3", 1) == (False, 1)


def test_the_queue_is_first_in_first_out_and_dequeued_once(slots: ConcurrencyStore) -> None:
    later, earlier = START + timedelta(seconds=5), START
    slots.enqueue(FLOW, "late", later)
    slots.enqueue(FLOW, "early", earlier)
    slots.enqueue(FLOW, "early", earlier)  # queueing again keeps one entry
    assert slots.queued(FLOW, 10) == [(earlier, "early"), (later, "late")]
    assert slots.queued(FLOW, 1) == [(earlier, "early")]
    assert slots.dequeue(FLOW, "early", earlier)
    assert not slots.dequeue(FLOW, "early", earlier)
    assert slots.queued(FLOW, 10) == [(later, "late")]
    assert slots.queued("demo#other", 10) == []
