"""Schedule triggers' wakes on EventBridge Scheduler: the schedules a flow's save leaves (on moto), the
cron() EventBridge is given, and the local scheduler firing them with their scheduled time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.flow.schedule import Cron, OnDates
from engine.ports import Wake
from infra.aws.trigger_wakes import EVERY_MINUTE, EventBridgeTriggerWakes, aws_expression
from infra.embedded.clock import VirtualClock
from infra.embedded.pump import Pump, PumpTimeoutError
from infra.embedded.stack import EmbeddedStack
from tests.infra.test_pump import DISPATCHER, WORKER, Recorder

START = datetime(2026, 3, 1, 8, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cron", "seconds", "expected"),
    [
        ("* * * * *", False, "cron(* * * * ? *)"),
        ("*/15 * * * *", False, "cron(0/15 * * * ? *)"),
        ("0 9 * * 1-5", False, "cron(0 9 ? * MON,TUE,WED,THU,FRI *)"),
        ("0 9 * * 0,7", False, "cron(0 9 ? * SUN *)"),
        ("0 9 * * MON", False, "cron(0 9 ? * MON *)"),
        ("30 2 1 */2 *", False, "cron(30 2 1 1/2 ? *)"),
        ("@daily", False, "cron(0 0 * * ? *)"),
        ("0 0 * * * *", True, "cron(0 * * * ? *)"),
        # What EventBridge cannot say wakes the tick every minute.
        ("*/10 * * * * *", True, EVERY_MINUTE),
        ("0 9 1 * MON", False, EVERY_MINUTE),
        ("0 9 * * 1#2", False, EVERY_MINUTE),
        ("0 9 L * *", False, EVERY_MINUTE),
        ("0 9 * * */2", False, EVERY_MINUTE),
    ],
)
def test_a_cron_becomes_eventbridge_s_or_a_wake_every_minute(cron: str, seconds: bool, expected: str) -> None:
    assert aws_expression(Cron.parse(cron, "Europe/Paris", with_seconds=seconds)) == expected


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    with VirtualClock(START) as clock:
        yield clock


@pytest.fixture
def stack(clock: VirtualClock) -> Iterator[EmbeddedStack]:
    with EmbeddedStack(clock=clock) as stack:
        yield stack


def _schedules(stack: EmbeddedStack) -> dict[str, dict[str, Any]]:
    scheduler = stack.session.scheduler
    group = stack.settings.schedule_group
    names = [s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]]
    return {name: dict(scheduler.get_schedule(Name=name, GroupName=group)) for name in names}


def test_a_flow_s_wakes_are_created_changed_and_deleted(stack: EmbeddedStack) -> None:
    wakes = EventBridgeTriggerWakes(stack.session, stack.settings)
    daily = Wake("daily", Cron.parse("30 2 * * *", "Europe/Paris"))
    dates = Wake("dates", OnDates.parse(["2026-06-01T12:00:00Z", "2026-06-02T12:00:00Z"]))
    wakes.set("demo", "etl", [daily, dates])
    created = _schedules(stack)
    assert len(created) == 3
    recurring = [s for s in created.values() if s["ScheduleExpression"].startswith("cron(")]
    assert [(s["ScheduleExpression"], s["ScheduleExpressionTimezone"]) for s in recurring] == [
        ("cron(30 2 * * ? *)", "Europe/Paris")
    ]
    body = json.loads(recurring[0]["Target"]["Input"])
    assert body == {
        "kind": "ScheduleTick",
        "namespace": "demo",
        "flowId": "etl",
        "triggerId": "daily",
        "mode": "CLOCK",
        "scheduled": "<aws.scheduler.scheduled-time>",
    }
    assert recurring[0]["Target"]["Arn"] == stack.settings.timer_queue_arn
    wakes.set("demo", "etl", [Wake("daily", Cron.parse("0 3 * * *", "UTC"))])
    (changed,) = _schedules(stack).values()
    assert (changed["ScheduleExpression"], changed["ScheduleExpressionTimezone"]) == (
        "cron(0 3 * * ? *)",
        "UTC",
    )
    wakes.set("demo", "other", [daily])
    wakes.set("demo", "etl", [])
    assert len(_schedules(stack)) == 1  # the other flow's


def test_the_local_scheduler_fires_a_cron_at_each_time_with_that_time(
    stack: EmbeddedStack, clock: VirtualClock
) -> None:
    EventBridgeTriggerWakes(stack.session, stack.settings).set(
        "demo", "etl", [Wake("quarter", Cron.parse("*/15 * * * *"))]
    )
    dispatcher = Recorder()
    pump = Pump(stack, clock, {DISPATCHER: dispatcher, WORKER: Recorder()})
    assert pump.idle()  # a recurring schedule never runs out: nothing waits for it
    pump.run_until(lambda: len(dispatcher.records) == 3, timeout_s=10)
    assert [b["scheduled"] for b in dispatcher.bodies()] == [
        "2026-03-01T08:15:00Z",
        "2026-03-01T08:30:00Z",
        "2026-03-01T08:45:00Z",
    ]
    assert clock.now() < START + timedelta(minutes=45)


def test_without_recurring_schedules_nothing_fires_by_itself(
    stack: EmbeddedStack, clock: VirtualClock
) -> None:
    """`kite run` runs a flow once: its Schedule triggers stay quiet."""
    EventBridgeTriggerWakes(stack.session, stack.settings).set(
        "demo", "etl", [Wake("m", Cron.parse("* * * * *"))]
    )
    dispatcher = Recorder()
    pump = Pump(stack, clock, {DISPATCHER: dispatcher, WORKER: Recorder()}, recurring=False)
    with pytest.raises(PumpTimeoutError, match="nothing left"):
        pump.run_until(lambda: False, timeout_s=5)
    assert dispatcher.records == []
