"""A log line of an execution, as Kestra's LogEntry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class LogEntry:
    execution_id: str
    level: str
    message: str
    timestamp: datetime
    task_run_id: str | None = None
    task_id: str | None = None
    attempt_number: int | None = None
