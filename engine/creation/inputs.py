"""Typed, validated execution inputs (spec part 1 §6), with Kestra's messages.

Values arrive as strings (form API, `--input k=v`) or typed values (JSON, subflows); each is parsed by
its declared type, then validated. Messages have Kestra 1.3's wording: ``Invalid value for input `x`.
Cause: <reason>``, one line per violation (all of an input's violations, of every failing input), and
``Missing required input:x``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlsplit

from msgspec import Struct

from engine.expressions.patterns import pattern
from engine.expressions.values import iso_instant, java_string
from engine.flow.model import Flow
from engine.model.durations import parse_duration
from engine.model.serde import format_duration, parse_instant
from engine.model.values import nest
from engine.model.yaml_text import YamlError, load_yaml_text
from engine.task_api import Input

URI_PATTERN = re.compile(
    r"^[a-z]+://(?:www\.)?[-a-zA-Z0-9@:%._+~#=]{1,256}\.[a-zA-Z0-9()]{1,6}\b(?:[-a-zA-Z0-9()@:%_+.~#?&/=]*)$"
)
EMAIL_PATTERN = re.compile(r"^$|^[a-zA-Z0-9_!#$%&’*+/=?`{|}~^.-]+@[a-zA-Z0-9.-]+$")


class InputError(ValueError):
    """One refused input; each of its violations is a line of the message (Kestra merges them so)."""

    def __init__(self, input_id: str, message: str) -> None:
        super().__init__(message)
        self.input_id = input_id


class InvalidInputsError(ValueError):
    """Every refused input, one line per violation. Kestra 1.3 stops at the first refused input; Kite
    reports them all, so one correction is enough."""

    def __init__(self, errors: list[InputError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _invalid(spec: Input, reasons: Sequence[str], what: str) -> InputError:
    """Kestra 1.3's wording (`InputOutputValidationException.of`), one line per reason."""
    lines = [f"Invalid value for {what} `{spec.id}`. Cause: {reason}" for reason in reasons]
    return InputError(spec.id, "\n".join(lines))


# Whether a `dependsOn.condition` holds, given the inputs resolved before it (nested); ValueError when it
# cannot be rendered. The creation paths give one over the expression renderer.
Condition = Callable[[str, Mapping[str, Any]], bool]


class InputState(Struct, frozen=True):
    """One declared input as resolution left it: disabled by its `dependsOn`, or its value or error."""

    spec: Input
    enabled: bool
    value: Any = None
    is_default: bool = False
    error: InputError | None = None


def resolve_inputs(
    flow: Flow, supplied: Mapping[str, Any], *, require: bool = True, condition: Condition | None = None
) -> dict[str, Any]:
    """Typed inputs, nested by dots; optional inputs without a value are absent (spec part 1 §6.3).
    Without `require`, a required input with no value is null instead of an error."""
    return resolve_declared(flow.inputs or (), supplied, require=require, condition=condition)


def resolve_declared(
    declared: Sequence[Input],
    supplied: Mapping[str, Any],
    *,
    require: bool = True,
    condition: Condition | None = None,
) -> dict[str, Any]:
    """`resolve_inputs` for any list of input declarations (a Pause's `onResume`)."""
    states = input_states(declared, supplied, require=require, condition=condition)
    errors = [state.error for state in states if state.error is not None]
    if errors:
        raise InvalidInputsError(errors)
    return nest({state.spec.id: state.value for state in states if state.enabled})


def input_states(
    declared: Sequence[Input],
    supplied: Mapping[str, Any],
    *,
    require: bool = True,
    condition: Condition | None = None,
) -> list[InputState]:
    """Each input in declaration order: an input whose `dependsOn` names a disabled input, or whose
    condition does not hold, is disabled (neither validated nor in `inputs`)."""
    states: list[InputState] = []
    resolved: dict[str, Any] = {}
    disabled: set[str] = set()
    for spec in declared:
        depends = spec.depends_on
        if depends is not None:
            enabled = not disabled.intersection(depends.inputs)
            if enabled and depends.condition and condition is not None:
                try:
                    enabled = condition(depends.condition, nest(resolved))
                except ValueError as exc:
                    states.append(
                        InputState(spec, True, error=InputError(spec.id, f"Invalid condition: {exc}"))
                    )
                    continue
            if not enabled:
                disabled.add(spec.id)
                states.append(InputState(spec, False))
                continue
        value = supplied.get(spec.id)
        is_default = value is None and spec.defaults is not None
        if value is None:
            value = spec.defaults
        if value is None:
            if spec.required and require:
                error = InputError(spec.id, f"Missing required input:{spec.id}")
                states.append(InputState(spec, True, error=error))
            else:
                # Kestra 1.3 keeps it, null: `{{ inputs.x }}` renders empty, `inputs.x ?? 'y'` gives 'y'.
                resolved[spec.id] = None
                states.append(InputState(spec, True))
            continue
        try:
            resolved[spec.id] = parse_input(spec, value)
        except InputError as exc:
            states.append(InputState(spec, True, error=exc))
            continue
        states.append(InputState(spec, True, resolved[spec.id], is_default))
    return states


def parse_input(spec: Input, value: Any, what: str = "input") -> Any:
    """Parse `value` as the declared type, then validate it; raises with every violation found. `what`
    names it in the message: an `input`, or a flow `output` (typed the same way)."""
    try:
        parsed = _PARSERS[spec.type](spec, value)
        violations = _violations(spec, parsed)
    except (ValueError, TypeError) as exc:
        # A value that does not parse is not validated: its parse error is the only violation.
        raise _invalid(spec, [str(exc) or f"Expected `{spec.type}`"], what) from None
    if violations:
        raise _invalid(spec, violations, what)
    return parsed


# --- parsing: a parser raises ValueError with the reason ------------------------------------------


def _string(spec: Input, value: Any) -> str:
    return value if isinstance(value, str) else _shown(value)


def _int(spec: Input, value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f'For input string: "{value}"')
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    if not re.fullmatch(r"[-+]?\d+", text):
        raise ValueError(f'For input string: "{value}"')
    return int(text)


def _float(spec: Input, value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f'For input string: "{value}"')
    try:
        return float(value)
    except ValueError:
        raise ValueError(f'For input string: "{value}"') from None


def _bool(spec: Input, value: Any) -> bool:
    # Boolean.valueOf: anything but "true" (any case) is false, never an error.
    return value if isinstance(value, bool) else str(value).strip().lower() == "true"


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
    return [_string(spec, v) for v in _list_of(value, "MULTISELECT")]


def _array(spec: Input, value: Any) -> list[Any]:
    item_spec = spec.model_copy(update={"type": spec.item_type or "STRING"})
    parse = _PARSERS[item_spec.type]
    result = []
    for item in _list_of(value, "ARRAY"):
        try:
            result.append(parse(item_spec, item))
        except (ValueError, TypeError):
            raise ValueError(
                f"Unable to parse array element as `{item_spec.type}` on `{_shown(item)}`"
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
    # As Jackson writes an Instant (Kestra's execution JSON): no fraction when it is zero.
    return iso_instant(moment.astimezone(UTC))


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
        raise ValueError(f"Expected `JSON` but received `{value}` with errors: {exc}") from None


def _yaml(spec: Input, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return load_yaml_text(value)
    except YamlError as exc:
        raise ValueError(f"Expected `YAML` but received `{value}` with errors: {exc}") from None


def _uri(spec: Input, value: Any) -> str:
    text = str(value)
    if not URI_PATTERN.match(text):
        raise ValueError("Invalid URI format.")
    return text


def _file(spec: Input, value: Any) -> str:
    text = str(value)
    if not re.match(r"^(kestra|nsfile|file)://", text):
        raise ValueError("Expected a file URI (kestra://, nsfile:// or file://)")
    return text


_PARSERS: dict[str, Callable[[Input, Any], Any]] = {
    "STRING": _string,
    "SECRET": _string,
    "EMAIL": _string,
    "SELECT": _string,
    "ENUM": _string,
    "INT": _int,
    "FLOAT": _float,
    "BOOLEAN": _bool,
    "BOOL": _bool,
    "MULTISELECT": _multiselect,
    "ARRAY": _array,
    "DATETIME": _datetime,
    "DATE": _date,
    "TIME": _time,
    "DURATION": _duration,
    "JSON": _json,
    "YAML": _yaml,
    "URI": _uri,
    "FILE": _file,
}


# --- validation of a parsed value: every violation, as Kestra's constraint violations -------------


def _violations(spec: Input, parsed: Any) -> list[str]:
    check = _CHECKS.get(spec.type)
    return check(spec, parsed) if check is not None else []


def _pattern(spec: Input, text: str) -> list[str]:
    if spec.validator is None or pattern(spec.validator).fullmatch(text):
        return []
    return [f"it must match the pattern `{spec.validator}`"]


def _secret_pattern(spec: Input, text: str) -> list[str]:
    # Kestra reports a SECRET's pattern as a bean-validation violation, whose text starts with its path.
    return [f"{spec.id}: {reason}" for reason in _pattern(spec, text)]


def _email(spec: Input, text: str) -> list[str]:
    return [] if EMAIL_PATTERN.match(text) else ["The input must be a valid email"]


def _allowed(values: Sequence[Any]) -> str:
    return "[" + ", ".join(_shown(v) for v in values) + "]"


def _one_of(spec: Input, text: str) -> list[str]:
    values = spec.values or ()
    if not values or spec.allow_custom_value or text in [_shown(v) for v in values]:
        return []
    return [f"it must match the values `{_allowed(values)}`"]


def _many_of(spec: Input, items: list[str]) -> list[str]:
    reasons = []
    if spec.values is not None and spec.options is not None:
        reasons.append("you can't define both `values` and `options`")
    values = spec.values or spec.options or ()
    if values and not spec.allow_custom_value:
        shown = [_shown(v) for v in values]
        reasons += [
            f"value `{item}` doesn't match the values `{_allowed(values)}`"
            for item in items
            if item not in shown
        ]
    return reasons


def _number_bounds(spec: Input, number: float) -> list[str]:
    low, high = (
        None if b is None else int(b) if spec.type == "INT" else float(b) for b in (spec.min, spec.max)
    )
    if low is not None and number < low:
        return [f"it must be more than `{java_string(low)}`"]
    if high is not None and number > high:
        return [f"it must be less than `{java_string(high)}`"]
    return []


def _duration_bounds(spec: Input, text: str) -> list[str]:
    value = parse_duration(text)
    low, high = (None if b is None else parse_duration(str(b)) for b in (spec.min, spec.max))
    if low is not None and value < low:
        return [f"It must be more than `{format_duration(low)}`"]
    if high is not None and value > high:
        return [f"It must be less than `{format_duration(high)}`"]
    return []


def _moment_bounds(spec: Input, moment: str) -> list[str]:
    # Parsed dates and times are ISO texts, which sort chronologically; instants are compared as such.
    def key(text: str) -> Any:
        return parse_instant(text) if spec.type == "DATETIME" else text

    after, before = (None if b is None else _PARSERS[spec.type](spec, b) for b in (spec.after, spec.before))
    if after is not None and key(moment) < key(after):
        return [f"it must be after `{_java_moment(spec.type, after)}`"]
    if before is not None and key(moment) > key(before):
        return [f"it must be before `{_java_moment(spec.type, before)}`"]
    return []


def _java_moment(kind: str, text: str) -> str:
    """A parsed bound as Kestra prints it: `Instant`, `LocalDate` or `LocalTime.toString()`."""
    if kind == "DATETIME":
        return iso_instant(parse_instant(text))
    if kind == "TIME":
        value = time.fromisoformat(text)
        shown = value.strftime("%H:%M")
        if value.second or value.microsecond:
            shown += f":{value.second:02d}"
        if value.microsecond:
            micro = value.microsecond
            shown += f".{micro // 1000:03d}" if micro % 1000 == 0 else f".{micro:06d}"
        return shown
    return text


def _file_extension(spec: Input, uri: str) -> list[str]:
    """Kestra 1.x: the extension after the path's last dot, lower-cased, must be one of
    `allowedFileExtensions`. Kite also reads `csv` or `.CSV` as `.csv`, where Kestra would refuse every
    file."""
    allowed = spec.allowed_file_extensions
    if not allowed:
        return []
    path = urlsplit(uri).path
    extension = path[path.rfind(".") :].lower() if "." in path else ""
    if extension in {"." + entry.lower().lstrip(".") for entry in allowed}:
        return []
    return [f"File type not allowed. Accepted extensions: {', '.join(allowed)}"]


_CHECKS: dict[str, Callable[[Input, Any], list[str]]] = {
    "STRING": _pattern,
    "SECRET": _secret_pattern,
    "EMAIL": _email,
    "SELECT": _one_of,
    "ENUM": _one_of,
    "MULTISELECT": _many_of,
    "INT": _number_bounds,
    "FLOAT": _number_bounds,
    "DURATION": _duration_bounds,
    "DATETIME": _moment_bounds,
    "DATE": _moment_bounds,
    "TIME": _moment_bounds,
    "FILE": _file_extension,
}
