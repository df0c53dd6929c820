"""The corpus' value matchers (README "Matchers and placeholders"), pure and independent of Kite.

`mismatch(expected, actual)` returns None when `actual` satisfies `expected`, otherwise a short reason that
names the path where they part; the reason is what a FAIL line shows, so it says what was seen.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

# A key absent from a map, as opposed to a key present with a null value.
MISSING: Final = type("Missing", (), {"__repr__": lambda self: "<missing>"})()

# Resolves a `$fmt` placeholder name (`execution.id`, `taskrun:t1`, ...) to its text; None = unknown.
Placeholders = Callable[[str], "str | None"]

_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


def _no_placeholders(name: str) -> str | None:
    return None


def normalise(value: Any) -> Any:
    """Actual values as JSON would carry them: DynamoDB's Decimals, tuples and dates included."""
    if isinstance(value, Mapping):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def is_matcher(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(str(k).startswith("$") for k in value)


def matches(expected: Any, actual: Any, placeholders: Placeholders = _no_placeholders) -> bool:
    return mismatch(expected, actual, placeholders) is None


def mismatch(
    expected: Any,
    actual: Any,
    placeholders: Placeholders = _no_placeholders,
    *,
    null_is_value: bool = False,
) -> str | None:
    """`null_is_value`: an expected null requires the key to be present (`executionInputs`, `$exactly`)."""
    return _Matcher(placeholders, null_is_value).compare(expected, normalise(actual), "")


def fmt(template: str, placeholders: Placeholders) -> str:
    """Substitute every `${name}`; raise LookupError naming the first one that cannot be resolved."""

    def substitute(found: re.Match[str]) -> str:
        value = placeholders(found.group(1))
        if value is None:
            raise LookupError(found.group(1))
        return value

    return _PLACEHOLDER.sub(substitute, template)


def _show(value: Any) -> str:
    text = "<missing>" if value is MISSING else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "..."


def _at(path: str) -> str:
    return f" at {path}" if path else ""


class _Matcher:
    def __init__(self, placeholders: Placeholders, null_is_value: bool) -> None:
        self.placeholders = placeholders
        self.null_is_value = null_is_value

    def compare(self, expected: Any, actual: Any, path: str, *, exact: bool = False) -> str | None:
        if is_matcher(expected):
            for kind, argument in expected.items():
                problem = self.operator(kind, argument, actual, path)
                if problem is not None:
                    return problem
            return None
        if expected is None:
            if actual is None or (actual is MISSING and not (exact or self.null_is_value)):
                return None
            return f"expected null{_at(path)}, got {_show(actual)}"
        if isinstance(expected, dict):
            return self.compare_map(expected, actual, path, exact=exact)
        if isinstance(expected, list):
            if not isinstance(actual, list) or len(actual) != len(expected):
                return f"expected {_show(expected)}{_at(path)}, got {_show(actual)}"
            for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
                problem = self.compare(want, got, f"{path}[{index}]", exact=exact)
                if problem is not None:
                    return problem
            return None
        if _scalar_equal(expected, actual):
            return None
        return f"expected {_show(expected)}{_at(path)}, got {_show(actual)}"

    def compare_map(self, expected: dict[str, Any], actual: Any, path: str, *, exact: bool) -> str | None:
        if not isinstance(actual, dict):
            return f"expected a map{_at(path)}, got {_show(actual)}"
        if exact and set(actual) != set(expected):
            extra, absent = sorted(set(actual) - set(expected)), sorted(set(expected) - set(actual))
            return f"keys differ{_at(path)}: unexpected {extra}, missing {absent}; got {_show(actual)}"
        for key, want in expected.items():
            problem = self.compare(want, actual.get(key, MISSING), f"{path}.{key}", exact=exact)
            if problem is not None:
                return problem
        return None

    def operator(self, kind: str, argument: Any, actual: Any, path: str) -> str | None:
        handler = _OPERATORS.get(kind)
        if handler is None:
            return f"unknown matcher {kind}{_at(path)}"
        return handler(self, argument, actual, path)

    # --- operators; each returns None or the reason ---

    def contains(self, argument: Any, actual: Any, path: str) -> str | None:
        if isinstance(actual, str) and isinstance(argument, str) and argument in actual:
            return None
        if isinstance(actual, list) and any(self.compare(argument, item, "") is None for item in actual):
            return None
        return f"expected to contain {_show(argument)}{_at(path)}, got {_show(actual)}"

    def contains_all(self, argument: Any, actual: Any, path: str) -> str | None:
        if isinstance(actual, list) and self._covers(list(argument), list(actual)):
            return None
        return f"expected to contain all of {_show(argument)}{_at(path)}, got {_show(actual)}"

    def same_items(self, argument: Any, actual: Any, path: str) -> str | None:
        if (
            isinstance(actual, list)
            and len(actual) == len(argument)
            and self._covers(list(argument), list(actual))
        ):
            return None
        return f"expected the same items as {_show(argument)}{_at(path)}, got {_show(actual)}"

    def _covers(self, wanted: list[Any], pool: list[Any]) -> bool:
        """Multiset inclusion: each wanted item consumes a distinct matching item of the pool."""
        remaining = list(pool)
        for want in wanted:
            for index, item in enumerate(remaining):
                if self.compare(want, item, "") is None:
                    del remaining[index]
                    break
            else:
                return False
        return True

    def regex(self, argument: Any, actual: Any, path: str) -> str | None:
        if isinstance(actual, str) and re.search(argument, actual) is not None:
            return None
        return f"expected to match /{argument}/{_at(path)}, got {_show(actual)}"

    def starts_with(self, argument: Any, actual: Any, path: str) -> str | None:
        if isinstance(actual, str) and actual.startswith(argument):
            return None
        return f"expected to start with {_show(argument)}{_at(path)}, got {_show(actual)}"

    def ordering(self, kind: str, argument: Any, actual: Any, path: str) -> str | None:
        holds = {
            "$gte": lambda a, b: a >= b,
            "$gt": lambda a, b: a > b,
            "$lte": lambda a, b: a <= b,
            "$lt": lambda a, b: a < b,
        }[kind]
        if _is_number(actual) and _is_number(argument) and holds(actual, argument):
            return None
        return f"expected {kind[1:]} {_show(argument)}{_at(path)}, got {_show(actual)}"

    def size(self, argument: Any, actual: Any, path: str) -> str | None:
        if isinstance(actual, list | dict | str) and self.compare(argument, len(actual), "") is None:
            return None
        shown = len(actual) if isinstance(actual, list | dict | str) else _show(actual)
        return f"expected size {_show(argument)}{_at(path)}, got {shown}"

    def exists(self, argument: Any, actual: Any, path: str) -> str | None:
        if (actual is not MISSING) == bool(argument):
            return None
        return f"expected the key {'present' if argument else 'absent'}{_at(path)}, got {_show(actual)}"

    def negate(self, argument: Any, actual: Any, path: str) -> str | None:
        if self.compare(argument, actual, "") is not None:
            return None
        return f"expected anything but {_show(argument)}{_at(path)}"

    def any_of(self, argument: Any, actual: Any, path: str) -> str | None:
        if any(self.compare(option, actual, "") is None for option in argument):
            return None
        return f"expected one of {_show(argument)}{_at(path)}, got {_show(actual)}"

    def exactly(self, argument: Any, actual: Any, path: str) -> str | None:
        return self.compare(argument, actual, path, exact=True)

    def instant(self, argument: Any, actual: Any, path: str) -> str | None:
        wanted, got = parse_instant(argument), parse_instant(actual)
        if wanted is not None and wanted == got:
            return None
        return f"expected the instant {argument}{_at(path)}, got {_show(actual)}"

    def formatted(self, argument: Any, actual: Any, path: str) -> str | None:
        try:
            wanted = fmt(argument, self.placeholders)
        except LookupError as exc:
            return f"placeholder ${{{exc.args[0]}}} cannot be resolved{_at(path)}"
        if actual == wanted:
            return None
        return f"expected {_show(wanted)} ({argument}){_at(path)}, got {_show(actual)}"


def _ordering(kind: str) -> Callable[[_Matcher, Any, Any, str], str | None]:
    return lambda self, argument, actual, path: self.ordering(kind, argument, actual, path)


_OPERATORS: dict[str, Callable[[_Matcher, Any, Any, str], str | None]] = {
    "$contains": _Matcher.contains,
    "$containsAll": _Matcher.contains_all,
    "$sameItems": _Matcher.same_items,
    "$regex": _Matcher.regex,
    "$startsWith": _Matcher.starts_with,
    "$gte": _ordering("$gte"),
    "$gt": _ordering("$gt"),
    "$lte": _ordering("$lte"),
    "$lt": _ordering("$lt"),
    "$size": _Matcher.size,
    "$exists": _Matcher.exists,
    "$not": _Matcher.negate,
    "$anyOf": _Matcher.any_of,
    "$exactly": _Matcher.exactly,
    "$instant": _Matcher.instant,
    "$fmt": _Matcher.formatted,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _scalar_equal(expected: Any, actual: Any) -> bool:
    # JSON has one number type (1 == 1.0) but true is not 1.
    if _is_number(expected) and _is_number(actual):
        return float(expected) == float(actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return type(expected) is type(actual) and bool(expected == actual)


def parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """ISO-8601 durations as Java's Duration prints them (days, hours, minutes, seconds)."""
    found = _DURATION.match(text)
    if found is None or text in ("P", "PT"):
        raise ValueError(f"not an ISO-8601 duration: {text!r}")
    parts = {k: float(v) for k, v in found.groupdict().items() if k != "sign" and v}
    value = timedelta(
        days=parts.get("d", 0), hours=parts.get("h", 0), minutes=parts.get("m", 0), seconds=parts.get("s", 0)
    )
    return -value if found.group("sign") else value
