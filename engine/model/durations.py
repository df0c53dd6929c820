"""Java `Duration` text (`PnDTnHnMn.nS`), the only duration format Kestra accepts."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(
    r"^(?P<sign>[-+]?)P(?:(?P<days>[-+]?\d+)D)?"
    r"(?:T(?:(?P<hours>[-+]?\d+)H)?(?:(?P<minutes>[-+]?\d+)M)?(?:(?P<seconds>[-+]?\d+(?:[.,]\d{0,9})?)S)?)?$",
    re.IGNORECASE,
)


def parse_duration(text: str) -> timedelta:
    """Parse like `java.time.Duration.parse`; years, months and weeks are rejected."""
    match = _DURATION.match(text.strip())
    if not match or text.strip().upper().endswith("T") or text.strip().upper() in {"P", "-P", "+P"}:
        raise ValueError(f"Text cannot be parsed to a Duration: {text}")
    parts = match.groupdict()
    value = timedelta(
        days=int(parts["days"] or 0),
        hours=int(parts["hours"] or 0),
        minutes=int(parts["minutes"] or 0),
        seconds=float((parts["seconds"] or "0").replace(",", ".")),
    )
    return -value if parts["sign"] == "-" else value
