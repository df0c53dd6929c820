"""Pebble value model: Java-like numbers, map entries, printing (JsonWriter), truthiness."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from jinja2 import Undefined

from engine.expressions.errors import EvalError, LimitExceededError, UndefinedValueError

_LONG_MIN = -(2**63)
_LONG_MASK = 2**64 - 1


class JavaLong(int):
    """An integer that Pebble types as ``java.lang.Long`` (template literals, arithmetic on literals).

    Plain ``int`` values come from the context (JSON ``Integer``). The distinction only matters for
    ``contains`` (no numeric widening) and ``className``.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return int.__repr__(self)


def wrap_long(value: int) -> int:
    """Java 64-bit two's complement overflow."""
    if _LONG_MIN <= value <= -_LONG_MIN - 1:
        return value
    value &= _LONG_MASK
    return value - 2**64 if value >= 2**63 else value


class Entry:
    """A ``Map.Entry`` yielded when iterating a map: exposes ``key`` and ``value``."""

    __slots__ = ("key", "value")

    def __init__(self, key: Any, value: Any) -> None:
        self.key = key
        self.value = value

    def __repr__(self) -> str:
        return f"Entry({self.key!r}, {self.value!r})"


def is_undefined(value: Any) -> bool:
    return isinstance(value, Undefined)


def raise_undefined(value: Any) -> None:
    """Raise the strict error carried by an undefined value."""
    message = getattr(value, "kite_message", None)
    if not isinstance(message, str):
        message = "Unable to find an undefined value"
    raise UndefinedValueError(message)


# ---------------------------------------------------------------------------------------------------------
# Numbers


def java_double(value: float) -> str:
    """``Double.toString``: ``2.5``, ``5.0``, ``1.0E-5``, ``1.23456789E7``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign, digits_t, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(str(d) for d in digits_t).rstrip("0") or "0"
    # value = 0.d1d2d3... * 10**point
    point = len(digits_t) + exponent
    prefix = "-" if sign else ""
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        if point <= 0:
            return f"{prefix}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return f"{prefix}{digits}{'0' * (point - len(digits))}.0"
        return f"{prefix}{digits[:point]}.{digits[point:]}"
    mantissa = digits[0] + "." + (digits[1:] or "0")
    return f"{prefix}{mantissa}E{point - 1}"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


# ---------------------------------------------------------------------------------------------------------
# Java toString (used by ~ concatenation, string + operand, isIn)


def java_string(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{java_string(k)}={java_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    if isinstance(value, Entry):
        return f"{java_string(value.key)}={java_string(value.value)}"
    if isinstance(value, datetime):
        return iso_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Undefined):
        raise_undefined(value)
    raise EvalError(f"Unsupported value of type {type(value).__name__}")


def concat_string(value: Any) -> str:
    """Pebble ``~``: null is the empty string, everything else ``toString()``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return java_string(value)


# ---------------------------------------------------------------------------------------------------------
# Dates


def iso_instant(value: datetime) -> str:
    """``Instant.toString``: ``2024-01-15T10:30:00.123456Z`` (fraction in groups of three digits)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    base = value.strftime("%Y-%m-%dT%H:%M:%S")
    micro = value.microsecond
    if micro == 0:
        return base + "Z"
    if micro % 1000 == 0:
        return f"{base}.{micro // 1000:03d}Z"
    return f"{base}.{micro:06d}Z"


# ---------------------------------------------------------------------------------------------------------
# JSON (Jackson, compact, NON_NULL map values)


class _Budget:
    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left


def to_json(value: Any, limit: int = 10_000_000) -> str:
    parts: list[str] = []
    budget = _Budget(limit)
    _json_write(value, parts, budget, 0)
    return "".join(parts)


_json_str = json.JSONEncoder(ensure_ascii=False).encode


def _json_write(value: Any, out: list[str], budget: _Budget, depth: int) -> None:
    if depth > 500:
        raise EvalError("Value is nested too deeply to be serialised")
    if value is None:
        piece = "null"
    elif isinstance(value, str):
        piece = _json_str(value)
    elif value is True:
        piece = "true"
    elif value is False:
        piece = "false"
    elif isinstance(value, int):
        piece = str(int(value))
    elif isinstance(value, float):
        piece = java_double(value) if math.isfinite(value) else _json_str(java_double(value))
    elif isinstance(value, Mapping):
        out.append("{")
        first = True
        for key, item in value.items():
            if item is None:
                continue
            if not first:
                out.append(",")
            first = False
            out.append(_json_str(key if isinstance(key, str) else java_string(key)))
            out.append(":")
            _json_write(item, out, budget, depth + 1)
        out.append("}")
        budget.left -= 2
        if budget.left < 0:
            raise LimitExceededError("Rendered value exceeds the maximum output size")
        return
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _json_write(item, out, budget, depth + 1)
        out.append("]")
        budget.left -= 2 + len(value)
        if budget.left < 0:
            raise LimitExceededError("Rendered value exceeds the maximum output size")
        return
    elif isinstance(value, Entry):
        _json_write({value.key: value.value}, out, budget, depth)
        return
    elif isinstance(value, datetime):
        piece = '"' + iso_instant(value) + '"'
    elif isinstance(value, date):
        piece = '"' + value.isoformat() + '"'
    elif isinstance(value, Decimal):
        piece = str(value)
    elif isinstance(value, Undefined):
        raise_undefined(value)
        return
    else:
        raise EvalError(f"Unable to serialise a value of type {type(value).__name__}")
    budget.left -= len(piece)
    if budget.left < 0:
        raise LimitExceededError("Rendered value exceeds the maximum output size")
    out.append(piece)


# ---------------------------------------------------------------------------------------------------------
# Printing


def to_pebble_string(value: Any) -> str:
    """How one ``{{ }}`` value is printed (Kestra ``JsonWriter``)."""
    return pebble_string(value, 10_000_000)


def pebble_string(value: Any, limit: int) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, datetime):
        return iso_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Undefined):
        raise_undefined(value)
    return to_json(value, limit)


def is_truthy(rendered: Any) -> bool:
    """Kestra ``TruthUtils.isTruthy``: falsy iff the trimmed string is ``false``, ``0``, ``-0`` or empty."""
    if rendered is None:
        return False
    if isinstance(rendered, bool):
        return rendered
    text = rendered if isinstance(rendered, str) else to_pebble_string(rendered)
    return text.strip() not in ("false", "0", "-0", "")


def plain(value: Any) -> Any:
    """Convert internal value types to plain JSON-like Python values (typed rendering results)."""
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, JavaLong):
        return int(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, Entry):
        return {value.key: plain(value.value)}
    if isinstance(value, Undefined):
        raise_undefined(value)
    return value


def class_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, JavaLong):
        return "java.lang.Long"
    if isinstance(value, int):
        return "java.lang.Integer"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, Decimal):
        return "java.math.BigDecimal"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, Mapping):
        return "java.util.LinkedHashMap"
    if isinstance(value, list | tuple):
        return "java.util.ArrayList"
    if isinstance(value, datetime):
        return "java.time.ZonedDateTime"
    if isinstance(value, date):
        return "java.time.LocalDate"
    if isinstance(value, Entry):
        return "java.util.Map$Entry"
    return "java.lang.Object"
