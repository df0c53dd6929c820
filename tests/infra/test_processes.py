"""The worker's process runner: lines heard as they come, and a deadline that holds however the process
behaves."""

from __future__ import annotations

import time

from engine.resources import ProcessResult
from infra.system.processes import LocalProcesses


class Heard:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str, float]] = []
        self.idles = 0
        self._start = time.monotonic()

    def line(self, stream: str, text: str) -> None:
        self.lines.append((stream, text, time.monotonic() - self._start))

    def idle(self) -> None:
        self.idles += 1


def _sh(script: str, timeout: float, heard: Heard | None = None) -> tuple[ProcessResult, float]:
    started = time.monotonic()
    result = LocalProcesses().run(
        ["/bin/sh", "-c", script], env={}, files={}, outputs=[], timeout=timeout, listener=heard
    )
    return result, time.monotonic() - started


def test_lines_are_heard_as_they_come_in_order_with_idle_ticks_between() -> None:
    heard = Heard()
    result, _ = _sh("echo one; echo two >&2; sleep 1.5; printf 'three'", 10, heard)
    assert [(stream, text) for stream, text, _ in heard.lines] == [
        ("stdout", "one"),
        ("stderr", "two"),
        ("stdout", "three"),  # the last line, though it has no newline
    ]
    assert heard.lines[0][2] < 1.0 < heard.lines[2][2]  # "one" came before the sleep ended
    assert heard.idles >= 1
    assert result.stdout == ("one", "three") and result.stderr == ("two",)


def test_a_process_past_its_timeout_is_stopped() -> None:
    result, took = _sh("echo started; sleep 30", 1)
    assert result.timed_out and result.stdout == ("started",)
    assert took < 10


def test_a_process_that_closes_its_output_and_runs_on_is_stopped_too() -> None:
    result, took = _sh("exec >/dev/null 2>&1; sleep 30", 1)
    assert result.timed_out
    assert took < 10


def test_the_exit_code_comes_back() -> None:
    result, _ = _sh("echo bye; exit 3", 10)
    assert result.exit_code == 3 and not result.timed_out


def test_what_a_script_leaves_running_in_the_background_does_not_hold_it() -> None:
    result, took = _sh("sleep 30 & echo done", 60)
    assert result.exit_code == 0 and result.stdout == ("done",) and not result.timed_out
    assert took < 10


def test_a_last_line_without_newline_is_kept_when_the_background_holds_the_output() -> None:
    result, _ = _sh("sleep 30 & printf 'no newline'", 60)
    assert result.stdout == ("no newline",)
