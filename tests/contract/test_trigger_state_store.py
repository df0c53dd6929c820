"""TriggerStateStore contract: the same suite on the in-memory and the DynamoDB adapters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from msgspec.structs import replace

from engine.memory.trigger_state_store import InMemoryTriggerStateStore
from engine.ports import Backfill, ConcurrentModificationError, ScheduleState, TriggerStateStore
from infra.aws.trigger_state_store import DynamoTriggerStateStore
from infra.embedded.stack import EmbeddedStack


@pytest.fixture(params=["memory", "moto"])
def states(request: pytest.FixtureRequest) -> Iterator[TriggerStateStore]:
    if request.param == "memory":
        yield InMemoryTriggerStateStore()
        return
    with EmbeddedStack() as stack:
        yield DynamoTriggerStateStore(stack.session, stack.settings.state_table)


def test_what_the_api_sets_is_read_back_and_forgotten(states: TriggerStateStore) -> None:
    assert states.disabled() == {}
    states.set_disabled("company.team", "etl", "hook", True)
    states.set_disabled("company.team", "etl", "on_end", False)
    states.set_disabled("company.team", "etl", "hook", False)
    assert states.disabled() == {
        ("company.team", "etl", "hook"): False,
        ("company.team", "etl", "on_end"): False,
    }
    assert states.forget("company.team", "etl", "hook") is True
    assert states.forget("company.team", "etl", "hook") is False
    assert states.disabled() == {("company.team", "etl", "on_end"): False}


PARIS = ZoneInfo("Europe/Paris")


def test_a_schedule_state_round_trips_and_is_written_conditionally(states: TriggerStateStore) -> None:
    assert states.schedule("company.team", "etl", "daily") is None
    state = ScheduleState(
        next=datetime(2026, 3, 29, 3, 30, tzinfo=PARIS),
        date=datetime(2026, 3, 28, 2, 30, tzinfo=PARIS),
        execution_id="abc",
        backfill=Backfill(
            id="b1",
            start=datetime(2026, 1, 1, tzinfo=UTC),
            end=None,
            current=datetime(2026, 1, 2, tzinfo=UTC),
            inputs={"who": "backfill"},
            labels=(("kind", "backfill"),),
            paused=True,
        ),
    )
    assert states.save_schedule("company.team", "etl", "daily", state) == 1
    read = states.schedule("company.team", "etl", "daily")
    assert read == replace(state, version=1)
    assert read is not None and read.next is not None and read.next.utcoffset() == timedelta(hours=2)
    with pytest.raises(ConcurrentModificationError):
        states.save_schedule("company.team", "etl", "daily", state)  # written since version 0 was read
    assert states.save_schedule("company.team", "etl", "daily", replace(read, backfill=None)) == 2
    assert states.forget("company.team", "etl", "daily") is True
    assert states.schedule("company.team", "etl", "daily") is None
