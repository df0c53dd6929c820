"""Kestra 1.x calendar functions: ``isWeekend``, ``isPublicHoliday``, ``isDayWeekInMonth``, ``dayOfWeek``,
``dayOfMonth``, ``monthOfYear``, ``hourOfDay``, ``isDateBefore``, ``isDateAfter``, ``isDateBetween`` and
``isLastWorkingDay``.

A date argument accepts what the ``date`` filter accepts. Like Kestra, the calendar fields are read as
written: ``2025-01-06T00:30:00+02:00`` is a Monday even though it is a Sunday in UTC. Comparisons are
made between instants; a date or datetime without an offset is UTC.

Public holidays come from the ``holidays`` package where Kestra uses Jollyday; the two calendars agree
on fixed and Easter-based holidays but may differ on observed (moved) days.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from engine.expressions import dates
from engine.expressions.errors import EvalError
from engine.expressions.state import RenderState
from engine.expressions.values import java_string

DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_POSITIONS = ("FIRST", "SECOND", "THIRD", "FOURTH")
_WEEKEND = frozenset({5, 6})
_WORKING_DAYS = frozenset(range(5))
_WRITTEN_ZONE = re.compile(
    r"[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
    r"(?P<offset>[Zz]|[+-]\d{2}(?::?\d{2}){0,2})?(?:\[(?P<region>[^\]]+)\])?\s*$"
)


def _written_zone(text: str) -> tzinfo:
    """The zone a date string is written in, so that its fields are read as written (UTC if none)."""
    match = _WRITTEN_ZONE.search(text)
    if match is None:
        return UTC
    name = match.group("region") or match.group("offset")
    return dates.zone_of(name.upper() if name in ("z", "Z") else name)


def _required(function: str, **arguments: Any) -> None:
    for name, value in arguments.items():
        if value is None:
            raise EvalError(f"The '{function}()' function expects a '{name}' argument.")


def _local(value: Any, function: str, name: str = "date") -> datetime:
    _required(function, **{name: value})
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        return dates.to_datetime(value, _written_zone(value) if isinstance(value, str) else UTC)
    except EvalError as exc:
        raise EvalError(f"The '{function}()' function could not parse '{name}': {exc.message}") from exc


def _instant(value: Any, function: str, name: str) -> datetime:
    _required(function, **{name: value})
    try:
        return dates.to_datetime(value, UTC)
    except EvalError as exc:
        raise EvalError(f"The '{function}()' function could not parse '{name}': {exc.message}") from exc


def _weekday(value: Any, function: str, name: str) -> int:
    text = java_string(value).strip().upper()
    if text not in DAYS:
        raise EvalError(
            f"The '{function}()' function received an invalid '{name}' value: '{java_string(value)}'. "
            f"Expected one of: {', '.join(DAYS)}."
        )
    return DAYS.index(text)


# -- calendar fields -----------------------------------------------------------------------------------------


def fn_day_of_week(state: RenderState, date: Any = None) -> str:
    return DAYS[_local(date, "dayOfWeek").weekday()]


def fn_day_of_month(state: RenderState, date: Any = None) -> int:
    return _local(date, "dayOfMonth").day


def fn_month_of_year(state: RenderState, date: Any = None) -> int:
    return _local(date, "monthOfYear").month


def fn_hour_of_day(state: RenderState, date: Any = None) -> int:
    return _local(date, "hourOfDay").hour


def fn_is_weekend(state: RenderState, date: Any = None) -> bool:
    return _local(date, "isWeekend").weekday() in _WEEKEND


def fn_is_day_week_in_month(
    state: RenderState, date: Any = None, dayOfWeek: Any = None, position: Any = None
) -> bool:
    _required("isDayWeekInMonth", date=date, dayOfWeek=dayOfWeek, position=position)
    day = _local(date, "isDayWeekInMonth").date()
    weekday = _weekday(dayOfWeek, "isDayWeekInMonth", "dayOfWeek")
    wanted = java_string(position).strip().upper()
    if wanted == "LAST":
        return day.weekday() == weekday and day.day + 7 > calendar.monthrange(day.year, day.month)[1]
    if wanted not in _POSITIONS:
        raise EvalError(
            f"The 'isDayWeekInMonth()' function received an invalid 'position' value: "
            f"'{java_string(position)}'. Expected one of: FIRST, SECOND, THIRD, FOURTH, LAST."
        )
    return day.weekday() == weekday and (day.day - 1) // 7 == _POSITIONS.index(wanted)


def fn_is_last_working_day(state: RenderState, date: Any = None, workingDays: Any = None) -> bool:
    day = _local(date, "isLastWorkingDay").date()
    working = _working_days(workingDays)
    if day.weekday() not in working:
        return False
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    while last.weekday() not in working:
        last -= timedelta(days=1)
    return day == last


def _working_days(value: Any) -> frozenset[int]:
    text = "" if value is None else java_string(value).strip()
    if not text:
        return _WORKING_DAYS
    return frozenset(
        _weekday(part, "isLastWorkingDay", "workingDays") for part in re.split(r"[,\s]+", text) if part
    )


# -- comparisons ---------------------------------------------------------------------------------------------


def fn_is_date_before(state: RenderState, date: Any = None, reference: Any = None) -> bool:
    _required("isDateBefore", date=date, reference=reference)
    return _instant(date, "isDateBefore", "date") < _instant(reference, "isDateBefore", "reference")


def fn_is_date_after(state: RenderState, date: Any = None, reference: Any = None) -> bool:
    _required("isDateAfter", date=date, reference=reference)
    return _instant(date, "isDateAfter", "date") > _instant(reference, "isDateAfter", "reference")


def fn_is_date_between(state: RenderState, date: Any = None, after: Any = None, before: Any = None) -> bool:
    moment = _instant(date, "isDateBetween", "date")
    lower = _instant(after, "isDateBetween", "after")
    upper = _instant(before, "isDateBetween", "before")
    return lower < moment < upper


# -- public holidays -----------------------------------------------------------------------------------------


def fn_is_public_holiday(
    state: RenderState, date: Any = None, countryCode: Any = None, subDivision: Any = None
) -> bool:
    _required("isPublicHoliday", date=date, countryCode=countryCode)
    day = _local(date, "isPublicHoliday").date()
    country = java_string(countryCode).strip().upper()
    subdivision = None if subDivision is None else java_string(subDivision).strip()
    return day in _holidays(country, subdivision or None, day.year)


@lru_cache(maxsize=128)
def _holidays(country: str, subdivision: str | None, year: int) -> Any:
    import holidays  # takes 0.3 s: only imported when a render asks for a holiday

    try:
        national = holidays.country_holidays(country, years=year)
    except NotImplementedError as exc:
        raise EvalError(
            f"The 'isPublicHoliday()' function received an unsupported 'countryCode' value: '{country}'. "
            "Expected an ISO 3166-1 alpha-2 code such as 'US' or 'FR'."
        ) from exc
    if subdivision is None:
        return national
    return holidays.country_holidays(country, subdiv=_subdivision(national, country, subdivision), years=year)


def _subdivision(national: Any, country: str, subdivision: str) -> str:
    """Accept ISO 3166-2 (``DE-BY``) as well as the bare code (``BY``) or name, in any case."""
    wanted = subdivision.upper().removeprefix(f"{country}-")
    known: dict[str, str] = {
        code.upper(): code for code in (*national.subdivisions, *national.subdivisions_aliases)
    }
    if wanted not in known:
        raise EvalError(
            f"The 'isPublicHoliday()' function received an unsupported 'subDivision' value: '{subdivision}' "
            f"for the country '{country}'. Expected one of: {', '.join(national.subdivisions)}."
        )
    return known[wanted]
