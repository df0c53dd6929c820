"""Schedule triggers on the real pipeline: EventBridge Scheduler's schedules (fired by the local
scheduler) wake the dispatcher, which starts one execution per date (issue 14)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from engine.model.execution import Execution
from engine.services.messages import Tick, TickMode, schedule_tick
from infra.embedded.clock import VirtualClock
from infra.embedded.local import LocalKite
from infra.embedded.server import LocalServer
from tests.functional.faults import on_every_function, twice

START = datetime(2026, 6, 1, 10, 0, 30, tzinfo=UTC)

EVERY_MINUTE = """id: minutely
namespace: demo
tasks:
  - id: when
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.date }} {{ schedule.previous }}"
triggers:
  - id: every_minute
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * *"
    recoverMissedSchedules: RECOVERY
"""


def _executions(kite: LocalKite, flow_id: str) -> list[Execution]:
    return sorted(kite.services.store.search("demo", flow_id), key=lambda e: str(_date(e)))


def _date(execution: Execution) -> str:
    assert execution.trigger is not None
    return str(execution.trigger["variables"]["date"])


def _until(kite: LocalKite, predicate: Callable[[], bool]) -> None:
    assert kite.pump is not None
    kite.pump.run_until(predicate)


def _settled(kite: LocalKite) -> None:
    """Everything due delivered, the clock left where it is (waiting for a far timer would let the
    schedules fire on)."""
    pump = kite.pump
    assert pump is not None
    pump.run_until(lambda: not pump.ready())


@pytest.mark.parametrize("faulty", [False, True])
def test_a_cron_starts_one_execution_per_minute_with_its_dates(faulty: bool) -> None:
    wrap = on_every_function(twice) if faulty else {}
    with LocalKite(start=START, inline_budget=0, wrap=wrap) as kite:
        kite.deploy(EVERY_MINUTE.replace("RECOVERY", "ALL"))
        _until(kite, lambda: len(_executions(kite, "minutely")) == 3)
        _settled(kite)
        executions = _executions(kite, "minutely")
        assert [_date(e) for e in executions] == [
            "2026-06-01T10:01:00+00:00",
            "2026-06-01T10:02:00+00:00",
            "2026-06-01T10:03:00+00:00",
        ]
        first = kite.wait(executions[0].id)
    assert first.state.current.value == "SUCCESS"
    assert first.task_runs.of_task("when")[0].outputs == {
        "value": "2026-06-01T10:01:00+00:00 2026-06-01T10:00:00+00:00"
    }
    assert first.trigger is not None and first.trigger["variables"]["next"] == "2026-06-01T10:02:00+00:00"
    assert first.label_map()["system.from"] == "trigger"


def test_a_tick_delivered_twice_and_a_recovery_for_the_same_date_start_one_execution() -> None:
    with LocalKite(start=START, inline_budget=0) as kite:
        kite.deploy(EVERY_MINUTE.replace("RECOVERY", "ALL"))
        _settled(kite)
        assert kite.clock.now() < datetime(2026, 6, 1, 10, 1, tzinfo=UTC)
        assert isinstance(kite.clock, VirtualClock)
        kite.clock.advance_to(datetime(2026, 6, 1, 10, 1, 5, tzinfo=UTC))
        date = datetime(2026, 6, 1, 10, 1, tzinfo=UTC)
        clock = Tick("demo", "minutely", "every_minute", TickMode.CLOCK, date)
        recover = Tick("demo", "minutely", "every_minute", TickMode.RECOVER)
        bus = kite.services.bus
        bus.send(
            [schedule_tick(clock, "first"), schedule_tick(clock, "again"), schedule_tick(recover, "now")]
        )
        _settled(kite)
        assert [_date(e) for e in _executions(kite, "minutely")] == ["2026-06-01T10:01:00+00:00"]


@pytest.mark.parametrize(("recovery", "expected"), [("NONE", 0), ("LAST", 1), ("ALL", 10)])
def test_enabling_a_trigger_again_recovers_what_it_missed_as_it_says(recovery: str, expected: int) -> None:
    with LocalKite(start=START, inline_budget=0) as kite:
        kite.deploy(EVERY_MINUTE.replace("RECOVERY", recovery))
        _until(kite, lambda: len(_executions(kite, "minutely")) == 1)  # 10:01
        _settled(kite)
        kite.services.triggers.set_enabled("demo", "minutely", "every_minute", False)
        # Ten minutes pass with the trigger disabled: 10:02 to 10:11.
        _until(kite, lambda: kite.clock.now() >= datetime(2026, 6, 1, 10, 11, tzinfo=UTC))
        _settled(kite)
        assert isinstance(kite.clock, VirtualClock)
        kite.clock.advance_to(datetime(2026, 6, 1, 10, 11, 30, tzinfo=UTC))
        assert len(_executions(kite, "minutely")) == 1
        kite.services.triggers.set_enabled("demo", "minutely", "every_minute", True)
        _settled(kite)
        assert kite.clock.now() < datetime(2026, 6, 1, 10, 12, tzinfo=UTC)
        recovered = _executions(kite, "minutely")[1:]
    assert len(recovered) == expected
    if recovery == "LAST":
        assert _date(recovered[0]) == "2026-06-01T10:11:00+00:00"
    if recovery == "ALL":
        assert [_date(e)[11:16] for e in recovered] == [f"10:{m:02d}" for m in range(2, 12)]


def test_a_backfill_over_one_day_of_quarter_hours_starts_96_executions() -> None:
    source = """id: quarterly
namespace: demo
tasks:
  - id: when
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.date }} {{ inputs.kind }}"
inputs:
  - id: kind
    type: STRING
    defaults: live
triggers:
  - id: quarter
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "*/15 * * * *"
"""
    with LocalKite(start=START, inline_budget=500) as kite:
        kite.deploy(source)
        _settled(kite)
        kite.services.schedules.backfill(
            "demo",
            "quarterly",
            "quarter",
            start=datetime(2026, 5, 1, tzinfo=UTC),
            end=datetime(2026, 5, 1, 23, 59, 59, tzinfo=UTC),
            inputs={"kind": "backfill"},
            labels=(("backfill", "may-1"),),
        )
        _settled(kite)
        executions = [e for e in _executions(kite, "quarterly") if e.label_map().get("backfill") == "may-1"]
        assert kite.clock.now() < datetime(2026, 6, 1, 10, 15, tzinfo=UTC)
        state = kite.services.schedules.state("demo", "quarterly", "quarter")
    assert len(executions) == 96
    assert _date(executions[0]) == "2026-05-01T00:00:00+00:00"
    assert _date(executions[-1]) == "2026-05-01T23:45:00+00:00"
    expected = [datetime(2026, 5, 1, tzinfo=UTC) + timedelta(minutes=15 * i) for i in range(96)]
    assert [_date(e) for e in executions] == [d.isoformat() for d in expected]
    assert all(e.inputs == {"kind": "backfill"} and e.state.current.value == "SUCCESS" for e in executions)
    assert state is not None and state.backfill is None


def test_kite_serve_fast_forward_fires_schedules_on_its_virtual_clock() -> None:
    with LocalKite(start=START) as kite, LocalServer(kite, "127.0.0.1", 0, jump=True):
        kite.deploy(EVERY_MINUTE.replace("RECOVERY", "ALL"))
        deadline = time.monotonic() + 20
        while len(_executions(kite, "minutely")) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        dates = [_date(e) for e in _executions(kite, "minutely")][:3]
    assert dates == [
        "2026-06-01T10:01:00+00:00",
        "2026-06-01T10:02:00+00:00",
        "2026-06-01T10:03:00+00:00",
    ]
