"""TriggerStateStore contract: the same suite on the in-memory and the DynamoDB adapters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.memory.trigger_state_store import InMemoryTriggerStateStore
from engine.ports import TriggerStateStore
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
