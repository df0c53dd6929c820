"""Pebble core filters kept by Kestra, and Kestra's own filters (§15.6)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import urllib.parse
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from engine.expressions import dates
from engine.expressions.errors import EvalError
from engine.expressions.formatting import decimal_format, to_yaml
from engine.expressions.ion import f_to_ion
from engine.expressions.jq_filter import f_jq
from engine.expressions.runtime import compare, java_equals_strict
from engine.expressions.state import RenderState
from engine.expressions.values import (
    JavaLong,
    class_name,
    is_number,
    java_string,
    pebble_string,
    to_json,
)
from engine.model.files import slugify

Filter = Callable[..., Any]


def _text(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        raise EvalError(f"Filter [{name}] cannot be applied to a null value")
    return java_string(value)


def _int_arg(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise EvalError(f"Argument of filter [{name}] must be an integer, got [{java_string(value)}]")
    return int(value)


def _sequence(value: Any, name: str) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    raise EvalError(f"Filter [{name}] expects a list, got [{java_string(value)}]")


# -- strings -------------------------------------------------------------------------------------------------


def f_upper(state: RenderState, value: Any) -> Any:
    return None if value is None else _text(value, "upper").upper()


def f_lower(state: RenderState, value: Any) -> Any:
    return None if value is None else _text(value, "lower").lower()


def f_trim(state: RenderState, value: Any) -> Any:
    return None if value is None else _text(value, "trim").strip(" \t\n\r\x0b\x0c\x00")


def f_capitalize(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    text = _text(value, "capitalize")
    for index, char in enumerate(text):
        if not char.isspace():
            return text[:index] + char.upper() + text[index + 1 :]
    return text


def f_title(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    out: list[str] = []
    capitalize_next = True
    for char in _text(value, "title"):
        if char.isspace():
            capitalize_next = True
            out.append(char)
        elif capitalize_next:
            out.append(char.upper())
            capitalize_next = False
        else:
            out.append(char)
    return "".join(out)


def f_abbreviate(state: RenderState, value: Any, length: Any) -> Any:
    if value is None:
        return None
    text = _text(value, "abbreviate")
    size = _int_arg(length, "abbreviate")
    if len(text) <= size:
        return text
    if size < 3:
        raise EvalError("Filter [abbreviate]: the maximum width must be at least 3")
    return text[: size - 3] + "..."


def f_slugify(state: RenderState, value: Any) -> Any:
    return None if value is None else slugify(_text(value, "slugify"))


def _substring(name: str, value: Any, separator: Any) -> str | None:
    if value is None:
        return None
    text = _text(value, name)
    sep = _text(separator, name)
    if name == "substringBefore":
        index = text.find(sep)
        return text if index < 0 else text[:index]
    if name == "substringAfter":
        index = text.find(sep)
        return "" if index < 0 else text[index + len(sep) :]
    if name == "substringBeforeLast":
        index = text.rfind(sep)
        return text if index < 0 or not sep else text[:index]
    index = text.rfind(sep)
    return "" if index < 0 or not sep or index == len(text) - len(sep) else text[index + len(sep) :]


def f_starts_with(state: RenderState, value: Any, prefix: Any) -> bool:
    return value is not None and _text(value, "startsWith").startswith(_text(prefix, "startsWith"))


def f_ends_with(state: RenderState, value: Any, suffix: Any) -> bool:
    return value is not None and _text(value, "endsWith").endswith(_text(suffix, "endsWith"))


def _java_regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise EvalError(f"Invalid regular expression [{pattern}]: {exc}") from exc


def _java_replacement(replacement: str) -> Callable[[re.Match[str]], str]:
    def _expand(match: re.Match[str]) -> str:
        out: list[str] = []
        index = 0
        while index < len(replacement):
            char = replacement[index]
            if char == "\\" and index + 1 < len(replacement):
                out.append(replacement[index + 1])
                index += 2
                continue
            if char == "$":
                group = re.match(r"\d+|\{(\w+)\}", replacement[index + 1 :])
                if group is None:
                    raise EvalError("Illegal group reference in replacement")
                key: int | str = group.group(1) if group.group(1) else int(group.group(0))
                out.append(match.group(key) or "")
                index += 1 + len(group.group(0))
                continue
            out.append(char)
            index += 1
        return "".join(out)

    return _expand


def f_replace(state: RenderState, value: Any, replace_pairs: Any, regexp: Any = False) -> Any:
    if value is None:
        return None
    text = _text(value, "replace")
    if not isinstance(replace_pairs, Mapping):
        raise EvalError("Filter [replace] expects a map of search → replacement")
    for search, replacement in replace_pairs.items():
        search_text = java_string(search)
        replacement_text = java_string(replacement)
        if regexp is True:
            text = _java_regex(search_text).sub(_java_replacement(replacement_text), text)
        else:
            text = text.replace(search_text, replacement_text)
        state.budget.check_size(len(text))
    return text


def f_split(state: RenderState, value: Any, delimiter: Any, limit: Any = None) -> Any:
    if value is None:
        return None
    text = _text(value, "split")
    regex = _java_regex(_text(delimiter, "split"))
    max_parts = 0 if limit is None else _int_arg(limit, "split")
    parts: list[str] = []
    position = 0
    for match in regex.finditer(text):
        if 0 < max_parts <= len(parts) + 1:
            break
        if match.end() == 0:
            continue  # a zero-width match at the beginning never produces a leading empty string
        if match.start() == match.end() and match.start() >= len(text):
            break
        parts.append(text[position : match.start()])
        position = match.end()
    parts.append(text[position:])
    if max_parts == 0:
        while parts and parts[-1] == "":
            parts.pop()
    if not text:
        return [""]
    return parts


def f_escape_char(state: RenderState, value: Any, type: Any) -> Any:
    if value is None:
        return None
    text = _text(value, "escapeChar")
    if type == "single":
        return text.replace("'", "\\'")
    if type == "double":
        return text.replace('"', '\\"')
    if type == "shell":
        return text.replace("'", "'\\''")
    raise EvalError(
        f"Filter [escapeChar]: unknown type [{java_string(type)}], expected single, double or shell"
    )


def _indent(state: RenderState, value: Any, amount: Any, prefix: Any, *, name: str, leading: bool) -> Any:
    if value is None:
        return None
    text = value if isinstance(value, str) else pebble_string(value, state.budget.max_output)
    count = _int_arg(amount, name)
    if count < 0:
        raise EvalError(f"Filter [{name}]: amount must be >= 0")
    pad_unit = _text(prefix, name)
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.count(newline) + 1
    state.budget.check_size(len(text) + lines * count * len(pad_unit))
    indentation = pad_unit * count
    body = text.replace(newline, newline + indentation)
    return newline + indentation + body if leading else body


def f_indent(state: RenderState, value: Any, amount: Any, prefix: Any = " ") -> Any:
    return _indent(state, value, amount, prefix, name="indent", leading=False)


def f_nindent(state: RenderState, value: Any, amount: Any, prefix: Any = " ") -> Any:
    return _indent(state, value, amount, prefix, name="nindent", leading=True)


def _bytes(value: Any, name: str) -> bytes:
    return _text(value, name).encode("utf-8")


def f_base64encode(state: RenderState, value: Any) -> Any:
    return None if value is None else base64.b64encode(_bytes(value, "base64encode")).decode("ascii")


def f_base64decode(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    try:
        return base64.b64decode(_bytes(value, "base64decode"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise EvalError(f"Filter [base64decode]: invalid input: {exc}") from exc


def _digest(algorithm: str) -> Filter:
    def _apply(state: RenderState, value: Any) -> Any:
        if value is None:
            return None
        return hashlib.new(algorithm, _bytes(value, algorithm)).hexdigest()

    return _apply


def f_urlencode(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    return urllib.parse.quote_plus(_text(value, "urlencode"), safe="*").replace("~", "%7E")


def f_urldecode(state: RenderState, value: Any) -> Any:
    return None if value is None else urllib.parse.unquote_plus(_text(value, "urldecode"))


def f_regex_match(state: RenderState, value: Any, regex: Any) -> bool:
    return (
        value is not None
        and _java_regex(_text(regex, "regexMatch")).fullmatch(_text(value, "regexMatch")) is not None
    )


def f_regex_replace(state: RenderState, value: Any, regex: Any, replacement: Any) -> Any:
    if value is None:
        return None
    pattern = _java_regex(_text(regex, "regexReplace"))
    return pattern.sub(_java_replacement(_text(replacement, "regexReplace")), _text(value, "regexReplace"))


def f_regex_extract(state: RenderState, value: Any, regex: Any, group: Any = 0) -> Any:
    if value is None:
        return None
    match = _java_regex(_text(regex, "regexExtract")).search(_text(value, "regexExtract"))
    if match is None:
        return None
    return match.group(_int_arg(group, "regexExtract"))


# -- collections ---------------------------------------------------------------------------------------------


def f_length(state: RenderState, value: Any) -> Any:
    if value is None:
        return 0
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    raise EvalError(f"Filter [length] is not supported on [{java_string(value)}]")


def f_first(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value[0] if value else None
    if isinstance(value, list | tuple):
        return value[0] if value else None
    raise EvalError(f"Filter [first] is not supported on a value of type {class_name(value)}")


def f_last(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value[-1] if value else None
    if isinstance(value, list | tuple):
        return value[-1] if value else None
    raise EvalError(f"Filter [last] is not supported on a value of type {class_name(value)}")


def f_join(state: RenderState, value: Any, separator: Any = None) -> Any:
    if value is None:
        return None
    items = list(value.keys()) if isinstance(value, Mapping) else _sequence(value, "join")
    sep = "" if separator is None else _text(separator, "join")
    parts = [java_string(item) for item in items]
    state.budget.check_size(sum(len(p) for p in parts) + len(sep) * len(parts))
    return sep.join(parts)


def f_slice(state: RenderState, value: Any, fromIndex: Any = 0, toIndex: Any = None) -> Any:
    if value is None:
        return None
    if not isinstance(value, str | list | tuple):
        raise EvalError(f"Filter [slice] is not supported on [{java_string(value)}]")
    start = _int_arg(fromIndex, "slice")
    end = len(value) if toIndex is None else _int_arg(toIndex, "slice")
    if start < 0 or end > len(value) or start > end:
        raise EvalError(
            f"Filter [slice]: indexes [{start}, {end}] are out of range for a length of {len(value)}"
        )
    return value[start:end] if isinstance(value, str) else list(value[start:end])


def f_reverse(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value[::-1]
    return list(reversed(_sequence(value, "reverse")))


def _sort_key(items: list[Any]) -> list[Any]:
    import functools

    return sorted(items, key=functools.cmp_to_key(lambda a, b: compare(a, b, "sort")))


def f_sort(state: RenderState, value: Any) -> Any:
    return None if value is None else _sort_key(_sequence(value, "sort"))


def f_rsort(state: RenderState, value: Any) -> Any:
    return None if value is None else list(reversed(_sort_key(_sequence(value, "rsort"))))


def f_keys(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return list(value.keys())
    if isinstance(value, list | tuple):
        return [JavaLong(i) for i in range(len(value))]
    raise EvalError(f"Filter [keys] expects a map, got [{java_string(value)}]")


def f_values(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return list(value.values())
    raise EvalError(f"Filter [values] expects a map, got [{java_string(value)}]")


def f_merge(state: RenderState, value: Any, items: Any) -> Any:
    if isinstance(value, Mapping):
        if not isinstance(items, Mapping):
            raise EvalError("Filter [merge]: a map can only be merged with a map")
        state.budget.check_size(len(value) + len(items))
        return {**value, **items}
    if isinstance(value, list | tuple):
        if isinstance(items, Mapping):
            extra: list[Any] = list(items.items())
        elif isinstance(items, list | tuple):
            extra = list(items)
        else:
            raise EvalError("Filter [merge]: a list can only be merged with a list or a map")
        state.budget.check_size(len(value) + len(extra))
        return [*value, *extra]
    raise EvalError(f"Filter [merge] is not supported on [{java_string(value)}]")


def f_chunk(state: RenderState, value: Any, size: Any) -> Any:
    if value is None:
        return None
    items = _sequence(value, "chunk")
    step = _int_arg(size, "chunk")
    if step <= 0:
        raise EvalError("Filter [chunk]: size must be > 0")
    return [items[i : i + step] for i in range(0, len(items), step)]


def f_distinct(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    result: list[Any] = []
    for item in _sequence(value, "distinct"):
        if not any(java_equals_strict(item, seen) for seen in result):
            result.append(item)
    return result


def f_flatten(state: RenderState, value: Any) -> Any:
    if value is None:
        return None
    result: list[Any] = []
    for item in _sequence(value, "flatten"):
        if isinstance(item, list | tuple):
            result.extend(item)
        else:
            result.append(item)
        state.budget.check_size(len(result))
    return result


# -- numbers -------------------------------------------------------------------------------------------------


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
    return decimal_format(value, _text(format, "numberFormat"))


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
    zone = dates.zone_of(None if timeZone is None else _text(timeZone, "date"))
    existing = None if existingFormat is None else _text(existingFormat, "date")
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
    fmt = "iso" if format is None else _text(format, "date")
    return dates.format_datetime(moment, fmt, zone, timeZone is not None)


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
        dates.to_datetime(value, zone, existing), _int_arg(amount, "dateAdd"), _text(unit, "dateAdd")
    )
    fmt = "iso" if format is None else _text(format, "dateAdd")
    return dates.format_datetime(moment, fmt, zone, timeZone is not None)


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
    "abbreviate": f_abbreviate,
    "abs": f_abs,
    "base64decode": f_base64decode,
    "base64encode": f_base64encode,
    "capitalize": f_capitalize,
    "chunk": f_chunk,
    "className": f_class_name,
    "date": f_date,
    "dateAdd": f_date_add,
    "distinct": f_distinct,
    "endsWith": f_ends_with,
    "escapeChar": f_escape_char,
    "first": f_first,
    "flatten": f_flatten,
    "indent": f_indent,
    "join": f_join,
    "jq": f_jq,
    "json": f_to_json,
    "keys": f_keys,
    "last": f_last,
    "length": f_length,
    "lower": f_lower,
    "md5": _digest("md5"),
    "merge": f_merge,
    "nindent": f_nindent,
    "number": f_number,
    "numberFormat": f_number_format,
    "regexExtract": f_regex_extract,
    "regexMatch": f_regex_match,
    "regexReplace": f_regex_replace,
    "replace": f_replace,
    "reverse": f_reverse,
    "rsort": f_rsort,
    "sha1": _digest("sha1"),
    "sha256": _digest("sha256"),
    "sha512": _digest("sha512"),
    "slice": f_slice,
    "slugify": f_slugify,
    "sort": f_sort,
    "split": f_split,
    "startsWith": f_starts_with,
    "string": f_string,
    "substringAfter": lambda state, value, separator: _substring("substringAfter", value, separator),
    "substringAfterLast": lambda state, value, separator: _substring("substringAfterLast", value, separator),
    "substringBefore": lambda state, value, separator: _substring("substringBefore", value, separator),
    "substringBeforeLast": lambda state, value, separator: _substring(
        "substringBeforeLast", value, separator
    ),
    "timestamp": _timestamp(1_000_000, 1),
    "timestampMilli": _timestamp(1_000, 1),
    "timestampMicro": _timestamp(1, 1),
    "timestampNano": _timestamp(1, 1_000),
    "title": f_title,
    "toIon": f_to_ion,
    "toJson": f_to_json,
    "trim": f_trim,
    "uniq": f_distinct,
    "upper": f_upper,
    "urldecode": f_urldecode,
    "urlencode": f_urlencode,
    "values": f_values,
    "yaml": f_yaml,
}
