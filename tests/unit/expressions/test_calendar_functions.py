"""Kestra 1.x calendar functions: weekends, public holidays, weekday positions, fields and comparisons."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.expressions import ExpressionError, Renderer


def _context() -> dict[str, Any]:
    return {
        "monday": datetime(2025, 1, 6, 9, 15, tzinfo=UTC),
        "late": datetime(2025, 1, 5, 23, 30, tzinfo=UTC),
        "paris": datetime(2025, 1, 6, 0, 30, tzinfo=ZoneInfo("Europe/Paris")),
        "naive": datetime(2025, 1, 4, 18, 0),
        "day": date(2025, 7, 14),
        "epoch": 1736150400,  # 2025-01-06T08:00:00Z
    }


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # isWeekend
        ("{{ isWeekend('2025-01-04') }}", "true"),
        ("{{ isWeekend('2025-01-05T23:59:59Z') }}", "true"),
        ("{{ isWeekend('2025-01-06') }}", "false"),
        ("{{ isWeekend(monday) }}", "false"),
        ("{{ isWeekend(naive) }}", "true"),
        ("{{ isWeekend(date=late) }}", "true"),
        # dayOfWeek, dayOfMonth, monthOfYear, hourOfDay: the fields as written, not converted to UTC
        ("{{ dayOfWeek('2025-01-06') }}", "MONDAY"),
        ("{{ dayOfWeek('2025-01-06T00:30:00+02:00') }}", "MONDAY"),
        ("{{ dayOfWeek('2025-01-05T23:30:00-05:00') }}", "SUNDAY"),
        ("{{ dayOfWeek('2025-01-06T00:30:00+01:00[Europe/Paris]') }}", "MONDAY"),
        ("{{ dayOfWeek(paris) }}", "MONDAY"),
        ("{{ dayOfWeek(late) }}", "SUNDAY"),
        ("{{ dayOfWeek(day) }}", "MONDAY"),
        ("{{ dayOfWeek(epoch) }}", "MONDAY"),
        ("{{ dayOfMonth('2025-01-31T23:00:00-10:00') }}", "31"),
        ("{{ dayOfMonth(monday) + 1 }}", "7"),
        ("{{ monthOfYear('2025-12-31T23:00:00-10:00') }}", "12"),
        ("{{ monthOfYear(day) }}", "7"),
        ("{{ hourOfDay('2025-01-06T14:30:00+02:00') }}", "14"),
        ("{{ hourOfDay('2025-01-06T14:30:00Z') }}", "14"),
        ("{{ hourOfDay('2025-01-06T14:30:00') }}", "14"),
        ("{{ hourOfDay(paris) }}", "0"),
        ("{{ hourOfDay(monday) }}", "9"),
        # isDayWeekInMonth
        ("{{ isDayWeekInMonth('2025-01-06', 'MONDAY', 'FIRST') }}", "true"),
        ("{{ isDayWeekInMonth('2025-01-13', 'monday', 'second') }}", "true"),
        ("{{ isDayWeekInMonth('2025-01-13', 'MONDAY', 'FIRST') }}", "false"),
        ("{{ isDayWeekInMonth('2025-01-16', 'THURSDAY', 'THIRD') }}", "true"),
        ("{{ isDayWeekInMonth('2025-01-28', 'TUESDAY', 'FOURTH') }}", "true"),
        ("{{ isDayWeekInMonth('2025-01-28', 'TUESDAY', 'LAST') }}", "true"),
        ("{{ isDayWeekInMonth('2025-01-27', 'MONDAY', 'FOURTH') }}", "true"),
        ("{{ isDayWeekInMonth('2025-01-27', 'MONDAY', 'LAST') }}", "true"),
        ("{{ isDayWeekInMonth('2025-01-20', 'MONDAY', 'LAST') }}", "false"),
        ("{{ isDayWeekInMonth('2025-01-31', 'FRIDAY', 'LAST') }}", "true"),
        ("{{ isDayWeekInMonth('2025-01-06', 'TUESDAY', 'FIRST') }}", "false"),
        ("{{ isDayWeekInMonth(monday, 'MONDAY', 'FIRST') }}", "true"),
        # isLastWorkingDay
        ("{{ isLastWorkingDay('2025-01-31') }}", "true"),
        ("{{ isLastWorkingDay('2025-01-30') }}", "false"),
        ("{{ isLastWorkingDay('2025-05-30') }}", "true"),
        ("{{ isLastWorkingDay('2025-05-31') }}", "false"),
        ("{{ isLastWorkingDay('2025-05-31', 'MONDAY,SATURDAY') }}", "true"),
        ("{{ isLastWorkingDay('2025-05-26', 'monday tuesday') }}", "false"),
        ("{{ isLastWorkingDay('2025-05-27', 'monday, tuesday') }}", "true"),
        ("{{ isLastWorkingDay('2025-05-30', '') }}", "true"),
        # isPublicHoliday
        ("{{ isPublicHoliday('2025-07-14', 'FR') }}", "true"),
        ("{{ isPublicHoliday(day, 'fr') }}", "true"),
        ("{{ isPublicHoliday('2025-07-15', 'FR') }}", "false"),
        ("{{ isPublicHoliday('2025-12-25T10:00:00Z', 'US') }}", "true"),
        ("{{ isPublicHoliday('2025-11-27', 'US') }}", "true"),
        ("{{ isPublicHoliday('2025-01-06', 'DE') }}", "false"),
        ("{{ isPublicHoliday('2025-01-06', 'DE', 'DE-BY') }}", "true"),
        ("{{ isPublicHoliday('2025-01-06', 'DE', 'by') }}", "true"),
        ("{{ isPublicHoliday('2025-01-06', 'DE', 'Bayern') }}", "true"),
        ("{{ isPublicHoliday('2025-01-06', 'DE', '') }}", "false"),
        ("{{ isPublicHoliday('2025-03-17', 'GB', 'NIR') }}", "true"),
        ("{{ isPublicHoliday('2025-03-17', 'GB', 'ENG') }}", "false"),
        # isDateBefore, isDateAfter, isDateBetween: instants; no offset is UTC; bounds are exclusive
        ("{{ isDateBefore('2025-01-01', '2025-01-02') }}", "true"),
        ("{{ isDateBefore('2025-01-02', '2025-01-01') }}", "false"),
        ("{{ isDateBefore('2025-01-01T10:00:00Z', '2025-01-01T10:00:00Z') }}", "false"),
        ("{{ isDateBefore('2025-01-01T10:00:00+02:00', '2025-01-01T09:00:00Z') }}", "true"),
        ("{{ isDateBefore(monday, '2025-01-06T09:15:01Z') }}", "true"),
        ("{{ isDateAfter('2025-01-01T10:00:00', '2025-01-01T09:59:59Z') }}", "true"),
        ("{{ isDateAfter('2025-01-01T10:00:00Z', '2025-01-01T10:00:00Z') }}", "false"),
        ("{{ isDateAfter(paris, late) }}", "false"),
        (
            "{{ isDateBetween('2026-03-01T00:00:00Z', '2025-12-31T23:59:59Z', '2026-06-30T23:59:59Z') }}",
            "true",
        ),
        (
            "{{ isDateBetween('2025-12-31T23:59:59Z', '2025-12-31T23:59:59Z', '2026-06-30T23:59:59Z') }}",
            "false",
        ),
        (
            "{{ isDateBetween('2026-06-30T23:59:59Z', '2025-12-31T23:59:59Z', '2026-06-30T23:59:59Z') }}",
            "false",
        ),
        ("{{ isDateBetween(monday, '2025-01-06T11:00:00+02:00', '2025-01-06T10:30:00+01:00') }}", "true"),
    ],
)
def test_calendar_functions(renderer: Renderer, template: str, expected: str) -> None:
    assert renderer.render(template, _context()) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ dayOfMonth('2025-01-31') }}", 31),
        ("{{ monthOfYear('2025-01-31') }}", 1),
        ("{{ hourOfDay('2025-01-31T07:00:00Z') }}", 7),
        ("{{ dayOfWeek('2025-01-31') }}", "FRIDAY"),
        ("{{ isWeekend('2025-01-31') }}", False),
    ],
)
def test_calendar_function_types(renderer: Renderer, template: str, expected: Any) -> None:
    value = renderer.render_typed(template, _context())
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ isWeekend() }}", "The 'isWeekend()' function expects a 'date' argument."),
        ("{{ dayOfWeek(null) }}", "The 'dayOfWeek()' function expects a 'date' argument."),
        (
            "{{ dayOfMonth('soon') }}",
            "The 'dayOfMonth()' function could not parse 'date': Text 'soon' could not be parsed as a date",
        ),
        (
            "{{ hourOfDay('2025-13-01T00:00:00Z') }}",
            "The 'hourOfDay()' function could not parse 'date': "
            "Text '2025-13-01T00:00:00Z' could not be parsed: month must be in 1..12",
        ),
        (
            "{{ isDayWeekInMonth('2025-01-06', 'MONDAY') }}",
            "The 'isDayWeekInMonth()' function expects a 'position' argument.",
        ),
        (
            "{{ isDayWeekInMonth('2025-01-06', 'MON', 'FIRST') }}",
            "The 'isDayWeekInMonth()' function received an invalid 'dayOfWeek' value: 'MON'. "
            "Expected one of: MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY.",
        ),
        (
            "{{ isDayWeekInMonth('2025-01-06', 'MONDAY', 'FIFTH') }}",
            "The 'isDayWeekInMonth()' function received an invalid 'position' value: 'FIFTH'. "
            "Expected one of: FIRST, SECOND, THIRD, FOURTH, LAST.",
        ),
        (
            "{{ isLastWorkingDay('2025-01-31', 'MONDAY,FUNDAY') }}",
            "The 'isLastWorkingDay()' function received an invalid 'workingDays' value: 'FUNDAY'. "
            "Expected one of: MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY.",
        ),
        (
            "{{ isPublicHoliday('2025-01-06') }}",
            "The 'isPublicHoliday()' function expects a 'countryCode' argument.",
        ),
        (
            "{{ isPublicHoliday('2025-01-06', 'XX') }}",
            "The 'isPublicHoliday()' function received an unsupported 'countryCode' value: 'XX'. "
            "Expected an ISO 3166-1 alpha-2 code such as 'US' or 'FR'.",
        ),
        (
            "{{ isPublicHoliday('2025-01-06', 'GB', 'GB-XYZ') }}",
            "The 'isPublicHoliday()' function received an unsupported 'subDivision' value: 'GB-XYZ' "
            "for the country 'GB'. Expected one of: ENG, NIR, SCT, WLS.",
        ),
        ("{{ isDateBefore('2025-01-01') }}", "The 'isDateBefore()' function expects a 'reference' argument."),
        (
            "{{ isDateAfter('2025-01-01', 'later') }}",
            "The 'isDateAfter()' function could not parse 'reference': "
            "Text 'later' could not be parsed as a date",
        ),
        (
            "{{ isDateBetween('2025-01-01', '2024-01-01') }}",
            "The 'isDateBetween()' function expects a 'before' argument.",
        ),
    ],
)
def test_calendar_function_errors(renderer: Renderer, template: str, message: str) -> None:
    with pytest.raises(ExpressionError) as error:
        renderer.render(template, _context())
    assert error.value.message == message
