"""Kestra's date conversion rules (AbstractDate) on ``datetime``: zones, parsing and date arithmetic.
Writing dates out is `date_format`."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.expressions.date_format import MONTHS, PRESETS, compile_pattern
from engine.expressions.errors import EvalError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# ---------------------------------------------------------------------------------------------------------
# Zones


_OFFSET_ZONE_RE = re.compile(r"^(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?$")


@lru_cache(maxsize=256)
def zone_of(name: str | None) -> tzinfo:
    if name is None or name in ("Z",):
        return UTC
    match = _OFFSET_ZONE_RE.match(name)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        delta = timedelta(
            hours=int(match.group(2)), minutes=int(match.group(3) or 0), seconds=int(match.group(4) or 0)
        )
        return timezone(sign * delta)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-/]*", name) or ".." in name:
        raise EvalError(f"Invalid ID for region-based ZoneId, invalid format: {name}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise EvalError(f"Unknown time-zone ID: {name}") from exc


# ---------------------------------------------------------------------------------------------------------
# Parsing


_ISO_RE = re.compile(
    r"^(?P<date>[+-]?\d{4,}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<time>\d{2}:\d{2}(?::\d{2}(?:[.,](?P<frac>\d{1,9}))?)?)"
    r"(?P<offset>[Zz]|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?(?:\[(?P<zone>[^\]]+)\])?)?$"
)


def _parse_iso(text: str, zone: tzinfo) -> datetime:
    match = _ISO_RE.match(text.strip())
    if match is None:
        raise EvalError(f"Text '{text}' could not be parsed as a date")
    try:
        day = date.fromisoformat(match.group("date"))
        if match.group("time") is None:
            return datetime.combine(day, time(0), zone)
        hms = match.group("time").split(":")
        seconds = hms[2].split(".")[0].split(",")[0] if len(hms) > 2 else "0"
        frac = (match.group("frac") or "").ljust(6, "0")[:6]
        local = datetime.combine(day, time(int(hms[0]), int(hms[1]), int(seconds), int(frac or 0)))
    except ValueError as exc:
        raise EvalError(f"Text '{text}' could not be parsed: {exc}") from exc
    if match.group("zone"):
        region = zone_of(match.group("zone"))
        if match.group("offset"):
            return local.replace(tzinfo=zone_of(match.group("offset"))).astimezone(region)
        return local.replace(tzinfo=region)
    if match.group("offset"):
        return local.replace(tzinfo=zone_of(match.group("offset")))
    return local.replace(tzinfo=zone)


_MONTH_INDEX = {name.lower(): i + 1 for i, name in enumerate(MONTHS)} | {
    name[:3].lower(): i + 1 for i, name in enumerate(MONTHS)
}


@lru_cache(maxsize=256)
def _parse_regex(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    seen: set[str] = set()
    for kind, value, count in compile_pattern(pattern):
        if kind == "lit":
            out.append(re.escape(value))
            continue
        group = value
        if value in "yu":
            regex = r"\d{2}" if count == 2 else (r"\d{4}" if count == 4 else r"[+-]?\d{1,9}")
            group = "y2" if count == 2 else "y"
        elif value in "ML":
            regex = r"[A-Za-z]+" if count >= 3 else (r"\d{2}" if count == 2 else r"\d{1,2}")
        elif value in "dHhKkms":
            regex = r"\d{2}" if count == 2 else r"\d{1,2}"
        elif value == "D":
            regex = r"\d{1,3}"
        elif value == "S":
            regex = rf"\d{{{count}}}"
        elif value == "n":
            regex = r"\d{1,9}"
        elif value == "a":
            regex = r"[AaPp][Mm]"
        elif value in "Ee":
            regex = r"[A-Za-z]+"
            group = "E"
        elif value in "XxZO":
            regex = r"Z|GMT|UTC|(?:GMT|UTC)?[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?"
            group = "offset"
        elif value in "Vz":
            regex = r"[A-Za-z][A-Za-z0-9_+\-/]*"
            group = "zone"
        else:
            raise EvalError(f"Unsupported pattern letter for parsing: {value}")
        if group in seen:
            out.append(f"(?:{regex})")
        else:
            seen.add(group)
            out.append(f"(?P<{group}>{regex})")
    return re.compile("^" + "".join(out) + "$")


def _parse_pattern(text: str, pattern: str, zone: tzinfo) -> datetime:
    pattern = PRESETS.get(pattern, pattern)
    if pattern.lower().startswith("iso") or pattern.lower().startswith("rfc"):
        return _parse_iso(text, zone)
    match = _parse_regex(pattern).match(text)
    if match is None:
        raise EvalError(f"Text '{text}' could not be parsed with the format '{pattern}'")
    groups = {k: v for k, v in match.groupdict().items() if v is not None}
    if "y" in groups:
        year = int(groups["y"])
    elif "y2" in groups:
        year = 2000 + int(groups["y2"])
    else:
        raise EvalError(f"Text '{text}' could not be parsed: no year in the format '{pattern}'")
    month_text = groups.get("M") or groups.get("L") or "1"
    month = int(month_text) if month_text.isdigit() else _MONTH_INDEX.get(month_text.lower(), 0)
    hour = int(groups.get("H") or groups.get("k") or 0)
    if "h" in groups or "K" in groups:
        hour = int(groups.get("h") or groups.get("K") or 0) % 12
        if groups.get("a", "AM").upper() == "PM":
            hour += 12
    micro = int((groups.get("S") or "0").ljust(6, "0")[:6])
    if "n" in groups:
        micro = int(groups["n"]) // 1000
    try:
        local = datetime(
            year,
            month,
            int(groups.get("d") or 1),
            hour,
            int(groups.get("m") or 0),
            int(groups.get("s") or 0),
            micro,
        )
    except ValueError as exc:
        raise EvalError(f"Text '{text}' could not be parsed: {exc}") from exc
    if "offset" in groups:
        raw = groups["offset"]
        return local.replace(tzinfo=UTC if raw in ("Z", "GMT", "UTC") else zone_of(raw))
    if "zone" in groups:
        return local.replace(tzinfo=zone_of(groups["zone"]))
    return local.replace(tzinfo=zone)


def to_datetime(value: Any, zone: tzinfo, existing_format: str | None = None) -> datetime:
    """Kestra ``AbstractDate.convert``: the value as an aware datetime in ``zone``."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        converted: datetime = value.astimezone(zone)
        return converted
    if isinstance(value, date):
        return datetime.combine(value, time(12), zone)
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return (EPOCH + timedelta(seconds=int(value))).astimezone(zone)
        except OverflowError as exc:
            raise EvalError(f"Epoch value out of range: {value}") from exc
    if isinstance(value, str):
        if existing_format is not None:
            return _parse_pattern(value, existing_format, zone).astimezone(zone)
        return _parse_iso(value, zone).astimezone(zone)
    raise EvalError(f"Unable to convert [{value!r}] to a date")


_UNITS = {
    "NANOS": timedelta(microseconds=0.001),
    "MICROS": timedelta(microseconds=1),
    "MILLIS": timedelta(milliseconds=1),
    "SECONDS": timedelta(seconds=1),
    "MINUTES": timedelta(minutes=1),
    "HOURS": timedelta(hours=1),
    "HALF_DAYS": timedelta(hours=12),
}
_CALENDAR_UNITS = {"DAYS": 1, "WEEKS": 7}
_MONTH_UNITS = {"MONTHS": 1, "YEARS": 12, "DECADES": 120, "CENTURIES": 1200, "MILLENNIA": 12000}


def add_to(dt: datetime, amount: int, unit: str) -> datetime:
    unit = unit.upper()
    zone = dt.tzinfo
    try:
        if unit in _UNITS:
            return (dt.astimezone(UTC) + amount * _UNITS[unit]).astimezone(zone)
        local = dt.replace(tzinfo=None)
        if unit in _CALENDAR_UNITS:
            local = local + timedelta(days=amount * _CALENDAR_UNITS[unit])
        elif unit in _MONTH_UNITS:
            months = local.year * 12 + (local.month - 1) + amount * _MONTH_UNITS[unit]
            year, month = divmod(months, 12)
            day = min(local.day, calendar.monthrange(year, month + 1)[1])
            local = local.replace(year=year, month=month + 1, day=day)
        else:
            raise EvalError(f"Unsupported unit: {unit}")
    except (OverflowError, ValueError) as exc:
        raise EvalError(f"Date out of range: {exc}") from exc
    return local.replace(tzinfo=zone)


def epoch_delta(dt: datetime) -> timedelta:
    return dt.astimezone(UTC) - EPOCH
