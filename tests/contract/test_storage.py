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
