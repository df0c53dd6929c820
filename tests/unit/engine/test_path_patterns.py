"""Kestra's path patterns, as its PathMatcherPredicateTest states them."""

from __future__ import annotations

import pytest

from engine.model.path_patterns import matcher


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("**input.txt", "/input.txt", True),
        ("**input.txt", "/dir/input.txt", True),
        ("**", "/a/b/c.txt", True),
        ("*.sql", "/a.sql", False),  # `*` does not cross the leading slash, as in Java
        ("**.sql", "/a.sql", True),
        ("*.sql", "/dir/a.sql", False),
        ("**/*.sql", "/dir/a.sql", True),
        ("queries/*.sql", "/queries/a.sql", True),
        ("queries/*.sql", "/x/queries/a.sql", True),
        ("queries/*.sql", "/queries/deep/a.sql", False),
        ("glob:/scripts/**", "/scripts/a/b.py", True),
        ("glob:/scripts/*.{py,sh}", "/scripts/run.sh", True),
        ("glob:/scripts/*.{py,sh}", "/scripts/run.rb", False),
        ("regex:.*\\.ya?ml", "/flows/a.yml", True),
        ("/file.txt", "/file.txt", True),
        ("/file.txt", "/dir/file.txt", False),
    ],
)
def test_a_pattern_matches_as_javas_path_matcher(pattern: str, path: str, matches: bool) -> None:
    assert matcher([pattern])(path) is matches
