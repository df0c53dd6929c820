"""`kite schedule FLOW.yaml`: the next firing dates, their trigger.* values and the conditions that skip
them (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.cli.main import main

FLOW = """id: nightly
namespace: demo
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.date }}"
triggers:
  - id: first_monday
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 9 * * MON"
    timezone: Europe/Paris
    conditions:
      - type: io.kestra.plugin.core.condition.DayWeekInMonth
        dayOfWeek: MONDAY
        dayInMonth: FIRST
  - id: at_half_past_two
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "30 2 * * *"
    timezone: Europe/Paris
"""


def test_dates_with_their_neighbours_and_skips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = tmp_path / "nightly.yaml"
    flow.write_text(FLOW)
    code = main(
        ["schedule", str(flow), "--trigger", "first_monday", "--count", "2", "--from", "2026-03-01T00:00"]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == "first_monday: 0 9 * * MON in Europe/Paris"
    # trigger.next and trigger.previous skip what the conditions skip.
    assert out[1] == (
        "  2026-03-02T09:00:00+01:00  next 2026-04-06T09:00:00+02:00  previous 2026-02-02T09:00:00+01:00"
    )
    assert out[2].endswith("skipped by DayWeekInMonth")


def test_the_spring_forward_day_has_no_half_past_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "nightly.yaml"
    flow.write_text(FLOW)
    main(
        [
            "schedule",
            str(flow),
            "--trigger",
            "at_half_past_two",
            "--count",
            "2",
            "--from",
            "2026-03-28T12:00+01:00",
        ]
    )
    dates = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert dates == ["2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00"]


def test_a_bad_cron_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = tmp_path / "bad.yaml"
    flow.write_text(FLOW.replace('"30 2 * * *"', '"61 2 * * *"'))
    assert main(["schedule", str(flow), "--trigger", "at_half_past_two"]) == 2
    assert "Invalid cron expression" in capsys.readouterr().err
    assert main(["schedule", str(flow), "--trigger", "nope"]) == 2


ON_DATES = """id: dated
namespace: demo
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.date }}"
triggers:
  - id: release_days
    type: io.kestra.plugin.core.trigger.ScheduleOnDates
    timezone: Europe/Paris
    dates:
      - 2026-06-01T09:00:00
      - 2026-07-01T09:00:00+00:00
      - 2026-05-01T09:00:00
"""


def test_schedule_on_dates_lists_the_dates_still_to_come(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "dated.yaml"
    flow.write_text(ON_DATES)
    assert main(["schedule", str(flow), "--from", "2026-05-15T00:00:00+00:00"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "release_days: 3 dates"
    assert (
        out[1]
        == "  2026-06-01T09:00:00+02:00  next 2026-07-01T09:00:00+00:00  previous 2026-05-01T09:00:00+02:00"
    )
    assert out[2] == "  2026-07-01T09:00:00+00:00  next none  previous 2026-06-01T09:00:00+02:00"
