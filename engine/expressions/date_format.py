"""Java ``DateTimeFormatter`` patterns written out for ``datetime`` (the `date` filter, `now()`)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from engine.expressions.errors import EvalError

MONTHS = [calendar.month_name[i] for i in range(1, 13)]
DAYS = [calendar.day_name[i] for i in range(7)]  # Monday first

PRESETS: dict[str, str] = {
    "iso": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "iso_sec": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "sql": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "sql_seq": "yyyy-MM-dd HH:mm:ss",
}


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
            return _text(MONTHS[dt.month - 1], count)
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
        return _text(DAYS[dt.weekday()], count)
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
            f"{DAYS[dt.weekday()][:3]}, {dt.day} {MONTHS[dt.month - 1][:3]} {dt.year} "
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
