"""PreconditionStore contract: the same suite on the in-memory and the DynamoDB adapters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from contract_support import START

from engine.memory.precondition_store import InMemoryPreconditionStore
from engine.ports import FIRERS_KEPT, PreconditionStore
from infra.aws.precondition_store import DynamoPreconditionStore
from infra.embedded.stack import EmbeddedStack

KEY = "demo/listener/on_etl/p/2026-01-01"
LATER = START + timedelta(days=1)


@pytest.fixture(params=["memory", "moto"])
def store(request: pytest.FixtureRequest) -> Iterator[PreconditionStore]:
    if request.param == "memory":
        yield InMemoryPreconditionStore()
        return
    with EmbeddedStack() as stack:
        yield DynamoPreconditionStore(stack.session, stack.settings.state_table)


def test_matches_accumulate_per_key_and_each_write_is_a_version(store: PreconditionStore) -> None:
    first = store.record(KEY, ["flows[0]"], START, LATER)
    assert first.matches == {"flows[0]": START}
    second = store.record(KEY, ["flows[1]", "where.w"], START + timedelta(minutes=1), LATER)
    assert second.matches == {
        "flows[0]": START,
        "flows[1]": START + timedelta(minutes=1),
        "where.w": START + timedelta(minutes=1),
    }
    assert second.version > first.version
    again = store.record(KEY, ["flows[0]"], START + timedelta(minutes=2), LATER)
    assert again.matches["flows[0]"] == START + timedelta(minutes=2)  # the latest match counts
    assert store.record("other", ["x"], START, LATER).matches == {"x": START}


def test_one_completion_fires_once_and_starts_a_new_round(store: PreconditionStore) -> None:
    state = store.record(KEY, ["a", "b"], START, LATER)
    assert store.fire(KEY, state.version, "upstream-1") is True
    assert store.fire(KEY, state.version, "upstream-2") is False  # the state moved on
    after = store.record(KEY, ["a"], START, LATER)
    assert after.matches == {"a": START}
    assert after.fired == ("upstream-1",)


def test_a_firing_after_another_write_is_refused(store: PreconditionStore) -> None:
    state = store.record(KEY, ["a"], START, LATER)
    store.record(KEY, ["b"], START, LATER)
    assert store.fire(KEY, state.version, "late") is False
    assert store.fire("never-recorded", 1, "x") is False


def test_firers_are_kept_up_to_a_bound(store: PreconditionStore) -> None:
    for index in range(FIRERS_KEPT + 3):
        state = store.record(KEY, ["a"], START, LATER)
        assert store.fire(KEY, state.version, f"u{index}")
    fired = store.record(KEY, ["a"], START, LATER).fired
    assert fired == tuple(f"u{i}" for i in range(3, FIRERS_KEPT + 3))
