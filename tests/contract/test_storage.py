"""Storage contract: kestra:/// URIs."""

from __future__ import annotations

from collections.abc import Iterator

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


def test_the_start_of_an_object(harness: Harness) -> None:
    uri = harness.storage.put("company/team/hello/executions/exec1/rows.txt", b"one\ntwo\nthree\n")
    empty = harness.storage.put("company/team/hello/executions/exec1/empty.txt", b"")

    assert harness.storage.get(uri, 5) == b"one\nt"
    assert harness.storage.get(uri, 1000) == b"one\ntwo\nthree\n"
    assert harness.storage.get(uri, 0) == b""
    assert harness.storage.get(empty, 10) == b""
    with pytest.raises(NotFoundError):
        harness.storage.get("kestra:///absent.txt", 10)


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


def test_chunks_of_any_size_are_stored_whole(harness: Harness) -> None:
    """A download larger than a multipart part (8 MB) is stored in parts, never held at once."""
    chunks = [bytes([n]) * (3 * 1024 * 1024) for n in range(7)]  # 21 MB in 3 MB chunks
    uri, size = harness.storage.put_chunks("ns/exec/big.bin", iter(chunks))
    assert (uri, size) == ("kestra:///ns/exec/big.bin", 21 * 1024 * 1024)
    assert harness.storage.get(uri) == b"".join(chunks)
    small, length = harness.storage.put_chunks("ns/exec/small.txt", iter([b"a", b"b"]))
    assert (harness.storage.get(small), length) == (b"ab", 2)


def test_chunks_that_fail_store_nothing(harness: Harness) -> None:
    def failing() -> Iterator[bytes]:
        yield b"x" * (9 * 1024 * 1024)
        raise OSError("connection reset")

    with pytest.raises(OSError, match="connection reset"):
        harness.storage.put_chunks("ns/exec/broken.bin", failing())
    assert not harness.storage.exists("kestra:///ns/exec/broken.bin")
