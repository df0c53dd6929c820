"""The Flow trigger (spec part 1 §9.4): whether an upstream execution reaching a state starts a listening
flow, and what the new execution sees as `trigger.*`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from engine.creation.conditions import ConditionContext, ConditionError, Upstream, evaluate, holds
from engine.flow.model import Flow, Trigger
from engine.model.state import StateType

FLOW_TRIGGER_TYPES = frozenset(
    {"io.kestra.plugin.core.trigger.Flow", "io.kestra.core.models.triggers.types.Flow"}
)
TERMINAL_STATES = tuple(state.value for state in StateType if state.terminated)


def extra(trigger: Trigger) -> dict[str, Any]:
    return dict(trigger.model_extra or {})


def listening(flow: Flow) -> list[Trigger]:
    """The enabled Flow triggers of an enabled flow."""
    if flow.disabled:
        return []
    return [t for t in flow.triggers or () if t.type in FLOW_TRIGGER_TYPES and not t.disabled]


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


def fires(listener: Flow, trigger: Trigger, context: ConditionContext) -> bool:
    """The upstream is another flow's, in one of the trigger's `states`, its conditions and its
    preconditions hold. Raises ConditionError for what Kite cannot evaluate."""
    upstream = context.upstream
    assert upstream is not None  # a Flow trigger always looks at an upstream execution
    if (upstream.namespace, upstream.flow_id) == (listener.namespace, listener.id):
        return False  # never on its own flow
    properties = extra(trigger)
    states = properties.get("states")
    if upstream.state not in (states if isinstance(states, list) else _default_states(properties)):
        return False
    return holds(properties.get("conditions"), context) and _preconditions(properties, context)


def _default_states(properties: Mapping[str, Any]) -> Sequence[str]:
    """Terminal states, unless the preconditions name others (a PAUSED upstream, say)."""
    preconditions = properties.get("preconditions")
    named = [
        state
        for entry in (preconditions.get("flows") or () if isinstance(preconditions, Mapping) else ())
        for state in entry.get("states") or ()
    ]
    return [*TERMINAL_STATES, *named]


def _preconditions(properties: Mapping[str, Any], context: ConditionContext) -> bool:
    preconditions = properties.get("preconditions")
    if preconditions is None:
        return True
    if not isinstance(preconditions, Mapping):
        raise ConditionError("preconditions must be a map")
    named = [*(preconditions.get("flows") or ()), *(preconditions.get("where") or ())]
    if len(named) != 1:
        raise ConditionError(
            "preconditions over several flows or filters need the trigger state store, not in Kite yet"
        )
    entry = named[0]
    if "filters" in entry:
        return _where(entry, context)
    return _flow_entry(entry, context)


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
    results = [_filter(f, context) for f in entry.get("filters") or ()]
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
