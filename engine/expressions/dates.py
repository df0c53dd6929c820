"""Java ``DateTimeFormatter`` patterns and Kestra's date conversion rules (AbstractDate), on ``datetime``."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.expressions.errors import EvalError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MONTHS = [calendar.month_name[i] for i in range(1, 13)]
_DAYS = [calendar.day_name[i] for i in range(7)]  # Monday first

PRESETS: dict[str, str] = {
    "iso": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "iso_sec": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "sql": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "sql_seq": "yyyy-MM-dd HH:mm:ss",
}

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


def _zone_id(zone: tzinfo, dt: datetime) -> str:
    if isinstance(zone, ZoneInfo):
        return zone.key
    return _offset(dt, "XXX") if dt.utcoffset() else "Z"


# ---------------------------------------------------------------------------------------------------------
# Pattern compilation


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> tuple[tuple[str, str, int], ...]:
    """Split a DateTimeFormatter pattern into ('lit', text, 0) and ('field', letter, count) items."""
    items: list[tuple[str, str, int]] = []
    index = 0
    length = len(pattern)
    while index < length:
        char = pattern[index]
        if char == "'":
            end = index + 1
            text: list[str] = []
            while end < length:
                if pattern[end] == "'":
                    if end + 1 < length and pattern[end + 1] == "'":
                        text.append("'")
                        end += 2
                        continue
                    break
                text.append(pattern[end])
                end += 1
            else:
                raise EvalError(f"Pattern ends with an incomplete string literal: {pattern}")
            items.append(("lit", "".join(text) if end > index + 1 else "'", 0))
            index = end + 1
            continue
        if char in "[]{}#":
            if char in "{}#":
                raise EvalError(f"Pattern includes reserved character: '{char}'")
            index += 1
            continue
        if ("a" <= char <= "z") or ("A" <= char <= "Z"):
            end = index
            while end < length and pattern[end] == char:
                end += 1
            count = end - index
            if char not in "GuyYDMLdQqwWEecFaBhKkHmsSAnNVvzOXxZp":
                raise EvalError(f"Unknown pattern letter: {char}")
            items.append(("field", char, count))
            index = end
            continue
        items.append(("lit", char, 0))
        index += 1
    return tuple(items)


def _pad(value: int, width: int) -> str:
    text = str(abs(value)).zfill(width)
    return ("-" + text) if value < 0 else text


def _offset(dt: datetime, spec: str) -> str:
    offset = dt.utcoffset() or timedelta(0)
    total = int(offset.total_seconds())
    letter, count = spec[0], len(spec)
    if total == 0:
        if letter == "X":
            return "Z"
        if letter == "Z" and count == 5:
            return "Z"
        if letter == "Z" and count == 4:
            return "GMT"
        if letter == "O":
            return "GMT"
    sign = "-" if total < 0 else "+"
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if letter == "O":
        if count == 1:
            text = f"GMT{sign}{hours}"
            return text + (f":{minutes:02d}" if minutes or seconds else "")
        return f"GMT{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")
    if letter == "Z":
        if count <= 3:
            return f"{sign}{hours:02d}{minutes:02d}"
        if count == 4:
            return f"GMT{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")
        return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")
    # X / x
    if count == 1:
        return f"{sign}{hours:02d}" + (f"{minutes:02d}" if minutes else "")
    if count == 2:
        return f"{sign}{hours:02d}{minutes:02d}"
    if count == 3:
        return f"{sign}{hours:02d}:{minutes:02d}"
    if count == 4:
        return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def _text(value: str, count: int) -> str:
    if count == 4:
        return value
    if count == 5:
        return value[0]
    return value[:3]


def _field(dt: datetime, letter: str, count: int, zone: tzinfo) -> str:
    if letter in "yu":
        year = dt.year
        if count == 2:
            return f"{year % 100:02d}"
        return _pad(year, count)
    if letter == "Y":
        year = dt.isocalendar()[0]
        return f"{year % 100:02d}" if count == 2 else _pad(year, count)
    if letter in "ML":
        if count >= 3:
            return _text(_MONTHS[dt.month - 1], count)
        return _pad(dt.month, count)
    if letter == "d":
        return _pad(dt.day, count)
    if letter == "D":
        return _pad(dt.timetuple().tm_yday, count)
    if letter in "Qq":
        quarter = (dt.month - 1) // 3 + 1
        if count == 3:
            return f"Q{quarter}"
        if count == 4:
            return ["1st", "2nd", "3rd", "4th"][quarter - 1] + " quarter"
        return _pad(quarter, count)
    if letter == "w":
        return _pad(dt.isocalendar()[1], count)
    if letter == "W":
        return _pad((dt.day - 1 + date(dt.year, dt.month, 1).weekday()) // 7 + 1, count)
    if letter == "F":
        return _pad((dt.day - 1) // 7 + 1, count)
    if letter == "E" or (letter in "ec" and count >= 3):
        return _text(_DAYS[dt.weekday()], count)
    if letter in "ec":
        return _pad((dt.weekday() + 1) % 7 + 1, count)
    if letter == "a":
        return "AM" if dt.hour < 12 else "PM"
    if letter == "B":
        return "in the morning" if dt.hour < 12 else "in the afternoon"
    if letter == "H":
        return _pad(dt.hour, count)
    if letter == "k":
        return _pad(dt.hour or 24, count)
    if letter == "h":
        return _pad(dt.hour % 12 or 12, count)
    if letter == "K":
        return _pad(dt.hour % 12, count)
    if letter == "m":
        return _pad(dt.minute, count)
    if letter == "s":
        return _pad(dt.second, count)
    if letter == "S":
        if count > 9:
            raise EvalError("Too many pattern letters: S")
        return f"{dt.microsecond * 1000:09d}"[:count]
    if letter == "n":
        return _pad(dt.microsecond * 1000, count)
    if letter == "A":
        millis = ((dt.hour * 60 + dt.minute) * 60 + dt.second) * 1000 + dt.microsecond // 1000
        return _pad(millis, count)
    if letter == "N":
        nanos = ((dt.hour * 60 + dt.minute) * 60 + dt.second) * 1_000_000_000 + dt.microsecond * 1000
        return _pad(nanos, count)
    if letter == "G":
        return "Anno Domini" if count == 4 else ("A" if count == 5 else "AD")
    if letter == "V":
        return _zone_id(zone, dt)
    if letter in "zv":
        return dt.tzname() or "Z"
    if letter in "OXxZ":
        return _offset(dt, letter * count)
    if letter == "p":
        return ""
    raise EvalError(f"Unknown pattern letter: {letter}")


def _format_iso(dt: datetime, name: str, zone: tzinfo, explicit_zone: bool) -> str | None:
    micro = dt.microsecond
    fraction = f".{micro:06d}".rstrip("0") if micro else ""
    local_date = dt.strftime("%Y-%m-%d")
    local_time = dt.strftime("%H:%M:%S") + fraction
    offset = _offset(dt, "XXXXX")
    region = f"[{zone.key}]" if isinstance(zone, ZoneInfo) and explicit_zone else ""
    table = {
        "iso_date_time": f"{local_date}T{local_time}{offset}{region}",
        "iso_zoned_date_time": f"{local_date}T{local_time}{offset}{region}",
        "iso_offset_date_time": f"{local_date}T{local_time}{offset}",
        "iso_date": f"{local_date}{offset}",
        "iso_time": f"{local_time}{offset}",
        "iso_local_date": local_date,
        "iso_local_time": local_time,
        "iso_local_date_time": f"{local_date}T{local_time}",
        "iso_offset_date": f"{local_date}{offset}",
        "iso_offset_time": f"{local_time}{offset}",
        "iso_instant": (dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"),
        "iso_ordinal_date": f"{dt.year:04d}-{dt.timetuple().tm_yday:03d}{offset}",
        "iso_week_date": f"{dt.isocalendar()[0]:04d}-W{dt.isocalendar()[1]:02d}-{dt.isoweekday()}{offset}",
        "basic_iso_date": dt.strftime("%Y%m%d") + ("Z" if offset == "Z" else offset.replace(":", "")),
        "rfc_1123_date_time": (
            f"{_DAYS[dt.weekday()][:3]}, {dt.day} {_MONTHS[dt.month - 1][:3]} {dt.year} "
            f"{dt.strftime('%H:%M:%S')} {'GMT' if offset == 'Z' else offset.replace(':', '')}"
        ),
    }
    return table.get(name)


_STYLES = {
    "full": "EEEE, MMMM d, y 'at' h:mm:ss a zzzz",
    "long": "MMMM d, y 'at' h:mm:ss a z",
    "medium": "MMM d, y, h:mm:ss a",
    "short": "M/d/yy, h:mm a",
}


def format_datetime(dt: datetime, fmt: str, zone: tzinfo, explicit_zone: bool = False) -> str:
    iso = (
        _format_iso(dt, fmt.lower(), zone, explicit_zone)
        if fmt.lower().startswith(("iso", "rfc", "basic"))
        else None
    )
    if iso is not None:
        return iso
    pattern = PRESETS.get(fmt) or _STYLES.get(fmt) or fmt
    parts: list[str] = []
    for kind, value, count in compile_pattern(pattern):
        parts.append(value if kind == "lit" else _field(dt, value, count, zone))
    return "".join(parts)


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


_MONTH_INDEX = {name.lower(): i + 1 for i, name in enumerate(_MONTHS)} | {
    name[:3].lower(): i + 1 for i, name in enumerate(_MONTHS)
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
