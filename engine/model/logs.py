"""A log line of an execution, as Kestra's LogEntry."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct


class LogEntry(Struct, frozen=True):
    execution_id: str
    level: str
    message: str
    timestamp: datetime
    task_run_id: str | None = None
    task_id: str | None = None
    attempt_number: int | None = None


LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")


def level_rank(level: str) -> int:
    """A level's place in LEVELS; an unknown one counts as INFO."""
    return LEVELS.index(level) if level in LEVELS else LEVELS.index("INFO")


class LogPurge(Struct, frozen=True):
    """A deletion of an execution's log lines (Kestra's delete by execution): those written up to `before`
    that match every filter given."""

    before: datetime
    min_level: str | None = None
    task_run_id: str | None = None
    task_id: str | None = None
    attempt: int | None = None
    levels: frozenset[str] | None = None  # these levels only (log.PurgeLogs' `logLevels`)

    def removes(self, entry: LogEntry) -> bool:
        return (
            entry.timestamp <= self.before
            and (self.levels is None or entry.level in self.levels)
            and (self.min_level is None or level_rank(entry.level) >= level_rank(self.min_level))
            and (self.task_run_id is None or entry.task_run_id == self.task_run_id)
            and (self.task_id is None or entry.task_id == self.task_id)
            and (self.attempt is None or entry.attempt_number == self.attempt)
        )


def kept(entries: list[LogEntry], purges: list[LogPurge]) -> list[LogEntry]:
    return [entry for entry in entries if not any(purge.removes(entry) for purge in purges)]


def with_live(committed: list[LogEntry], live: list[LogEntry]) -> list[LogEntry]:
    """The committed lines, then the lines a worker wrote while its attempt ran (in their order) of each
    attempt with no committed line yet: once the attempt's result is merged, its lines replace them."""
    reported = {(entry.task_run_id, entry.attempt_number) for entry in committed}
    return committed + [e for e in live if (e.task_run_id, e.attempt_number) not in reported]
