"""The Flow trigger (spec part 1 §9.4): whether an upstream execution reaching a state starts a listening
flow, and what the new execution sees as `trigger.*`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, NoReturn

from msgspec import Struct

from engine.creation.conditions import ConditionContext, ConditionError, Upstream, evaluate, holds
from engine.creation.trigger_states import NONE, Overrides, extra, is_disabled
from engine.flow.conditions import FLOW_TRIGGER_TYPES
from engine.flow.model import Flow, Trigger
from engine.model.durations import parse_duration
from engine.model.serde import format_instant
from engine.model.state import StateType

TERMINAL_STATES = tuple(state.value for state in StateType if state.terminated)


def listening(flow: Flow, overrides: Overrides = NONE) -> list[Trigger]:
    """The enabled Flow triggers of an enabled flow."""
    if flow.disabled:
        return []
    return [
        t for t in flow.triggers or () if t.type in FLOW_TRIGGER_TYPES and not is_disabled(flow, t, overrides)
    ]


def trigger_variables(
    execution_id: str, upstream: Upstream, revision: int, outputs: Mapping[str, Any] | None
) -> dict[str, Any]:
    """`trigger.*` of the execution a Flow trigger starts: the upstream execution."""
    variables: dict[str, Any] = {
        "executionId": execution_id,
        "namespace": upstream.namespace,
        "flowId": upstream.flow_id,
        "flowRevision": revision,
        "state": upstream.state,
    }
    if outputs:
        variables["outputs"] = dict(outputs)
    return variables


class Window(Struct, frozen=True):
    """Where matches of a trigger's named conditions count: `key` names the window's state (one per
    period of a DURATION or daily window, one for a sliding one); a match older than `since` is stale."""

    key: str
    since: datetime
    expires: datetime


class Verdict(Struct, frozen=True):
    """`fires` now, or `needs` these named conditions in a shared window (`matched` by this upstream)."""

    fires: bool
    needs: tuple[str, ...] = ()
    matched: tuple[str, ...] = ()
    window: Window | None = None
    reset: bool = True


NO = Verdict(fires=False)


def judge(listener: Flow, trigger: Trigger, context: ConditionContext, now: datetime) -> Verdict:
    """The upstream is another flow's, in one of the trigger's `states`, and its conditions hold; then
    either it fires, or it matches some of the named conditions of `preconditions` (or of a legacy
    MultipleCondition) that must all match within a window. Raises ConditionError for what Kite cannot
    evaluate."""
    upstream = context.upstream
    assert upstream is not None  # a Flow trigger always looks at an upstream execution
    if (upstream.namespace, upstream.flow_id) == (listener.namespace, listener.id):
        return NO  # never on its own flow
    properties = extra(trigger)
    states = properties.get("states")
    if upstream.state not in (states if isinstance(states, list) else _default_states(properties)):
        return NO
    conditions = list(properties.get("conditions") or ())
    multiple = [c for c in conditions if isinstance(c, Mapping) and _is_multiple(c)]
    if not holds([c for c in conditions if c not in multiple], context):
        return NO
    groups = [_precondition_group(p) for p in [properties.get("preconditions")] if p is not None]
    groups += [_multiple_group(m) for m in multiple]
    if len(groups) > 1:
        raise ConditionError(
            "a Flow trigger with several MultipleConditions or preconditions is not supported"
        )
    if not groups:
        return Verdict(fires=True)
    group_id, named, window_spec, reset = groups[0]
    matched = tuple(name for name, check in named.items() if check(context))
    if len(named) == 1:
        return Verdict(fires=bool(matched))
    if not matched:
        return NO
    window = _window(window_spec, now, f"{listener.namespace}/{listener.id}/{trigger.id}/{group_id}")
    if window is None:
        return NO  # outside a daily window or past its deadline: the match does not count
    return Verdict(fires=False, needs=tuple(named), matched=matched, window=window, reset=reset)


Check = Callable[[ConditionContext], bool]


def _default_states(properties: Mapping[str, Any]) -> Sequence[str]:
    """Terminal states, and those the preconditions name (a PAUSED upstream, say)."""
    preconditions = properties.get("preconditions")
    named = [
        state
        for entry in (preconditions.get("flows") or () if isinstance(preconditions, Mapping) else ())
        for state in entry.get("states") or ()
    ]
    return [*TERMINAL_STATES, *named]


def _precondition_group(preconditions: Any) -> tuple[str, dict[str, Check], Mapping[str, Any], bool]:
    if not isinstance(preconditions, Mapping):
        raise ConditionError("preconditions must be a map")
    named: dict[str, Check] = {}
    for index, entry in enumerate(preconditions.get("flows") or ()):
        named[f"flows[{index}]"] = partial(_flow_entry, entry)
    for index, entry in enumerate(preconditions.get("where") or ()):
        name = f"where.{entry.get('id') or index}"
        named[name] = partial(_where, entry)
    window = preconditions.get("timeWindow") or {}
    return (
        str(preconditions.get("id") or "preconditions"),
        named,
        window,
        bool(preconditions.get("resetOnSuccess", True)),
    )


def _is_multiple(condition: Mapping[str, Any]) -> bool:
    return str(condition.get("type", "")).rsplit(".", 1)[-1] in ("MultipleCondition", "Multiple")


def _multiple_group(condition: Mapping[str, Any]) -> tuple[str, dict[str, Check], Mapping[str, Any], bool]:
    named: dict[str, Check] = {
        str(name): partial(evaluate, sub) for name, sub in dict(condition.get("conditions") or {}).items()
    }
    window = {
        "type": "DURATION_WINDOW",
        "window": condition.get("window"),
        "windowAdvance": condition.get("windowAdvance"),
    }
    return str(condition.get("id") or "multiple"), named, window, bool(condition.get("resetOnSuccess", True))


def _window(spec: Mapping[str, Any], now: datetime, key: str) -> Window | None:
    """Kestra's time windows (default: a one-day DURATION_WINDOW from midnight UTC)."""
    kind = str(spec.get("type") or "DURATION_WINDOW")
    length = _duration(spec.get("window"), timedelta(days=1))
    if kind == "SLIDING_WINDOW":
        return Window(f"{key}/sliding", now - length, now + length)
    if kind == "DURATION_WINDOW":
        advance = _duration(spec.get("windowAdvance"), timedelta(0))
        origin = datetime(1970, 1, 1, tzinfo=UTC) + advance
        start = origin + ((now - origin) // length) * length
        return Window(f"{key}/{format_instant(start)}", start, start + length)
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == "DAILY_TIME_DEADLINE":
        deadline = midnight + _time_of_day(spec.get("deadline"), "deadline")
        return Window(f"{key}/{midnight.date()}", midnight, deadline) if now < deadline else None
    if kind == "DAILY_TIME_WINDOW":
        start = midnight + _time_of_day(spec.get("startTime"), "startTime")
        end = midnight + _time_of_day(spec.get("endTime"), "endTime")
        return Window(f"{key}/{midnight.date()}", start, end) if start <= now < end else None
    raise ConditionError(f"timeWindow type {kind} is not one of Kestra's")


def _duration(value: Any, default: timedelta) -> timedelta:
    if value is None:
        return default
    try:
        return parse_duration(str(value))
    except ValueError:
        raise ConditionError(f"'{value}' is not an ISO-8601 duration") from None


def _time_of_day(value: Any, what: str) -> timedelta:
    try:
        hours, minutes, *rest = (int(part) for part in str(value).split(":"))
    except ValueError:
        raise ConditionError(f"timeWindow {what}: '{value}' is not a time of day (HH:mm:ss)") from None
    return timedelta(hours=hours, minutes=minutes, seconds=rest[0] if rest else 0)


def _flow_entry(entry: Mapping[str, Any], context: ConditionContext) -> bool:
    upstream = context.upstream
    assert upstream is not None
    if entry.get("namespace") != upstream.namespace:
        return False
    if entry.get("flowId") is not None and entry.get("flowId") != upstream.flow_id:
        return False
    states = entry.get("states")
    if states and upstream.state not in states:
        return False
    labels = entry.get("labels") or {}
    return all(upstream.labels.get(str(k)) == str(v) for k, v in dict(labels).items())


def _where(entry: Mapping[str, Any], context: ConditionContext) -> bool:
    # Evaluated in order and only as far as needed, as Kestra does: a filter on another flow's labels is
    # not reached for an execution the flow id already excludes.
    results = (_filter(f, context) for f in entry.get("filters") or ())
    return any(results) if entry.get("operand") == "OR" else all(results)


def _filter(spec: Mapping[str, Any], context: ConditionContext) -> bool:
    upstream = context.upstream
    assert upstream is not None
    field, kind = spec.get("field"), spec.get("type")
    if field == "EXPRESSION":
        expression = {"type": "io.kestra.plugin.core.condition.Expression", "expression": spec.get("value")}
        truthy = evaluate(expression, context)
        if kind in ("IS_TRUE", "IS_FALSE"):
            return truthy is (kind == "IS_TRUE")
        return _unknown(kind)
    actual = {"FLOW_ID": upstream.flow_id, "NAMESPACE": upstream.namespace, "STATE": upstream.state}.get(
        str(field)
    )
    if actual is None:
        raise ConditionError(f"precondition filter field {field} is not supported yet")
    value, values = spec.get("value"), spec.get("values") or ()
    match kind:
        case "EQUAL_TO":
            return actual == value
        case "NOT_EQUAL_TO":
            return actual != value
        case "IN":
            return actual in values
        case "NOT_IN":
            return actual not in values
        case "STARTS_WITH":
            return actual.startswith(str(value))
        case "ENDS_WITH":
            return actual.endswith(str(value))
        case "CONTAINS":
            return str(value) in actual
    return _unknown(kind)


def _unknown(kind: Any) -> NoReturn:
    raise ConditionError(f"precondition filter type {kind} is not supported yet")
