"""Storage contract: kestra:/// URIs."""

from __future__ import annotations

import pytest
from contract_support import Harness

from engine.resources import NotFoundError


def test_put_get_exists(harness: Harness) -> None:
    uri = harness.storage.put("company/team/hello/executions/exec1/out.txt", b"hello\x00world")

    assert uri == "kestra:///company/team/hello/executions/exec1/out.txt"
    assert harness.storage.get(uri) == b"hello\x00world"
    assert harness.storage.exists(uri)
    assert harness.storage.put("/company/team/hello/executions/exec1/out.txt", b"again") == uri
    assert harness.storage.get(uri) == b"again"


def test_missing_object(harness: Harness) -> None:
    assert not harness.storage.exists("kestra:///absent.txt")
    with pytest.raises(NotFoundError):
        harness.storage.get("kestra:///absent.txt")


def test_only_internal_storage_uris(harness: Harness) -> None:
    with pytest.raises(ValueError, match="not an internal storage URI"):
        harness.storage.get("s3://bucket/key")


def test_list_under_a_prefix_and_delete(harness: Harness) -> None:
    storage = harness.storage
    storage.put("ns/_files/a.txt", b"a")
    storage.put("ns/_files/dir/b.txt", b"bb")
    storage.put("ns/other/c.txt", b"c")
    listed = storage.list("kestra:///ns/_files/")
    assert [(o.uri, o.size) for o in listed] == [
        ("kestra:///ns/_files/a.txt", 1),
        ("kestra:///ns/_files/dir/b.txt", 2),
    ]
    assert storage.delete("kestra:///ns/_files/a.txt") is True
    assert storage.delete("kestra:///ns/_files/a.txt") is False
    assert [o.uri for o in storage.list("kestra:///ns/")] == [
        "kestra:///ns/_files/dir/b.txt",
        "kestra:///ns/other/c.txt",
    ]
