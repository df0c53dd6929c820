"""Clocks for the embedded stack.

`VirtualClock` moves the process's time itself (time-machine), not just the engine's view of it: moto
reads the same clock for SQS delays and visibility timeouts, so a fast-forward releases delayed messages
exactly as waiting would have.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import TracebackType

import time_machine

from infra.system.clock import SystemClock

__all__ = ["SystemClock", "VirtualClock"]


class VirtualClock:
    """Process-wide fake time from `start`, ticking with real time when `tick`; use as a context manager."""

    def __init__(self, start: datetime, *, tick: bool = True) -> None:
        self._travel = time_machine.travel(start, tick=tick)
        self._traveller: time_machine.Traveller | None = None

    def __enter__(self) -> VirtualClock:
        self._traveller = self._travel.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._travel.stop()
        self._traveller = None

    def now(self) -> datetime:
        return datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        if self._traveller is None:
            raise RuntimeError("VirtualClock is not running: use it as a context manager")
        self._traveller.shift(delta)

    def sleep_until(self, at: datetime) -> None:
        self.advance_to(at)

    def advance_to(self, at: datetime) -> None:
        """Jump to `at`; never backwards."""
        delta = at - self.now()
        if delta > timedelta(0):
            self.advance(delta)
