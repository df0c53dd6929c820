"""The real clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep_until(self, at: datetime) -> None:
        while (left := (at - self.now()).total_seconds()) > 0:
            time.sleep(left)
