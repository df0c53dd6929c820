"""KVStore contract, and Kestra's KV semantics (NamespaceKV) on top of each adapter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from contract_support import START

from engine.kv import KVError, NamespaceKV
from engine.memory import ManualClock
from engine.memory.kv_store import InMemoryKVStore
from engine.resources import KVEntry, KVStore
from infra.aws.kv_store import DynamoKVStore
from infra.embedded.stack import EmbeddedStack

NS = "company.team"


@pytest.fixture(params=["memory", "moto"])
def store(request: pytest.FixtureRequest) -> Iterator[KVStore]:
    if request.param == "memory":
        yield InMemoryKVStore()
        return
    with EmbeddedStack() as stack:
        yield DynamoKVStore(stack.session, stack.settings.state_table)


def entry(json_value: str = '"v"', kv_type: str = "STRING", expires: datetime | None = None) -> KVEntry:
    return KVEntry(type=kv_type, json_value=json_value, updated=START, expiration_date=expires)


def test_get_what_was_put(store: KVStore) -> None:
    assert store.get(NS, "absent") is None
    stored = entry('{"a":[1,2.5,null]}', "JSON", START + timedelta(hours=1))

    assert store.put(NS, "key", stored)
    assert store.get(NS, "key") == stored
    assert store.get("company", "key") is None


def test_put_overwrites_unless_told_not_to(store: KVStore) -> None:
    store.put(NS, "key", entry('"first"'))

    assert store.put(NS, "key", entry('"second"'))
    assert not store.put(NS, "key", entry('"third"'), overwrite=False)
    assert store.get(NS, "key") == entry('"second"')
    assert store.put(NS, "other", entry('"new"'), overwrite=False)
    assert store.get(NS, "other") == entry('"new"')


def test_delete_says_whether_there_was_a_pair(store: KVStore) -> None:
    store.put(NS, "key", entry())

    assert store.delete(NS, "key")
    assert store.get(NS, "key") is None
    assert not store.delete(NS, "key")


def test_list_is_one_namespace_sorted_by_key(store: KVStore) -> None:
    for key in ["b", "a.x", "C", "a-1"]:
        store.put(NS, key, entry(f'"{key}"'))
    store.put("company", "zz", entry())
    store.put("company.team.child", "zz", entry())

    assert [key for key, _ in store.list(NS)] == ["C", "a-1", "a.x", "b"]
    assert dict(store.list(NS))["b"] == entry('"b"')
    assert store.list("empty") == []


def test_namespaces_are_those_with_a_key(store: KVStore) -> None:
    assert store.namespaces() == []
    for namespace in ["company.team", "company", "company.team", "other"]:
        store.put(namespace, "k", entry())
    store.put("gone", "k", entry())
    store.delete("gone", "k")
    assert store.namespaces() == ["company", "company.team", "other"]


def test_an_expired_entry_is_kept_with_its_expiration(store: KVStore) -> None:
    expired = entry(expires=START - timedelta(seconds=1))
    store.put(NS, "old", expired)

    assert store.get(NS, "old") == expired
    assert store.list(NS) == [("old", expired)]


# --- NamespaceKV over each adapter ----------------------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def kv(store: KVStore, clock: ManualClock) -> NamespaceKV:
    return NamespaceKV(store, clock, NS)


@pytest.mark.parametrize(
    ("value", "kv_type", "expected"),
    [
        ("123.45", "NUMBER", 123.45),
        ("42", "NUMBER", 42),
        ("true", "BOOLEAN", True),
        ('[{"some":"value"},{"another":"value"}]', "JSON", [{"some": "value"}, {"another": "value"}]),
        ('{"a":{"b":1}}', "JSON", {"a": {"b": 1}}),
        ("2025-03-04T05:06:07.123Z", "DATETIME", datetime(2025, 3, 4, 5, 6, 7, 123000, tzinfo=UTC)),
        ("PT1H30M", "DURATION", "PT1H30M"),
        ("plain text", "STRING", "plain text"),
        ("plain text", None, "plain text"),
        (12.5, None, 12.5),
        ({"k": [1, 2]}, None, {"k": [1, 2]}),
    ],
)
def test_values_come_back_with_their_type(
    kv: NamespaceKV, value: Any, kv_type: str | None, expected: Any
) -> None:
    kv.put("key", value, kv_type=kv_type, ttl=None, overwrite=True)

    assert kv.get("key") == (True, expected)
    assert type(kv.get("key")[1]) is type(expected)


def test_the_type_is_stored_with_the_value(kv: NamespaceKV, store: KVStore) -> None:
    kv.put("number", "7", kv_type="NUMBER", ttl=None, overwrite=True)
    kv.put("inferred", [1], kv_type=None, ttl=None, overwrite=True)

    assert store.get(NS, "number") == KVEntry("NUMBER", "7", START)
    assert store.get(NS, "inferred") == KVEntry("JSON", "[1]", START)


def test_expired_pairs_are_hidden_but_listed_for_purging(kv: NamespaceKV, clock: ManualClock) -> None:
    kv.put("short", "s", kv_type=None, ttl=timedelta(minutes=5), overwrite=True)
    kv.put("forever", "f", kv_type=None, ttl=None, overwrite=True)
    assert kv.keys() == ["forever", "short"]

    clock.advance(timedelta(minutes=5))

    assert kv.get("short") == (False, None)
    assert kv.keys() == ["forever"]
    assert [key for key, _ in kv.entries()] == ["forever", "short"]
    assert kv.delete("short")


def test_overwrite_false_fails_with_kestra_message(kv: NamespaceKV) -> None:
    kv.put("key", "first", kv_type=None, ttl=None, overwrite=False)

    with pytest.raises(KVError) as failure:
        kv.put("key", "second", kv_type=None, ttl=None, overwrite=False)

    assert str(failure.value) == (
        "Cannot set value for key 'key'. Key already exists and `overwrite` is set to `false`."
    )
    assert kv.get("key") == (True, "first")


@pytest.mark.parametrize(
    ("key", "message"),
    [("", "Key cannot be null or empty"), ("_hidden", "Key must start with an alphanumeric character")],
)
def test_invalid_keys_are_refused(kv: NamespaceKV, key: str, message: str) -> None:
    for attempt in (
        lambda: kv.get(key),
        lambda: kv.put(key, "v", kv_type=None, ttl=None, overwrite=True),
        lambda: kv.delete(key),
    ):
        with pytest.raises(KVError, match=message):
            attempt()
