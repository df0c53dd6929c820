"""Java ``DecimalFormat`` patterns and Jackson-like YAML serialisation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from engine.expressions.errors import EvalError
from engine.expressions.values import Entry, iso_instant, java_double, raise_undefined
from engine.model.yaml_text import YamlError, load_yaml_text

_SPECIAL = "#0,."


def decimal_format(value: Any, pattern: str) -> str:
    """Format a number like ``new DecimalFormat(pattern).format(value)`` (en-US symbols, HALF_EVEN)."""
    positive = pattern.split(";", maxsplit=1)[0]
    first = next((i for i, c in enumerate(positive) if c in _SPECIAL), None)
    if first is None:
        raise EvalError(f'Malformed pattern "{pattern}"')
    last = max(i for i, c in enumerate(positive) if c in _SPECIAL)
    prefix = positive[:first].replace("'", "")
    suffix = positive[last + 1 :].replace("'", "")
    body = positive[first : last + 1]
    if "E" in suffix or "E" in body:
        raise EvalError("Scientific notation patterns are not supported")
    integer_part, _, fraction_part = body.partition(".")
    grouping = 0
    if "," in integer_part:
        grouping = len(integer_part) - integer_part.rindex(",") - 1
    min_int = integer_part.count("0")
    min_frac = fraction_part.count("0")
    max_frac = min_frac + fraction_part.count("#")
    try:
        number = Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise EvalError(f"Cannot format [{value}] as a number") from exc
    if not number.is_finite():
        return "NaN" if number.is_nan() else ("∞" if number > 0 else "-∞")
    if "%" in prefix + suffix:
        number *= 100
    elif "‰" in prefix + suffix:
        number *= 1000
    negative = number < 0
    number = abs(number)
    quantum = Decimal(1).scaleb(-max_frac)
    rounded = number.quantize(quantum, rounding=ROUND_HALF_EVEN)
    text = f"{rounded:f}"
    int_digits, _, frac_digits = text.partition(".")
    frac_digits = frac_digits.rstrip("0")
    if len(frac_digits) < min_frac:
        frac_digits = frac_digits.ljust(min_frac, "0")
    int_digits = int_digits.lstrip("0")
    int_digits = int_digits.rjust(min_int, "0")
    if not int_digits and not frac_digits:
        int_digits = "0"
    if grouping and int_digits:
        groups: list[str] = []
        while len(int_digits) > grouping:
            groups.insert(0, int_digits[-grouping:])
            int_digits = int_digits[:-grouping]
        groups.insert(0, int_digits)
        int_digits = ",".join(groups)
    result = int_digits + ("." + frac_digits if frac_digits else "")
    if "." in body and body.endswith(".") and not frac_digits:
        result += "."
    return ("-" if negative else "") + prefix + result + suffix


# ---------------------------------------------------------------------------------------------------------
# YAML (Jackson YAMLMapper with MINIMIZE_QUOTES, no document start marker)

_PLAIN_UNSAFE_START = set("-?:,[]{}#&*!|>'\"%@`")


def _needs_quotes(text: str) -> bool:
    if text == "" or text != text.strip() or "\n" in text or "\t" in text:
        return True
    if text[0] in _PLAIN_UNSAFE_START:
        return True
    if ": " in text or " #" in text or text.endswith(":"):
        return True
    try:
        resolved = load_yaml_text(text)
    except YamlError:
        return True
    return not isinstance(resolved, str) or re.fullmatch(r"[-+]?[0-9][0-9_.eE+-]*", text) is not None


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, str):
        if _needs_quotes(value):
            escaped = (
                value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
            )
            return f'"{escaped}"'
        return value
    if hasattr(value, "isoformat"):
        text = iso_instant(value) if hasattr(value, "hour") else value.isoformat()
        return f'"{text}"'
    raise EvalError(f"Unable to serialise a value of type {type(value).__name__} to YAML")


def _is_collection(value: Any) -> bool:
    return isinstance(value, Mapping | list | tuple | Entry) and bool(
        value if not isinstance(value, Entry) else True
    )


def _yaml_lines(value: Any, indent: int, out: list[str], depth: int = 0) -> None:
    if depth > 200:
        raise EvalError("Value is nested too deeply to be serialised")
    pad = " " * indent
    if isinstance(value, Entry):
        value = {value.key: value.value}
    if isinstance(value, Mapping):
        for key, item in value.items():
            if item is None:
                continue
            key_text = _scalar(key if isinstance(key, str) else str(key))
            if isinstance(item, Entry):
                item = {item.key: item.value}  # noqa: PLW2901
            if isinstance(item, Mapping) and item:
                out.append(f"{pad}{key_text}:")
                _yaml_lines(item, indent + 2, out, depth + 1)
            elif isinstance(item, list | tuple) and item:
                out.append(f"{pad}{key_text}:")
                _yaml_lines(item, indent, out, depth + 1)
            else:
                out.append(f"{pad}{key_text}: {_inline(item)}")
        return
    for item in value:
        if isinstance(item, Entry):
            item = {item.key: item.value}  # noqa: PLW2901
        if isinstance(item, Mapping | list | tuple) and item:
            nested: list[str] = []
            _yaml_lines(item, 0, nested, depth + 1)
            out.append(f"{pad}- {nested[0]}")
            out.extend(f"{pad}  {line}" for line in nested[1:])
        else:
            out.append(f"{pad}- {_inline(item)}")


def _inline(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list | tuple):
        return "[]"
    if hasattr(value, "kite_message"):
        raise_undefined(value)
    return _scalar(value)


def to_yaml(value: Any) -> str:
    if isinstance(value, Mapping | list | tuple | Entry) and (isinstance(value, Entry) or value):
        lines: list[str] = []
        _yaml_lines(value, 0, lines)
        return "\n".join(lines) + "\n"
    return _inline(value) + "\n"
