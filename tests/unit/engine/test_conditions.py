"""Trigger conditions and Flow trigger matching, table-driven (spec part 1 §9.1, §9.4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from engine.creation.conditions import _EVALUATORS, ConditionContext, ConditionError, Upstream, evaluate
from engine.creation.flow_trigger import judge
from engine.expressions import Renderer
from engine.flow.conditions import CONDITION_NAMES
from engine.flow.loader import InvalidFlowError, parse_flow

CORE = "io.kestra.plugin.core.condition."
NOW = datetime(2026, 6, 1, 9, 15, tzinfo=UTC)
UPSTREAM = Upstream("company.team", "etl", "SUCCESS", {"env": "prod"}, {"rows": 3})


def context(upstream: Upstream | None = UPSTREAM, **variables: Any) -> ConditionContext:
    return ConditionContext({"outputs": {"only": {"value": "x"}}, **variables}, Renderer(), None, upstream)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"type": CORE + "ExecutionStatus", "in": ["SUCCESS", "WARNING"]}, True),
        ({"type": CORE + "ExecutionStatus", "notIn": ["SUCCESS"]}, False),
        (
            {"type": "io.kestra.core.models.conditions.types.ExecutionStatusCondition", "in": ["FAILED"]},
            False,
        ),
        ({"type": CORE + "ExecutionFlow", "namespace": "company.team", "flowId": "etl"}, True),
        ({"type": CORE + "ExecutionFlow", "namespace": "company.team", "flowId": "other"}, False),
        ({"type": CORE + "ExecutionNamespace", "namespace": "company.team"}, True),
        ({"type": CORE + "ExecutionNamespace", "namespace": "company", "comparison": "PREFIX"}, True),
        ({"type": CORE + "ExecutionNamespace", "namespace": "company"}, False),
        ({"type": CORE + "ExecutionNamespace", "namespace": "team", "comparison": "SUFFIX"}, True),
        ({"type": CORE + "ExecutionLabels", "labels": {"env": "prod"}}, True),
        ({"type": CORE + "ExecutionLabels", "labels": [{"key": "env", "value": "dev"}]}, False),
        ({"type": CORE + "Expression", "expression": "{{ outputs.only.value == 'x' }}"}, True),
        ({"type": CORE + "ExpressionCondition", "expression": "{{ 1 > 2 }}"}, False),
        ({"type": CORE + "FlowCondition", "namespace": "company.team", "flowId": "etl"}, True),
        ({"type": CORE + "FlowNamespaceCondition", "namespace": "company", "prefix": True}, True),
        ({"type": CORE + "FlowNamespaceCondition", "namespace": "company"}, False),
        (
            {
                "type": CORE + "Not",
                "conditions": [{"type": CORE + "Expression", "expression": "{{ false }}"}],
            },
            True,
        ),
        (
            {
                "type": CORE + "Or",
                "conditions": [
                    {"type": CORE + "Expression", "expression": "{{ false }}"},
                    {"type": CORE + "ExecutionFlow", "namespace": "company.team", "flowId": "etl"},
                ],
            },
            True,
        ),
    ],
)
def test_a_condition_holds_or_not(condition: dict[str, Any], expected: bool) -> None:
    assert evaluate(condition, context()) is expected


@pytest.mark.parametrize(
    "condition",
    [
        {"type": CORE + "MultipleCondition", "conditions": {}},
        {"type": "com.example.Custom"},
        {"type": "io.kestra.plugin.other.ExecutionStatus", "in": ["SUCCESS"]},
        {"in": ["SUCCESS"]},
    ],
)
def test_what_kite_cannot_evaluate_is_an_error_naming_it(condition: dict[str, Any]) -> None:
    with pytest.raises(ConditionError):
        evaluate(condition, context())


def test_every_condition_kite_evaluates_is_one_a_flow_may_name() -> None:
    assert set(_EVALUATORS) == CONDITION_NAMES


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        (
            "type: io.kestra.plugin.core.trigger.Webhook\n    key: k",
            "com.example.Custom is not one Kite evaluates",
        ),
        (
            "type: io.kestra.plugin.core.trigger.Schedule\n    cron: '@daily'",
            "com.example.Custom is not one Kite evaluates",
        ),
    ],
)
def test_an_unknown_condition_type_is_refused_when_the_flow_is_saved(trigger: str, message: str) -> None:
    source = f"""id: f
namespace: demo
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: x
    {trigger}
    conditions:
      - type: {CORE}Not
        conditions:
          - type: com.example.Custom
"""
    with pytest.raises(InvalidFlowError, match=message) as raised:
        parse_flow(source, "f.yaml")
    assert "f.yaml:8:5: triggers[0]" in str(raised.value)


def test_a_multiple_condition_belongs_to_flow_triggers() -> None:
    source = f"""id: f
namespace: demo
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: x
    type: io.kestra.plugin.core.trigger.Webhook
    key: k
    conditions:
      - type: {CORE}MultipleCondition
        conditions: {{}}
"""
    with pytest.raises(InvalidFlowError, match="MultipleCondition is not one Kite evaluates"):
        parse_flow(source, "f.yaml")
    parse_flow(source.replace("Webhook\n    key: k", "Flow"), "f.yaml")


def test_an_execution_condition_needs_an_upstream() -> None:
    with pytest.raises(ConditionError, match="only applies to a Flow trigger"):
        evaluate({"type": CORE + "ExecutionStatus", "in": ["SUCCESS"]}, context(upstream=None))


LISTENER = """id: listener
namespace: company.team
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: on_etl
    type: io.kestra.plugin.core.trigger.Flow
{extra}
"""


@pytest.mark.parametrize(
    ("extra", "upstream", "expected"),
    [
        ("    states: [SUCCESS]", UPSTREAM, True),
        ("    states: [FAILED]", UPSTREAM, False),
        ("    conditions: []", Upstream("company.team", "etl", "RUNNING", {}, {}), False),  # not terminal
        ("    conditions: []", Upstream("company.team", "listener", "SUCCESS", {}, {}), False),  # own flow
        (
            "    preconditions:\n      id: p\n      flows:\n        - namespace: company.team\n"
            "          flowId: etl\n          states: [PAUSED]",
            Upstream("company.team", "etl", "PAUSED", {}, {}),
            True,
        ),
        (
            "    preconditions:\n      id: p\n      where:\n        - id: w\n          filters:\n"
            "            - field: NAMESPACE\n              type: STARTS_WITH\n              value: company\n"
            "            - field: FLOW_ID\n              type: EQUAL_TO\n              value: etl",
            UPSTREAM,
            True,
        ),
    ],
)
def test_a_flow_trigger_fires_on_its_states_conditions_and_preconditions(
    extra: str, upstream: Upstream, expected: bool
) -> None:
    flow = parse_flow(LISTENER.format(extra=extra))
    assert flow.triggers is not None
    assert judge(flow, flow.triggers[0], context(upstream), NOW).fires is expected


def test_preconditions_over_several_flows_wait_for_all_in_a_window() -> None:
    extra = (
        "    preconditions:\n      id: p\n      flows:\n"
        "        - namespace: company.team\n          flowId: etl\n"
        "        - namespace: company.team\n          flowId: load\n"
        "      timeWindow:\n        type: DURATION_WINDOW\n        window: PT6H"
    )
    flow = parse_flow(LISTENER.format(extra=extra))
    assert flow.triggers is not None
    verdict = judge(flow, flow.triggers[0], context(), NOW)
    assert (verdict.fires, verdict.needs, verdict.matched) == (False, ("flows[0]", "flows[1]"), ("flows[0]",))
    assert verdict.window is not None
    assert verdict.window.since == datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # 09:15 is in 06:00-12:00
    assert (
        verdict.window.key.endswith("/company.team/listener/on_etl/p/2026-06-01T06:00:00Z")
        or "p/2026-06-01T06" in verdict.window.key
    )
    other = Upstream("company.team", "nobody", "SUCCESS", {}, {})
    assert judge(flow, flow.triggers[0], context(other), NOW).matched == ()


MONDAY_FIRST = "2026-03-02T09:00:00+01:00"  # the first Monday of March 2026
MONDAY_LAST = "2026-03-30T09:00:00+02:00"
SATURDAY = "2026-03-07T23:30:00+01:00"


@pytest.mark.parametrize(
    ("condition", "date", "expected"),
    [
        ({"type": CORE + "DayWeek", "dayOfWeek": "MONDAY"}, MONDAY_FIRST, True),
        ({"type": CORE + "DayWeek", "dayOfWeek": "TUESDAY"}, MONDAY_FIRST, False),
        ({"type": CORE + "DayWeekInMonth", "dayOfWeek": "MONDAY", "dayInMonth": "FIRST"}, MONDAY_FIRST, True),
        ({"type": CORE + "DayWeekInMonth", "dayOfWeek": "MONDAY", "dayInMonth": "FIRST"}, MONDAY_LAST, False),
        ({"type": CORE + "DayWeekInMonth", "dayOfWeek": "MONDAY", "dayInMonth": "LAST"}, MONDAY_LAST, True),
        ({"type": CORE + "Weekend"}, SATURDAY, True),
        ({"type": CORE + "Weekend"}, MONDAY_FIRST, False),
        ({"type": CORE + "DateTimeBetween", "after": "2026-03-01T00:00:00Z"}, MONDAY_FIRST, True),
        (
            {"type": CORE + "DateTimeBetween", "before": "2026-03-02T08:00:00Z"},
            MONDAY_FIRST,
            True,
        ),  # inclusive
        ({"type": CORE + "DateTimeBetween", "before": "2026-03-02T07:59:59Z"}, MONDAY_FIRST, False),
        ({"type": CORE + "TimeBetween", "after": "08:00:00", "before": "10:00:00"}, MONDAY_FIRST, True),
        ({"type": CORE + "TimeBetween", "after": "23:00:00"}, MONDAY_FIRST, False),
        ({"type": CORE + "TimeBetween", "before": "09:00:00+00:00"}, MONDAY_FIRST, True),  # 08:00 UTC
        (
            {"type": CORE + "DayWeek", "dayOfWeek": "MONDAY", "date": "{{ trigger.other }}"},
            MONDAY_FIRST,
            None,
        ),
        ({"type": CORE + "PublicHoliday", "country": "FR"}, "2026-07-14T09:00:00+02:00", True),
        ({"type": CORE + "PublicHoliday", "country": "FR"}, MONDAY_FIRST, False),
        ({"type": CORE + "PublicHoliday", "country": "XX"}, MONDAY_FIRST, None),
    ],
)
def test_schedule_conditions_look_at_the_scheduled_date(
    condition: dict[str, Any], date: str, expected: bool | None
) -> None:
    scheduled = context(upstream=None, trigger={"date": date})
    if expected is None:
        with pytest.raises(ConditionError):
            evaluate(condition, scheduled)
    else:
        assert evaluate(condition, scheduled) is expected
