"""Schedule dates as Kestra computes them (spec part 1 §9.2; DST as cron-utils, Kestra's cron library)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.flow.schedule import Cron, ScheduleError, trigger_variables

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("cron", "start", "expected"),
    [
        # Spring forward (29 March 2026, 02:00 → 03:00): 02:30 does not exist, so that day has no firing.
        (
            "30 2 * * *",
            datetime(2026, 3, 27, 12, tzinfo=PARIS),
            ["2026-03-28T02:30:00+01:00", "2026-03-30T02:30:00+02:00"],
        ),
        (
            "30 1 * * *",
            datetime(2026, 3, 28, 12, tzinfo=PARIS),
            ["2026-03-29T01:30:00+01:00", "2026-03-30T01:30:00+02:00"],
        ),
        # Fall back (25 October 2026, 03:00 → 02:00): 02:30 happens twice; a daily cron fires once.
        (
            "30 2 * * *",
            datetime(2026, 10, 24, 12, tzinfo=PARIS),
            ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"],
        ),
        (
            "30 1 * * *",
            datetime(2026, 10, 24, 12, tzinfo=PARIS),
            ["2026-10-25T01:30:00+02:00", "2026-10-26T01:30:00+01:00"],
        ),
        # An hourly-or-faster cron fires in both occurrences of the repeated hour.
        (
            "*/30 * * * *",
            datetime(2026, 10, 25, 1, 45, tzinfo=PARIS),
            [
                "2026-10-25T02:00:00+02:00",
                "2026-10-25T02:30:00+02:00",
                "2026-10-25T02:00:00+01:00",
                "2026-10-25T02:30:00+01:00",
            ],
        ),
    ],
)
def test_dates_across_daylight_saving_changes(cron: str, start: datetime, expected: list[str]) -> None:
    dates = Cron.parse(cron, "Europe/Paris").upcoming(start, len(expected))
    assert [d.isoformat() for d in dates] == expected


def test_a_day_of_quarter_hours_is_96_dates() -> None:
    start, end = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC)
    dates = Cron.parse("*/15 * * * *").upcoming(start - timedelta(seconds=1), 100)
    within = [d for d in dates if d < end]
    assert len(within) == 96
    assert (within[0], within[-1]) == (start, datetime(2026, 6, 1, 23, 45, tzinfo=UTC))


@pytest.mark.parametrize(
    ("nickname", "after", "expected"),
    [
        ("@hourly", datetime(2026, 1, 1, 5, 10, tzinfo=UTC), datetime(2026, 1, 1, 6, tzinfo=UTC)),
        ("@daily", datetime(2026, 1, 1, 5, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)),
        ("@weekly", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 4, tzinfo=UTC)),  # a Sunday
        ("@monthly", datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)),
        ("@yearly", datetime(2026, 1, 15, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
def test_nicknames(nickname: str, after: datetime, expected: datetime) -> None:
    assert Cron.parse(nickname).next(after) == expected


def test_seconds_come_first_with_with_seconds() -> None:
    cron = Cron.parse("30 * * * * *", with_seconds=True)
    assert cron.next(datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC)) == datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cron", "zone", "seconds"),
    [
        ("* * * *", None, False),
        ("61 * * * *", None, False),
        ("* * * * *", "Mars/Olympus", False),
        ("* * * * *", None, True),
    ],
)
def test_what_kestra_refuses(cron: str, zone: str | None, seconds: bool) -> None:
    with pytest.raises(ScheduleError):
        Cron.parse(cron, zone, with_seconds=seconds)


def test_trigger_variables_are_the_date_and_its_neighbours_with_their_offset() -> None:
    cron = Cron.parse("0 9 * * MON", "Europe/Paris")
    date = cron.next(datetime(2026, 3, 20, tzinfo=PARIS))
    assert trigger_variables(cron, date) == {
        "date": "2026-03-23T09:00:00+01:00",
        "next": "2026-03-30T09:00:00+02:00",
        "previous": "2026-03-16T09:00:00+01:00",
    }
