"""Trigger conditions (spec part 1 §9.1): whether a webhook call or an upstream execution's end may start an
execution. Each condition is a map with a `type`, under Kestra's current and legacy names; a type Kite does
not evaluate is an error that names it, never a silent pass."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from msgspec import Struct

from engine.expressions import ExpressionError, Renderer, RenderServices, is_truthy
from engine.flow.conditions import condition_name


class ConditionError(ValueError):
    """A condition that cannot be evaluated as written."""


class Upstream(Struct, frozen=True):
    """The execution a Flow trigger looks at."""

    namespace: str
    flow_id: str
    state: str
    labels: Mapping[str, str]
    outputs: Mapping[str, Any]


class ConditionContext(Struct, frozen=True):
    variables: Mapping[str, Any]  # what expressions render with (`trigger.*`, `flow`, an upstream's outputs)
    renderer: Renderer
    services: RenderServices | None
    upstream: Upstream | None = None  # for the execution conditions


Evaluator = Callable[[Mapping[str, Any], ConditionContext], bool]


def holds(conditions: Sequence[Any] | Mapping[str, Any] | None, context: ConditionContext) -> bool:
    """Every condition true (AND); a map of named conditions counts as its values."""
    items = conditions.values() if isinstance(conditions, Mapping) else conditions or ()
    return all(evaluate(condition, context) for condition in items)


def evaluate(condition: Any, context: ConditionContext) -> bool:
    if not isinstance(condition, Mapping) or not isinstance(condition.get("type"), str):
        raise ConditionError(f"a condition must be a map with a type, got {condition!r}")
    name = condition_name(condition["type"])
    evaluator = _EVALUATORS.get(name) if name is not None else None
    if evaluator is None:
        raise ConditionError(f"condition type {condition['type']} is not supported yet")
    return evaluator(condition, context)


def _render(template: Any, context: ConditionContext, what: str) -> str:
    if not isinstance(template, str):
        raise ConditionError(f"{what} must be a string, got {template!r}")
    try:
        return context.renderer.render(template, context.variables, context.services)
    except ExpressionError as exc:
        raise ConditionError(f"{what} '{template}' failed: {exc}") from None


def _expression(condition: Mapping[str, Any], context: ConditionContext) -> bool:
    return is_truthy(_render(condition.get("expression"), context, "expression"))


def _upstream(context: ConditionContext, kind: str) -> Upstream:
    if context.upstream is None:
        raise ConditionError(f"an {kind} condition only applies to a Flow trigger")
    return context.upstream


def _status(condition: Mapping[str, Any], context: ConditionContext) -> bool:
    state = _upstream(context, "ExecutionStatus").state
    included, excluded = condition.get("in"), condition.get("notIn")
    return (included is None or state in included) and (excluded is None or state not in excluded)


def _flow(condition: Mapping[str, Any], context: ConditionContext) -> bool:
    upstream = _upstream(context, "ExecutionFlow")
    return upstream.namespace == condition.get("namespace") and upstream.flow_id == condition.get("flowId")


def _namespace(condition: Mapping[str, Any], context: ConditionContext) -> bool:
    namespace = _upstream(context, "ExecutionNamespace").namespace
    wanted = str(condition.get("namespace", ""))
    comparison = str(condition.get("comparison") or ("PREFIX" if condition.get("prefix") else "EQUALS"))
    if comparison == "EQUALS":
        return namespace == wanted
    if comparison == "PREFIX":
        return namespace == wanted or namespace.startswith(wanted)
    if comparison == "SUFFIX":
        return namespace.endswith(wanted)
    raise ConditionError(f"ExecutionNamespace: unknown comparison {comparison}")


def _labels(condition: Mapping[str, Any], context: ConditionContext) -> bool:
    labels = _upstream(context, "ExecutionLabels").labels
    wanted = condition.get("labels") or {}
    pairs = (
        wanted.items()
        if isinstance(wanted, Mapping)
        else ((item.get("key"), item.get("value")) for item in wanted if isinstance(item, Mapping))
    )
    return all(labels.get(str(key)) == str(value) for key, value in pairs)


def _outputs(condition: Mapping[str, Any], context: ConditionContext) -> bool:
    _upstream(context, "ExecutionOutputs")
    return _expression(condition, context)


def _not(condition: Mapping[str, Any], context: ConditionContext) -> bool:
    return not any(evaluate(c, context) for c in condition.get("conditions") or ())


def _or(condition: Mapping[str, Any], context: ConditionContext) -> bool:
    return any(evaluate(c, context) for c in condition.get("conditions") or ())


_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_WEEKS = ("FIRST", "SECOND", "THIRD", "FOURTH")


def _date(condition: Mapping[str, Any], context: ConditionContext) -> datetime:
    """The date a schedule condition looks at: its `date`, by default the scheduled date."""
    text = _render(condition.get("date", "{{ trigger.date }}"), context, "date")
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConditionError(f"date '{text}' is not an ISO-8601 date-time") from None


def _weekday(condition: Mapping[str, Any]) -> int:
    day = str(condition.get("dayOfWeek", "")).upper()
    if day not in _DAYS:
        raise ConditionError(f"dayOfWeek '{day}' is not one of {', '.join(_DAYS)}")
    return _DAYS.index(day)


def _day_week(condition: Mapping[str, Any], context: ConditionContext) -> bool:
    return _date(condition, context).weekday() == _weekday(condition)


def _day_week_in_month(condition: Mapping[str, Any], context: ConditionContext) -> bool:
    date = _date(condition, context)
    if date.weekday() != _weekday(condition):
        return False
    which = str(condition.get("dayInMonth", "")).upper()
    if which == "LAST":
        return (date + timedelta(days=7)).month != date.month
    if which not in _WEEKS:
        raise ConditionError(f"dayInMonth '{which}' is not one of {', '.join((*_WEEKS, 'LAST'))}")
    return (date.day - 1) // 7 == _WEEKS.index(which)


def _weekend(condition: Mapping[str, Any], context: ConditionContext) -> bool:
    return _date(condition, context).weekday() >= 5


def _between(condition: Mapping[str, Any], value: Any, parse: Callable[[str], Any]) -> bool:
    """Kestra's bounds are inclusive."""
    after, before = condition.get("after"), condition.get("before")
    try:
        return (after is None or value >= parse(str(after))) and (
            before is None or value <= parse(str(before))
        )
    except (ValueError, TypeError) as exc:
        raise ConditionError(f"after/before: {exc}") from None


def _date_time_between(condition: Mapping[str, Any], context: ConditionContext) -> bool:
    return _between(condition, _date(condition, context), datetime.fromisoformat)


def _time_between(condition: Mapping[str, Any], context: ConditionContext) -> bool:
    date = _date(condition, context)

    def at(text: str) -> datetime:
        # A time with an offset is that instant on the date's day; without one, the date's wall clock.
        moment = time.fromisoformat(text)
        if moment.tzinfo is None:
            return date.replace(hour=moment.hour, minute=moment.minute, second=moment.second, microsecond=0)
        return datetime.combine(date.date(), moment)

    return _between(condition, date, at)


def _public_holiday(condition: Mapping[str, Any], context: ConditionContext) -> bool:
    """The date is a public holiday of `country` (and `subDivision`): the isPublicHoliday() function's
    calendar."""
    date = _render(condition.get("date", "{{ trigger.date }}"), context, "date")
    arguments = {
        "_date": date,
        "_country": condition.get("country"),
        "_subdivision": condition.get("subDivision"),
    }
    scoped = ConditionContext({**context.variables, **arguments}, context.renderer, context.services)
    return is_truthy(_render("{{ isPublicHoliday(_date, _country, _subdivision) }}", scoped, "PublicHoliday"))


_EVALUATORS: dict[str, Evaluator] = {
    "PublicHoliday": _public_holiday,
    "DayWeek": _day_week,
    "DayWeekInMonth": _day_week_in_month,
    "Weekend": _weekend,
    "DateTimeBetween": _date_time_between,
    "TimeBetween": _time_between,
    "Expression": _expression,
    "ExecutionStatus": _status,
    "ExecutionFlow": _flow,
    "ExecutionNamespace": _namespace,
    "ExecutionLabels": _labels,
    "ExecutionOutputs": _outputs,
    "Flow": _flow,  # the legacy FlowCondition and FlowNamespaceCondition, on the upstream flow
    "FlowNamespace": _namespace,
    "Not": _not,
    "Or": _or,
}
