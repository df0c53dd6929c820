"""`kite run --logs`: each line shown once, though a running attempt's lines are a preview that its result
replaces."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.model.logs import LogEntry
from infra.cli.log_tail import LogTail

AT = datetime(2026, 1, 1, tzinfo=UTC)


def entry(message: str, level: str = "INFO", run: str | None = "r1", attempt: int | None = 0) -> LogEntry:
    return LogEntry("e1", level, message, AT, run, "script" if run else None, attempt)


def test_a_preview_then_the_result_shows_each_line_once_at_or_above_the_level() -> None:
    reads = [
        [entry("starting", run=None, attempt=None), entry("one"), entry("noise", "DEBUG")],
        # The attempt's result replaced its preview: the same lines first, then the rest.
        [
            entry("starting", run=None, attempt=None),
            entry("one"),
            entry("noise", "DEBUG"),
            entry("two"),
            entry("retried", attempt=1),
            entry("done", run=None, attempt=None),
        ],
        # Nothing new.
        [entry("starting", run=None, attempt=None), entry("one"), entry("two")],
    ]
    shown: list[list[str]] = []
    tail = LogTail(lambda: reads.pop(0), shown.append, "INFO")
    for _ in range(3):
        tail.poll()
    assert shown == [
        ["  [INFO] -: starting", "  [INFO] script: one"],
        ["  [INFO] script: two", "  [INFO] script: retried", "  [INFO] -: done"],
    ]


def test_leaving_reads_what_came_last() -> None:
    shown: list[list[str]] = []
    with LogTail(lambda: [entry("last")], shown.append, "WARN"):
        pass
    assert shown == []
    with LogTail(lambda: [entry("last", "ERROR")], shown.append, "WARN"):
        pass
    assert shown == [["  [ERROR] script: last"]]
