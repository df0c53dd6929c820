"""The file name a Download gives what it fetched: never a path the server chose."""

from __future__ import annotations

import pytest

from engine.tasks.http_download import _from_disposition, _from_path


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ('attachment; filename="report.csv"', "report.csv"),
        ("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf", "résumé.pdf"),
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ('attachment; filename=".."', None),
        ("inline", None),
    ],
)
def test_a_content_disposition_name(header: str, name: str | None) -> None:
    assert _from_disposition(header) == name


def test_else_the_last_segment_of_the_path() -> None:
    assert _from_path("https://host/files/data%20set.csv?x=1") == "data set.csv"
    assert _from_path("https://host/") is None
