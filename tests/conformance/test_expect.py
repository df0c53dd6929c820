"""The matcher engine against the README's rules, one row per rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.conformance.expect import fmt, matches, mismatch, normalise, parse_duration

PLACEHOLDERS = {"execution.id": "exec1", "taskrun:t1": "run1", "child:io.kestra.tests.child": "child1"}


def resolve(name: str) -> str | None:
    return PLACEHOLDERS.get(name)


# (expected, actual, holds)
CASES: list[tuple[str, Any, Any, bool]] = [
    # literals after JSON normalisation
    ("equal strings", "a", "a", True),
    ("different strings", "a", "b", False),
    ("int equals float", 1, 1.0, True),
    ("decimal actual", 2, Decimal("2"), True),
    ("bool is not int", True, 1, False),
    ("int is not bool", 1, True, False),
    ("string is not number", "1", 1, False),
    ("tuple actual is a list", [1, 2], (1, 2), True),
    ("lists keep order", [1, 2], [2, 1], False),
    ("lists keep length", [1], [1, 2], False),
    ("list items are subset-matched maps", [{"a": 1}], [{"a": 1, "b": 2}], True),
    # maps
    ("map subset", {"a": 1}, {"a": 1, "b": 2}, True),
    ("map missing key", {"a": 1}, {"b": 2}, False),
    ("nested map subset", {"a": {"b": 1}}, {"a": {"b": 1, "c": 2}}, True),
    ("null accepts missing key", {"a": None}, {}, True),
    ("null accepts null", {"a": None}, {"a": None}, True),
    ("null rejects a value", {"a": None}, {"a": 0}, False),
    ("map against list", {"a": 1}, [1], False),
    ("empty map matches any map", {}, {"a": 1}, True),
    # $exactly
    ("exactly same map", {"$exactly": {"a": 1}}, {"a": 1}, True),
    ("exactly extra key", {"$exactly": {"a": 1}}, {"a": 1, "b": 2}, False),
    ("exactly null needs the key", {"$exactly": {"a": None, "b": 1}}, {"b": 1}, False),
    ("exactly null present", {"$exactly": {"a": None, "b": 1}}, {"a": None, "b": 1}, True),
    ("exactly list", {"$exactly": ["x", "y"]}, ["x", "y"], True),
    ("exactly with matcher inside", {"$exactly": {"a": {"$regex": "^x"}}}, {"a": "xyz"}, True),
    # $contains
    ("contains substring", {"$contains": "ell"}, "hello", True),
    ("contains missing substring", {"$contains": "z"}, "hello", False),
    ("contains list element", {"$contains": "b"}, ["a", "b"], True),
    ("contains absent element", {"$contains": "c"}, ["a", "b"], False),
    ("contains on a number", {"$contains": "1"}, 1, False),
    # $containsAll / $sameItems (multisets)
    ("containsAll", {"$containsAll": ["a", "a"]}, ["a", "b", "a"], True),
    ("containsAll needs multiplicity", {"$containsAll": ["a", "a"]}, ["a", "b"], False),
    ("sameItems any order", {"$sameItems": ["a", "b", "a"]}, ["b", "a", "a"], True),
    ("sameItems extra item", {"$sameItems": ["a", "b"]}, ["a", "b", "b"], False),
    ("sameItems different multiplicity", {"$sameItems": ["a", "a", "b"]}, ["a", "b", "b"], False),
    # strings
    ("regex search", {"$regex": "b+c"}, "abbcd", True),
    ("regex anchored", {"$regex": "^b"}, "abc", False),
    ("regex on non-string", {"$regex": ".+"}, None, False),
    ("startsWith", {"$startsWith": "kestra://"}, "kestra:///a/b", True),
    ("startsWith fails", {"$startsWith": "kestra://"}, "file:///a", False),
    # ordering
    ("gte equal", {"$gte": 2}, 2, True),
    ("gte below", {"$gte": 2}, 1, False),
    ("gt", {"$gt": 1}, 1, False),
    ("lt", {"$lt": 300}, 200, True),
    ("lte", {"$lte": 3}, 3.0, True),
    ("range", {"$gte": 200, "$lt": 300}, 204, True),
    ("range fails one bound", {"$gte": 200, "$lt": 300}, 300, False),
    ("ordering on a string", {"$gte": 1}, "2", False),
    ("ordering on null", {"$lt": 1}, None, False),
    # $size
    ("size of list", {"$size": 2}, [1, 2], True),
    ("size of map", {"$size": 1}, {"a": 1}, True),
    ("size of string", {"$size": 3}, "abc", True),
    ("size with matcher", {"$size": {"$gte": 2}}, [1, 2, 3], True),
    ("size wrong", {"$size": 2}, [1], False),
    # $exists
    ("exists present", {"a": {"$exists": True}}, {"a": 1}, True),
    ("exists present null", {"a": {"$exists": True}}, {"a": None}, True),
    ("exists missing", {"a": {"$exists": True}}, {}, False),
    ("not exists missing", {"a": {"$exists": False}}, {}, True),
    ("not exists present", {"a": {"$exists": False}}, {"a": 1}, False),
    # $not / $anyOf
    ("not differs", {"$not": "secret"}, "******", True),
    ("not equal", {"$not": "secret"}, "secret", False),
    ("anyOf one", {"$anyOf": ["a", "b"]}, "b", True),
    ("anyOf none", {"$anyOf": ["a", "b"]}, "c", False),
    # $instant
    ("instant same", {"$instant": "2024-06-01T00:00:00Z"}, "2024-06-01T00:00:00.000000Z", True),
    ("instant offset", {"$instant": "2024-06-01T00:00:00Z"}, "2024-06-01T02:00:00+02:00", True),
    ("instant differs", {"$instant": "2024-06-01T00:00:00Z"}, "2024-06-01T00:00:01Z", False),
    ("instant not a date", {"$instant": "2024-06-01T00:00:00Z"}, "tomorrow", False),
    ("instant from a datetime", {"$instant": "2024-06-01T00:00:00Z"}, datetime(2024, 6, 1, tzinfo=UTC), True),
    # $fmt
    ("fmt execution id", {"$fmt": "${execution.id}"}, "exec1", True),
    ("fmt in text", {"$fmt": "run ${taskrun:t1} of ${execution.id}"}, "run run1 of exec1", True),
    ("fmt child", {"$fmt": "${child:io.kestra.tests.child}"}, "child1", True),
    ("fmt differs", {"$fmt": "${execution.id}"}, "exec2", False),
    ("fmt unresolved", {"$fmt": "${taskrun:nope}"}, "", False),
    # several matchers must all hold
    ("all matchers hold", {"$startsWith": "a", "$size": 3}, "abc", True),
    ("one matcher fails", {"$startsWith": "a", "$size": 2}, "abc", False),
    ("unknown matcher never holds", {"$weird": 1}, 1, False),
    ("matcher nested in a map", {"a": {"b": {"$gte": 2}}}, {"a": {"b": 3}}, True),
]


@pytest.mark.parametrize(("expected", "actual", "holds"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_matches(expected: Any, actual: Any, holds: bool) -> None:
    assert matches(expected, actual, resolve) is holds


def test_mismatch_names_the_path_and_the_value() -> None:
    reason = mismatch({"a": {"b": [1, {"c": 2}]}}, {"a": {"b": [1, {"c": 3}]}})
    assert reason == "expected 2 at .a.b[1].c, got 3"


def test_null_is_value_requires_the_key() -> None:
    assert mismatch({"a": None}, {}, null_is_value=True) is not None
    assert mismatch({"a": None}, {"a": None}, null_is_value=True) is None


def test_fmt_reports_the_unresolved_placeholder() -> None:
    assert fmt("${execution.id}-x", resolve) == "exec1-x"
    with pytest.raises(LookupError, match="child:other"):
        fmt("${child:other}", resolve)


def test_normalise() -> None:
    assert normalise({"a": (Decimal("1.5"), Decimal("2"))}) == {"a": [1.5, 2]}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("PT2S", timedelta(seconds=2)),
        ("PT0.5S", timedelta(milliseconds=500)),
        ("PT1H30M", timedelta(hours=1, minutes=30)),
        ("P1DT1S", timedelta(days=1, seconds=1)),
        ("-PT5S", timedelta(seconds=-5)),
    ],
)
def test_parse_duration(text: str, value: timedelta) -> None:
    assert parse_duration(text) == value


@pytest.mark.parametrize("text", ["P", "PT", "5S", "PT5X"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
