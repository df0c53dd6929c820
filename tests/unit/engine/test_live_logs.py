"""An attempt's lines written while it runs: nothing for a quick task, then a chunk every few seconds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from engine.memory.clock import ManualClock
from engine.model.logs import LogEntry
from engine.runtime.live_logs import FLUSH_AFTER, LiveLogs

START = datetime(2026, 1, 1, tzinfo=UTC)


def _line(text: str) -> LogEntry:
    return LogEntry("exec", "INFO", text, START, "run", "task", 0)


def test_lines_wait_then_go_in_numbered_chunks() -> None:
    clock = ManualClock(START)
    written: list[tuple[int, list[str]]] = []
    live = LiveLogs(lambda chunk, lines: written.append((chunk, [e.message for e in lines])), clock)
    live.add(_line("a"))
    clock.advance(timedelta(seconds=1))
    live.add(_line("b"))
    live.tick()
    assert written == []  # a task that ends now wrote nothing here
    clock.advance(FLUSH_AFTER)
    live.tick()
    live.add(_line("c"))
    clock.advance(FLUSH_AFTER)
    live.add(_line("d"))
    assert written == [(1, ["a", "b"]), (2, ["c", "d"])]


def test_a_failed_write_keeps_the_lines_for_the_next_chunk() -> None:
    clock = ManualClock(START)
    written: list[tuple[int, list[str]]] = []
    failures = [True]

    def write(chunk: int, lines: Sequence[LogEntry]) -> None:
        if failures and failures.pop():
            raise ConnectionError("throttled")
        written.append((chunk, [e.message for e in lines]))

    live = LiveLogs(write, clock)
    clock.advance(FLUSH_AFTER)
    live.add(_line("a"))
    live.add(_line("b"))
    assert written == [(1, ["a", "b"])]
