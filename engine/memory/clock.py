"""Clocks for tests: time only moves when the test says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at!r}: clocks are timezone-aware UTC")
    return at.astimezone(UTC)


class FixedClock:
    """Always the same instant."""

    def __init__(self, at: datetime) -> None:
        self._at = _utc(at)

    def now(self) -> datetime:
        return self._at

    def sleep_until(self, at: datetime) -> None:
        if at > self._at:
            raise RuntimeError(f"a fixed clock never reaches {at.isoformat()}")


class ManualClock:
    """An instant the test sets or moves forward."""

    def __init__(self, at: datetime) -> None:
        self._at = _utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _utc(at)

    def sleep_until(self, at: datetime) -> None:
        self._at = max(self._at, _utc(at))

    def advance(self, delta: timedelta) -> None:
        self._at += delta
