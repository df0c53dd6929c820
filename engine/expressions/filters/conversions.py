"""Filters that convert values: numbers, JSON, YAML, strings, dates and timestamps."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from engine.expressions import date_format, dates
from engine.expressions.errors import EvalError
from engine.expressions.filters.args import Filter, int_arg, text_arg
from engine.expressions.formatting import decimal_format, to_yaml
from engine.expressions.state import RenderState
from engine.expressions.values import (
    JavaLong,
    class_name,
    is_number,
    java_string,
    pebble_string,
    to_json,
)


def f_abs(state: RenderState, value: Any) -> Any:
    if not is_number(value):
        raise EvalError(f"Filter [abs] expects a number, got [{java_string(value)}]")
    return abs(value) if not isinstance(value, JavaLong) else JavaLong(abs(int(value)))


_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?")


def f_number(state: RenderState, value: Any, type: Any = None) -> Any:
    if value is None:
        return None
    if is_number(value) and type is None:
        return value
    text = java_string(value).strip()
    kind = None if type is None else str(type).upper()
    try:
        if kind in ("INT", "INTEGER"):
            return int(text)
        if kind in ("LONG", "BIGINTEGER"):
            return JavaLong(int(text))
        if kind in ("FLOAT", "DOUBLE"):
            return float(text.rstrip("dDfF"))
        if kind == "BIGDECIMAL":
            return float(Decimal(text))
        if kind is not None:
            raise EvalError(f"Filter [number]: unknown type [{type}]")
        if _INT_RE.fullmatch(text):
            return JavaLong(int(text))
        if _FLOAT_RE.fullmatch(text):
            return float(text.rstrip("dDfF"))
    except ValueError:
        pass
    raise EvalError(f"Filter [number]: [{text}] is not a valid number")


def f_number_format(state: RenderState, value: Any, format: Any) -> Any:
    if value is None:
        return None
    if not is_number(value):
        raise EvalError(f"Filter [numberFormat] expects a number, got [{java_string(value)}]")
    return decimal_format(value, text_arg(format, "numberFormat"))


def f_class_name(state: RenderState, value: Any) -> Any:
    return class_name(value)


# -- serialisation -------------------------------------------------------------------------------------------


def f_to_json(state: RenderState, value: Any) -> Any:
    return to_json(value, state.budget.max_output)


def f_yaml(state: RenderState, value: Any) -> Any:
    text = to_yaml(value)
    state.budget.check_size(len(text))
    return text


def f_string(state: RenderState, value: Any) -> Any:
    return pebble_string(value, state.budget.max_output) if value is not None else None


# -- dates ---------------------------------------------------------------------------------------------------


def _date_args(timeZone: Any, existingFormat: Any) -> tuple[Any, str | None]:
    zone = dates.zone_of(None if timeZone is None else text_arg(timeZone, "date"))
    existing = None if existingFormat is None else text_arg(existingFormat, "date")
    return zone, existing


def f_date(  # noqa: PLR0917 - Pebble maps positional arguments by name, in this order
    state: RenderState,
    value: Any,
    format: Any = None,
    timeZone: Any = None,
    existingFormat: Any = None,
    locale: Any = None,
) -> Any:
    if value is None:
        return None
    zone, existing = _date_args(timeZone, existingFormat)
    moment = dates.to_datetime(value, zone, existing)
    fmt = "iso" if format is None else text_arg(format, "date")
    return date_format.format_datetime(moment, fmt, zone, timeZone is not None)


def f_date_add(  # noqa: PLR0917 - Pebble maps positional arguments by name, in this order
    state: RenderState,
    value: Any,
    amount: Any,
    unit: Any,
    format: Any = None,
    timeZone: Any = None,
    existingFormat: Any = None,
    locale: Any = None,
) -> Any:
    if value is None:
        return None
    zone, existing = _date_args(timeZone, existingFormat)
    moment = dates.add_to(
        dates.to_datetime(value, zone, existing), int_arg(amount, "dateAdd"), text_arg(unit, "dateAdd")
    )
    fmt = "iso" if format is None else text_arg(format, "dateAdd")
    return date_format.format_datetime(moment, fmt, zone, timeZone is not None)


def _timestamp(divisor_us: int, multiplier: int) -> Filter:
    def _apply(  # noqa: PLR0917 - Pebble maps positional arguments by name, in this order
        state: RenderState,
        value: Any,
        format: Any = None,
        timeZone: Any = None,
        existingFormat: Any = None,
        locale: Any = None,
    ) -> Any:
        if value is None:
            return None
        zone, existing = _date_args(timeZone, existingFormat)
        delta = dates.epoch_delta(dates.to_datetime(value, zone, existing))
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return JavaLong((micros * multiplier) // divisor_us)

    return _apply


FILTERS: dict[str, Filter] = {
    "abs": f_abs,
    "className": f_class_name,
    "date": f_date,
    "dateAdd": f_date_add,
    "json": f_to_json,
    "number": f_number,
    "numberFormat": f_number_format,
    "string": f_string,
    "timestamp": _timestamp(1_000_000, 1),
    "timestampMilli": _timestamp(1_000, 1),
    "timestampMicro": _timestamp(1, 1),
    "timestampNano": _timestamp(1, 1_000),
    "toJson": f_to_json,
    "yaml": f_yaml,
}
