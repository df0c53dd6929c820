"""Amazon Ion text: Kestra's ``toIon`` filter and ``fromIon(ion)`` function (``JacksonMapper.ofIon()``).

Writing is done here rather than by amazon.ion: Kestra prints with ion-java's compact text writer, which
differs from the Python writer on floats (``2.5e0``, not ``2.5e+0``), decimals and escapes, and the
values to print are few. Reading (symbols, s-expressions, long strings, comments, timestamps) is
amazon.ion's.

Dates follow Kestra's IonModule: a UTC datetime is an ``Instant``, written as an Ion timestamp with
millisecond precision; a datetime in another zone is a ``ZonedDateTime``, written as the annotated string
``ZonedDateTime::"2024-01-15T11:30:00+01:00[Europe/Paris]"``; a date is a day-precision timestamp.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timezone
from decimal import Decimal
from typing import Any

from engine.expressions import date_format, dates
from engine.expressions.errors import EvalError, LimitExceededError
from engine.expressions.state import RenderState
from engine.expressions.values import (
    Entry,
    class_name,
    is_undefined,
    java_double,
    java_string,
    raise_undefined,
)

_MISSING: Any = object()
_MAX_DEPTH = 500
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_KEYWORD = re.compile(r"true|false|null|nan|\$\d+")
# Kestra's IonModule writes these java.time values as strings annotated with their class name.
_JAVA_TIME = frozenset(
    {"Instant", "OffsetDateTime", "ZonedDateTime", "LocalDateTime", "LocalDate", "OffsetTime", "LocalTime"}
)


def _escapes(quote: str) -> dict[int, str]:
    """ion-java's escapes: C0 and C1 controls, DEL, the backslash and the quote; other text as is."""
    table = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
    table.update({0: "\\0", 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"})
    table[ord("\\")] = "\\\\"
    table[ord(quote)] = "\\" + quote
    return table


_STRING_ESCAPES = _escapes('"')
_SYMBOL_ESCAPES = _escapes("'")

# -- writing -------------------------------------------------------------------------------------------------


def f_to_ion(state: RenderState, value: Any) -> str:
    return ion_text(value, state.budget.max_output)


def ion_text(value: Any, limit: int) -> str:
    """`value` as Kestra writes Ion text (its files of rows are one such value a line)."""
    if value is None:
        return "null"
    writer = _Writer(limit)
    writer.value(value, 0)
    return "".join(writer.parts)


class _Writer:
    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.left = limit

    def emit(self, text: str) -> None:
        self.left -= len(text)
        if self.left < 0:
            raise LimitExceededError("Rendered value exceeds the maximum output size")
        self.parts.append(text)

    def value(self, value: Any, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise EvalError("Value is nested too deeply to be serialised")
        if isinstance(value, Mapping):
            self.struct(value.items(), depth)
        elif isinstance(value, Entry):
            self.struct([(value.key, value.value)], depth)
        elif isinstance(value, list | tuple):
            self.emit("[")
            for index, item in enumerate(value):
                if index:
                    self.emit(",")
                self.value(item, depth + 1)
            self.emit("]")
        else:
            self.emit(_scalar(value))

    def struct(self, items: Iterable[tuple[Any, Any]], depth: int) -> None:
        self.emit("{")
        for index, (key, item) in enumerate(items):
            if index:
                self.emit(",")
            self.emit(_symbol(key if isinstance(key, str) else java_string(key)) + ":")
            self.value(item, depth + 1)
        self.emit("}")


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, str):
        return '"' + value.translate(_STRING_ESCAPES) + '"'
    if isinstance(value, datetime):
        return _datetime(value)
    if isinstance(value, date):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if is_undefined(value):
        raise_undefined(value)
    raise EvalError(
        f"Unable to transform to ion value '{java_string(value)}' with type '{class_name(value)}'"
    )


def _symbol(text: str) -> str:
    """A field name or annotation: bare when it is an identifier that cannot be read as something else."""
    if _IDENTIFIER.fullmatch(text) and not _KEYWORD.fullmatch(text):
        return text
    return "'" + text.translate(_SYMBOL_ESCAPES) + "'"


def _float(value: float) -> str:
    if value == 0:
        return "-0e0" if math.copysign(1.0, value) < 0 else "0e0"
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    text = java_double(value)
    if text.endswith(".0"):
        return text[:-2] + "e0"
    return text if "E" in text else text + "e0"


def _decimal(value: Decimal) -> str:
    """ion-java's ``printDecimal`` of the ``BigDecimal`` with the same digits and scale."""
    if not value.is_finite():
        raise EvalError(f"Unable to transform to ion value '{value}' with type 'java.math.BigDecimal'")
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    sign = "-" if value < 0 else ""
    unscaled = "".join(str(d) for d in digits)
    if exponent == 0:
        return f"{sign}{unscaled}."
    if exponent > 0:
        return f"{sign}{unscaled}d{exponent}"
    scale = -exponent
    adjusted = len(unscaled) - 1 - scale
    if adjusted >= 0:
        whole = len(unscaled) - scale
        return f"{sign}{unscaled[:whole]}.{unscaled[whole:]}"
    if adjusted >= -6:
        return f"{sign}0.{'0' * (scale - len(unscaled))}{unscaled}"
    return f"{sign}{unscaled}d-{scale}"


def _datetime(value: datetime) -> str:
    if value.tzinfo is None or value.tzinfo is UTC:
        return (
            f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:"
            f"{value.second:02d}.{value.microsecond // 1000:03d}Z"
        )
    zoned = date_format.format_datetime(value, "iso_zoned_date_time", value.tzinfo, explicit_zone=True)
    return 'ZonedDateTime::"' + zoned + '"'


# -- reading -------------------------------------------------------------------------------------------------


def fn_from_ion(state: RenderState, ion: Any = _MISSING) -> Any:
    if ion is _MISSING:
        raise EvalError("The 'fromIon' function expects an argument 'ion'.")
    if ion is None:
        return None
    if not isinstance(ion, str):
        raise EvalError("The 'fromIon' function expects an argument 'ion' with type string.")
    state.budget.check_size(len(ion))
    return ion_value(ion)


def ion_value(ion: str) -> Any:
    """The first value of Ion text, as Kestra reads it; EvalError when it is not Ion."""
    # Imported here: amazon.ion takes 0.13 s to import, a cost only renders that read Ion should pay.
    from amazon.ion import simpleion
    from amazon.ion.exceptions import IonException

    try:
        values = simpleion.loads(ion, single_value=False)
    except (IonException, ValueError) as exc:
        raise EvalError(f"Invalid ion: {str(exc).strip() or type(exc).__name__}") from exc
    if not values:
        raise EvalError("Invalid ion: No content to map due to end-of-input")
    # Like Jackson, the first top-level value is read and the rest ignored.
    return _plain(values[0])


def _plain(value: Any) -> Any:
    """Kestra's reading (Kestra's IonParser under Jackson's untyped deserialiser) as Kite values."""
    from amazon.ion.simple_types import IonPyNull

    if isinstance(value, IonPyNull):
        return None
    ion_type = value.ion_type.name
    annotations = [token.text for token in value.ion_annotations]
    if annotations and annotations[0] in _JAVA_TIME and ion_type in ("STRING", "SYMBOL"):
        return _java_time(annotations[0], _text(value))
    if ion_type == "TIMESTAMP":
        return _timestamp(value)
    if ion_type in ("BLOB", "CLOB"):
        # Jackson reads a byte[], which Kestra prints as base64.
        return base64.b64encode(bytes(value)).decode("ascii")
    if annotations:
        # Any other annotated value is an "embedded object" Jackson has no reader for: null.
        return None
    return _READERS[ion_type](value)


def _text(value: Any) -> str | None:
    return value.text if value.ion_type.name == "SYMBOL" else str(value)


def _timestamp(value: datetime) -> datetime | date:
    """An offset other than UTC gives a ZonedDateTime; otherwise an Instant, or a LocalDate at midnight."""
    fields = (value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond)
    offset = value.utcoffset()
    if offset:
        return datetime(*fields, tzinfo=timezone(offset))
    moment = datetime(*fields, tzinfo=UTC)
    if moment.time() == datetime.min.time():
        return moment.date()
    return moment


def _java_time(kind: str, text: str | None) -> Any:
    if text is None:
        return None
    try:
        if kind == "LocalDate":
            return date.fromisoformat(text)
        if kind in ("LocalTime", "OffsetTime"):
            return text  # Kite has no time-of-day value
        return dates.to_datetime(text, UTC)
    except (ValueError, EvalError) as exc:
        raise EvalError(f"Invalid ion: {exc}") from exc


def _struct(value: Any) -> dict[str, Any]:
    # A repeated field name keeps its last value, as in Jackson's LinkedHashMap.
    return {key: _plain(item) for key, item in value.items()}


_READERS: dict[str, Callable[[Any], Any]] = {
    "BOOL": bool,
    "INT": int,
    "FLOAT": float,
    "DECIMAL": Decimal,
    "SYMBOL": _text,
    "STRING": str,
    "LIST": lambda value: [_plain(item) for item in value],
    "SEXP": lambda value: [_plain(item) for item in value],
    "STRUCT": _struct,
}
