"""FlowRepository contract."""

from __future__ import annotations

import pytest
from contract_support import Harness

from engine.ports import FlowRecord
from engine.resources import NotFoundError

SOURCE = "id: hello\nnamespace: company.team\ntasks: []\n"
CHANGED = SOURCE + "description: changed\n"


def test_same_source_keeps_the_revision(harness: Harness) -> None:
    first = harness.flows.save("company.team", "hello", SOURCE)
    again = harness.flows.save("company.team", "hello", SOURCE)

    assert first == FlowRecord("company.team", "hello", 1, SOURCE)
    assert again == first


def test_changed_source_is_the_next_revision(harness: Harness) -> None:
    harness.flows.save("company.team", "hello", SOURCE)
    second = harness.flows.save("company.team", "hello", CHANGED)

    assert second.revision == 2
    assert harness.flows.get("company.team", "hello") == second
    assert harness.flows.get("company.team", "hello", 1) == FlowRecord("company.team", "hello", 1, SOURCE)
    assert harness.flows.get("company.team", "hello", 3) is None
    assert harness.flows.get("company.team", "absent") is None


def test_delete_writes_a_tombstone_revision(harness: Harness) -> None:
    harness.flows.save("company.team", "hello", SOURCE)
    harness.flows.delete("company.team", "hello")

    assert harness.flows.get("company.team", "hello") is None
    tombstone = harness.flows.get("company.team", "hello", 2)
    assert tombstone is not None
    assert tombstone.deleted
    assert harness.flows.list() == []
    with pytest.raises(NotFoundError):
        harness.flows.delete("company.team", "hello")

    revived = harness.flows.save("company.team", "hello", SOURCE)
    assert revived == FlowRecord("company.team", "hello", 3, SOURCE)


def test_list_returns_the_latest_live_revision_of_each_flow(harness: Harness) -> None:
    harness.flows.save("company.team", "b", SOURCE)
    harness.flows.save("company.team", "b", CHANGED)
    harness.flows.save("company.team", "a", SOURCE)
    harness.flows.save("company.other", "c", SOURCE)
    harness.flows.save("company.team", "gone", SOURCE)
    harness.flows.delete("company.team", "gone")

    assert [(f.namespace, f.id, f.revision) for f in harness.flows.list()] == [
        ("company.other", "c", 1),
        ("company.team", "a", 1),
        ("company.team", "b", 2),
    ]
    assert [f.id for f in harness.flows.list("company.team")] == ["a", "b"]


def test_the_generation_grows_with_every_save_and_delete_only(harness: Harness) -> None:
    flows = harness.flows
    start = flows.generation()
    flows.save("demo", "a", "id: a\nnamespace: demo\n")
    flows.save("demo", "b", "id: b\nnamespace: demo\n")
    after_saves = flows.generation()
    assert after_saves == start + 2
    flows.save("demo", "a", "id: a\nnamespace: demo\n")  # identical: no new revision
    flows.get("demo", "a")
    flows.list()
    assert flows.generation() == after_saves
    flows.delete("demo", "b")
    assert flows.generation() == after_saves + 1
    assert [r.id for r in flows.list()] == ["a"]


def test_a_revision_keeps_its_document(harness: Harness) -> None:
    document = b"\x83\xa2id\xa5hello"
    saved = harness.flows.save("company.team", "hello", SOURCE, document)
    harness.flows.save("company.team", "other", SOURCE)

    assert saved.document == document
    assert harness.flows.get("company.team", "hello") == saved
    assert harness.flows.get("company.team", "hello", 1) == saved
    assert [f.document for f in harness.flows.list()] == [document, None]
    assert harness.flows.get("company.team", "other") == FlowRecord("company.team", "other", 1, SOURCE)

    harness.flows.delete("company.team", "hello")
    tombstone = harness.flows.get("company.team", "hello", 2)
    assert tombstone is not None and tombstone.document is None
