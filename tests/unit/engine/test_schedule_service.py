"""The scheduler's decisions on the in-memory adapters: which dates start executions, when a date waits,
what a recovery keeps (issue 14). The test plays EventBridge Scheduler: it sets the clock and ticks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.memory.resources import in_memory_resources
from engine.memory.runner import InMemoryRunner
from engine.model.execution import Execution
from engine.resources import HttpClient, HttpResponse
from engine.services.messages import Tick, TickMode
from engine.services.schedules import TickReport

PARIS = ZoneInfo("Europe/Paris")


def _flow(cron: str, *, extra: str = "", tasks: str = "") -> str:
    return f"""id: sched
namespace: demo
tasks:
  - id: when
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ trigger.date }}}}"
{tasks}triggers:
  - id: clock
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "{cron}"
{extra}"""


def _runner(source: str, at: datetime, http: HttpClient | None = None) -> InMemoryRunner:
    runner = InMemoryRunner(resources=in_memory_resources(http=http))
    runner.clock.set(at)
    runner.deploy(source)
    runner.drain_now()  # the recovery tick a save sends: the trigger starts from its next date
    return runner


def _wake(runner: InMemoryRunner, at: datetime) -> None:
    """EventBridge Scheduler firing for `at`."""
    runner.clock.set(max(runner.clock.now(), at))
    runner.services.schedules.tick(Tick("demo", "sched", "clock", TickMode.CLOCK, at))
    runner.drain_now()


def _dates(runner: InMemoryRunner) -> list[str]:
    executions: list[Execution] = runner.services.store.search("demo", "sched")
    return sorted(str((e.trigger or {})["variables"]["date"]) for e in executions)


def test_paris_dst_days_fire_as_kestra_fires() -> None:
    """Spring forward (29 March 2026): 02:30 does not exist, that day has none; 01:30 fires. Fall back
    (25 October 2026): 02:30 comes twice, it fires once, at the summer offset; 01:30 is not repeated."""
    for cron, expected in [
        (
            "30 2 * * *",
            [
                "2026-03-28T02:30:00+01:00",
                "2026-03-30T02:30:00+02:00",
                "2026-10-24T02:30:00+02:00",
                "2026-10-25T02:30:00+02:00",
                "2026-10-26T02:30:00+01:00",
            ],
        ),
        (
            "30 1 * * *",
            [
                "2026-03-28T01:30:00+01:00",
                "2026-03-29T01:30:00+01:00",
                "2026-03-30T01:30:00+02:00",
                "2026-10-24T01:30:00+02:00",
                "2026-10-25T01:30:00+02:00",
                "2026-10-26T01:30:00+01:00",
            ],
        ),
    ]:
        fired: list[str] = []
        for first_day, last_day in [(datetime(2026, 3, 28), 3), (datetime(2026, 10, 24), 3)]:
            start = first_day.replace(tzinfo=PARIS) - timedelta(hours=1)
            runner = _runner(_flow(cron, extra="    timezone: Europe/Paris\n"), start)
            at = start
            while at < start + timedelta(days=last_day):
                at += timedelta(minutes=30)
                _wake(runner, at)
            fired += _dates(runner)
        assert fired == expected, cron


def test_a_date_waits_while_the_last_execution_runs_then_starts() -> None:
    pause = "  - id: hold\n    type: io.kestra.plugin.core.flow.Pause\n"
    runner = _runner(_flow("* * * * *", tasks=pause), datetime(2026, 6, 1, 10, 0, 30, tzinfo=UTC))
    _wake(runner, datetime(2026, 6, 1, 10, 1, tzinfo=UTC))
    _wake(runner, datetime(2026, 6, 1, 10, 2, tzinfo=UTC))
    _wake(runner, datetime(2026, 6, 1, 10, 3, tzinfo=UTC))
    assert _dates(runner) == ["2026-06-01T10:01:00+00:00"]  # paused: the others wait
    (first,) = runner.services.store.search("demo", "sched")
    runner.services.executions.resume(first.id)
    runner.drain_now()  # its end releases 10:02, whose pause holds 10:03 in turn
    assert _dates(runner) == ["2026-06-01T10:01:00+00:00", "2026-06-01T10:02:00+00:00"]


def test_conditions_skip_a_date_and_say_why() -> None:
    weekend = "    conditions:\n      - type: io.kestra.plugin.core.condition.Weekend\n"
    runner = _runner(_flow("0 9 * * *", extra=weekend), datetime(2026, 6, 4, 12, tzinfo=UTC))  # Thursday
    runner.clock.set(datetime(2026, 6, 5, 9, 0, 1, tzinfo=UTC))
    report = runner.services.schedules.tick(
        Tick("demo", "sched", "clock", TickMode.CLOCK, datetime(2026, 6, 5, 9, tzinfo=UTC))
    )
    assert report.started is None
    assert report.skipped == ((datetime(2026, 6, 5, 9, tzinfo=UTC), "skipped by Weekend"),)
    runner.clock.set(datetime(2026, 6, 6, 9, 0, 1, tzinfo=UTC))
    _wake(runner, datetime(2026, 6, 6, 9, tzinfo=UTC))
    (saturday,) = runner.services.store.search("demo", "sched")
    assert saturday.trigger is not None
    # trigger.previous and trigger.next skip what the conditions skip.
    assert saturday.trigger["variables"] == {
        "date": "2026-06-06T09:00:00+00:00",
        "next": "2026-06-07T09:00:00+00:00",
        "previous": "2026-05-31T09:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("recovery", "expected"),
    [
        ("ALL", ["10:01", "10:02", "10:03", "10:04", "10:05"]),
        ("LAST", ["10:01", "10:04", "10:05"]),
        ("NONE", ["10:01", "10:05"]),
    ],
)
def test_an_outage_seen_by_the_next_wake_is_recovered_as_the_trigger_says(
    recovery: str, expected: list[str]
) -> None:
    runner = _runner(
        _flow("* * * * *", extra=f"    recoverMissedSchedules: {recovery}\n"),
        datetime(2026, 6, 1, 10, 0, 30, tzinfo=UTC),
    )
    _wake(runner, datetime(2026, 6, 1, 10, 1, tzinfo=UTC))
    # 10:02 to 10:04 never woke it (an outage); 10:05 does.
    _wake(runner, datetime(2026, 6, 1, 10, 5, tzinfo=UTC))
    assert [d[11:16] for d in _dates(runner)] == expected


def test_schedule_on_dates_fires_each_date_once() -> None:
    source = """id: sched
namespace: demo
tasks:
  - id: when
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.date }}"
triggers:
  - id: clock
    type: io.kestra.plugin.core.trigger.ScheduleOnDates
    timezone: Europe/Paris
    dates:
      - 2026-06-01T12:00:00
      - 2026-06-02T12:00:00+02:00
"""
    runner = _runner(source, datetime(2026, 5, 31, tzinfo=UTC))
    (wake,) = runner.wakes.wakes[("demo", "sched")]
    assert wake.trigger_id == "clock"
    for day in (1, 1, 2, 3):
        _wake(runner, datetime(2026, 6, day, 10, tzinfo=UTC))
    assert _dates(runner) == ["2026-06-01T12:00:00+02:00", "2026-06-02T12:00:00+02:00"]
    variables = [(e.trigger or {})["variables"] for e in runner.services.store.search("demo", "sched")]
    assert {v["next"] for v in variables} == {"2026-06-02T12:00:00+02:00", None}


def test_a_disabled_flow_has_no_wakes_and_starts_nothing() -> None:
    runner = _runner(_flow("* * * * *") + "disabled: true\n", datetime(2026, 6, 1, 10, 0, 30, tzinfo=UTC))
    assert ("demo", "sched") not in runner.wakes.wakes
    _wake(runner, datetime(2026, 6, 1, 10, 1, tzinfo=UTC))
    assert _dates(runner) == []


def test_stop_after_disables_the_trigger_when_its_execution_ends_so() -> None:
    fail = "  - id: boom\n    type: io.kestra.plugin.core.execution.Fail\n"
    runner = _runner(
        _flow("* * * * *", tasks=fail, extra="    stopAfter: [FAILED]\n"),
        datetime(2026, 6, 1, 10, 0, 30, tzinfo=UTC),
    )
    _wake(runner, datetime(2026, 6, 1, 10, 1, tzinfo=UTC))
    _wake(runner, datetime(2026, 6, 1, 10, 2, tzinfo=UTC))
    assert _dates(runner) == ["2026-06-01T10:01:00+00:00"]
    assert runner.services.trigger_states.disabled() == {("demo", "sched", "clock"): True}


def test_an_http_trigger_polls_and_starts_when_its_response_condition_holds() -> None:
    source = """id: sched
namespace: demo
tasks:
  - id: price
    type: io.kestra.plugin.core.debug.Return
    format: "{{ json(trigger.body).price }} {{ trigger.code }}"
triggers:
  - id: clock
    type: io.kestra.plugin.core.http.Trigger
    uri: https://prices.example/products/1
    interval: PT30S
    responseCondition: "{{ json(response.body).price <= 110 }}"
"""
    prices = Prices(b'{"price": 120}')
    runner = _runner(source, datetime(2026, 6, 1, 10, 0, 10, tzinfo=UTC), prices)
    report = _poll(runner, datetime(2026, 6, 1, 10, 0, 30, tzinfo=UTC))
    assert report.skipped == (
        (datetime(2026, 6, 1, 10, 0, 30, tzinfo=UTC), "responseCondition is false (HTTP 200)"),
    )
    prices.body = b'{"price": 100}'
    # A wake a minute late evaluates the latest date alone.
    report = _poll(runner, datetime(2026, 6, 1, 10, 2, 0, tzinfo=UTC))
    assert report.started is not None and report.skipped == ()
    runner.drain_now()
    (started,) = runner.services.store.search("demo", "sched")
    assert started.trigger is not None and started.trigger["variables"]["code"] == 200
    done = runner.services.executions.get(started.id)
    assert done.task_runs.of_task("price")[0].outputs == {"value": "100 200"}


class Prices:
    """A price API whose answer the test changes."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        assert (method, url) == ("GET", "https://prices.example/products/1")
        return HttpResponse(200, {"Content-Type": "application/json"}, self.body)


def _poll(runner: InMemoryRunner, at: datetime) -> TickReport:
    runner.clock.set(at)
    return runner.services.schedules.tick(Tick("demo", "sched", "clock", TickMode.CLOCK, at))


def test_the_toggle_task_switches_another_flow_s_trigger() -> None:
    runner = _runner(_flow("* * * * *"), datetime(2026, 6, 1, 10, 0, 30, tzinfo=UTC))
    toggler = """id: toggler
namespace: demo
inputs:
  - id: on
    type: BOOLEAN
tasks:
  - id: switch
    type: io.kestra.plugin.core.trigger.Toggle
    flowId: sched
    trigger: clock
    enabled: "{{ inputs.on }}"
  - id: missing
    type: io.kestra.plugin.core.trigger.Toggle
    runIf: "{{ not inputs.on }}"
    trigger: nope
"""
    runner.deploy(toggler)
    off = runner.run("demo", "toggler", {"on": False})
    assert runner.services.trigger_states.disabled() == {("demo", "sched", "clock"): True}
    assert off.state.current.value == "FAILED"  # the second Toggle names no trigger of its flow
    _wake(runner, datetime(2026, 6, 1, 10, 1, tzinfo=UTC))
    assert _dates(runner) == []
    runner.clock.set(datetime(2026, 6, 1, 10, 2, 30, tzinfo=UTC))
    on = runner.run("demo", "toggler", {"on": True})
    assert on.state.current.value == "SUCCESS"
    assert runner.services.trigger_states.disabled() == {("demo", "sched", "clock"): False}
    # Enabled again, it recovers what it missed (ALL): 10:01 and 10:02.
    assert _dates(runner) == ["2026-06-01T10:01:00+00:00", "2026-06-01T10:02:00+00:00"]


def test_a_date_later_than_late_maximum_delay_is_skipped() -> None:
    runner = _runner(
        _flow("* * * * *", extra="    lateMaximumDelay: PT30S\n"), datetime(2026, 6, 1, 10, 0, 30, tzinfo=UTC)
    )
    runner.clock.set(datetime(2026, 6, 1, 10, 1, 45, tzinfo=UTC))  # the wake for 10:01 comes 45 s late
    report = runner.services.schedules.tick(
        Tick("demo", "sched", "clock", TickMode.CLOCK, datetime(2026, 6, 1, 10, 1, tzinfo=UTC))
    )
    assert report.skipped == (
        (datetime(2026, 6, 1, 10, 1, tzinfo=UTC), "later than its lateMaximumDelay PT30S"),
    )
    _wake(runner, datetime(2026, 6, 1, 10, 2, tzinfo=UTC))
    assert _dates(runner) == ["2026-06-01T10:02:00+00:00"]


def test_the_deprecated_backfill_property_replays_from_its_start_first() -> None:
    extra = "    backfill:\n      start: 2026-06-01T09:57:00\n"
    runner = _runner(_flow("* * * * *", extra=extra), datetime(2026, 6, 1, 10, 0, 30, tzinfo=UTC))
    assert [d[11:16] for d in _dates(runner)] == ["09:57", "09:58", "09:59", "10:00"]
    _wake(runner, datetime(2026, 6, 1, 10, 1, tzinfo=UTC))
    assert [d[11:16] for d in _dates(runner)][-1] == "10:01"
