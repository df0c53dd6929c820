"""Typed, validated execution inputs (spec part 1 §6), with Kestra's messages.

Values arrive as strings (form API, `--input k=v`) or typed values (JSON, subflows); each is parsed by
its declared type, then validated. Every failing input is reported, not only the first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

import yaml

from kite.engine.durations import parse_duration
from kite.engine.executor.variables import nest
from kite.engine.flow import Flow, Input
from kite.engine.model.serde import format_duration, format_instant

URI_PATTERN = re.compile(
    r"^[a-z]+://(?:www\.)?[-a-zA-Z0-9@:%._+~#=]{1,256}\.[a-zA-Z0-9()]{1,6}\b(?:[-a-zA-Z0-9()@:%_+.~#?&/=]*)$"
)
EMAIL_PATTERN = re.compile(r"^$|^[a-zA-Z0-9_!#$%&’*+/=?`{|}~^.-]+@[a-zA-Z0-9.-]+$")


class InputError(ValueError):
    def __init__(self, input_id: str, message: str) -> None:
        super().__init__(message)
        self.input_id = input_id


class InvalidInputsError(ValueError):
    def __init__(self, errors: list[InputError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _invalid(spec: Input, reason: str, value: Any) -> InputError:
    return InputError(spec.id, f"Invalid input for `{spec.id}`, {reason}, but received `{_shown(value)}`")


def resolve_inputs(flow: Flow, supplied: Mapping[str, Any]) -> dict[str, Any]:
    """Typed inputs, nested by dots; optional inputs without a value are absent (spec part 1 §6.3)."""
    return resolve_declared(flow.inputs or (), supplied)


def resolve_declared(declared: Sequence[Input], supplied: Mapping[str, Any]) -> dict[str, Any]:
    """`resolve_inputs` for any list of input declarations (a Pause's `onResume`)."""
    resolved: dict[str, Any] = {}
    errors: list[InputError] = []
    for spec in declared:
        value = supplied.get(spec.id)
        if value is None:
            value = spec.defaults
        if value is None:
            if spec.required:
                errors.append(_invalid(spec, "missing required input", None))
            continue
        try:
            resolved[spec.id] = parse_input(spec, value)
        except InputError as exc:
            errors.append(exc)
    if errors:
        raise InvalidInputsError(errors)
    return nest(resolved)


def parse_input(spec: Input, value: Any) -> Any:
    parser = _PARSERS[spec.type]
    try:
        parsed = parser(spec, value)
    except InputError:
        raise
    except (ValueError, TypeError) as exc:
        raise _invalid(spec, str(exc) or f"Expected `{spec.type}`", value) from None
    _check_bounds(spec, parsed, value)
    return parsed


def _string(spec: Input, value: Any) -> str:
    text = value if isinstance(value, str) else _shown(value)
    if spec.validator is not None and not re.fullmatch(spec.validator, text):
        raise _invalid(spec, f"it must match the pattern `{spec.validator}`", value)
    return text


def _int(spec: Input, value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise _invalid(spec, f'For input string: "{value}"', value)
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    if not re.fullmatch(r"[-+]?\d+", text):
        raise _invalid(spec, f'For input string: "{value}"', value)
    return int(text)


def _float(spec: Input, value: Any) -> float:
    if isinstance(value, bool):
        raise _invalid(spec, f'For input string: "{value}"', value)
    try:
        return float(value)
    except ValueError:
        raise _invalid(spec, f'For input string: "{value}"', value) from None


def _bool(spec: Input, value: Any) -> bool:
    # Boolean.valueOf: anything but "true" (any case) is false, never an error.
    return value if isinstance(value, bool) else str(value).strip().lower() == "true"


def _select(spec: Input, value: Any) -> str:
    text = _shown(value) if not isinstance(value, str) else value
    allowed = [_shown(v) for v in spec.values or ()]
    if allowed and text not in allowed and not spec.allow_custom_value:
        raise _invalid(spec, f"it must match the values `[{', '.join(allowed)}]`", value)
    return text


def _list_of(value: Any, what: str) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError(f"Expected `{what}` but received `{value}`") from None
    if not isinstance(value, list):
        raise ValueError(f"Expected `{what}` but received `{_shown(value)}`")
    return value


def _multiselect(spec: Input, value: Any) -> list[str]:
    items = [_shown(v) if not isinstance(v, str) else v for v in _list_of(value, "MULTISELECT")]
    allowed = [_shown(v) for v in spec.values or spec.options or ()]
    for item in items:
        if allowed and item not in allowed and not spec.allow_custom_value:
            raise _invalid(spec, f"it must match the values `[{', '.join(allowed)}]`", value)
    return items


def _array(spec: Input, value: Any) -> list[Any]:
    item_spec = spec.model_copy(update={"type": spec.item_type or "STRING", "min": None, "max": None})
    result = []
    for item in _list_of(value, "ARRAY"):
        try:
            result.append(_PARSERS[item_spec.type](item_spec, item))
        except (InputError, ValueError, TypeError):
            raise _invalid(
                spec, f"Unable to parse array element as `{item_spec.type}` on `{_shown(item)}`", value
            ) from None
    return result


def _datetime(spec: Input, value: Any) -> str:
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        if not re.search(r"(Z|[+-]\d\d:?\d\d)$", text):
            raise ValueError(f"Text '{text}' could not be parsed at index {len(text)}")
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"Text '{text}' could not be parsed at index 0") from None
    return format_instant(moment.astimezone(UTC))


def _date(spec: Input, value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ValueError(f"Text '{value}' could not be parsed at index 0") from None


def _time(spec: Input, value: Any) -> str:
    if isinstance(value, time):
        return value.isoformat()
    try:
        return time.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ValueError(f"Text '{value}' could not be parsed at index 0") from None


def _duration(spec: Input, value: Any) -> str:
    return format_duration(parse_duration(str(value)))


def _json(spec: Input, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        raise _invalid(spec, f"Expected `JSON` but received `{value}` with errors: {exc}", value) from None


def _yaml(spec: Input, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError as exc:
        raise _invalid(spec, f"Expected `YAML` but received `{value}` with errors: {exc}", value) from None


def _uri(spec: Input, value: Any) -> str:
    text = str(value)
    if not URI_PATTERN.match(text):
        raise _invalid(spec, f"Expected `URI` but received `{text}`", value)
    return text


def _email(spec: Input, value: Any) -> str:
    text = str(value)
    if not EMAIL_PATTERN.match(text):
        raise _invalid(spec, "The input must be a valid email", value)
    return text


def _file(spec: Input, value: Any) -> str:
    text = str(value)
    if not re.match(r"^(kestra|nsfile|file)://", text):
        raise _invalid(spec, "Expected a file URI (kestra://, nsfile:// or file://)", value)
    return text


_PARSERS: dict[str, Callable[[Input, Any], Any]] = {
    "STRING": _string,
    "SECRET": _string,
    "INT": _int,
    "FLOAT": _float,
    "BOOLEAN": _bool,
    "BOOL": _bool,
    "SELECT": _select,
    "ENUM": _select,
    "MULTISELECT": _multiselect,
    "ARRAY": _array,
    "DATETIME": _datetime,
    "DATE": _date,
    "TIME": _time,
    "DURATION": _duration,
    "JSON": _json,
    "YAML": _yaml,
    "URI": _uri,
    "EMAIL": _email,
    "FILE": _file,
}


def _check_bounds(spec: Input, parsed: Any, raw: Any) -> None:
    if spec.type in ("INT", "FLOAT"):
        if spec.min is not None and parsed < spec.min:
            raise _invalid(spec, f"it must be more than `{spec.min}`", raw)
        if spec.max is not None and parsed > spec.max:
            raise _invalid(spec, f"it must be less than `{spec.max}`", raw)
    elif spec.type == "DURATION":
        value = parse_duration(parsed)
        if spec.min is not None and value < parse_duration(str(spec.min)):
            raise _invalid(spec, f"It must be more than `{spec.min}`", raw)
        if spec.max is not None and value > parse_duration(str(spec.max)):
            raise _invalid(spec, f"It must be less than `{spec.max}`", raw)
    elif spec.type in ("DATETIME", "DATE", "TIME"):
        parse = _PARSERS[spec.type]
        if spec.after is not None and parsed < parse(spec, spec.after):
            raise _invalid(spec, f"it must be after `{spec.after}`", raw)
        if spec.before is not None and parsed > parse(spec, spec.before):
            raise _invalid(spec, f"it must be before `{spec.before}`", raw)
