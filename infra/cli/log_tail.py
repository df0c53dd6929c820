"""`kite run --logs`: an execution's log lines printed as they come, a script's among them while it runs."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from contextlib import suppress

from engine.model.logs import LogEntry, level_rank
from infra.cli.text import printable

# How often the lines are read while the execution runs; a worker writes a running attempt's lines every 2 s.
_INTERVAL_S = 0.5


def log_line(entry: LogEntry) -> str:
    return f"  [{entry.level}] {entry.task_id or '-'}: {printable(entry.message)}"


class LogTail:
    """Reads the lines on a thread of its own (the pump's thread is inside the worker while a script runs)
    and shows each new one of `min_level` and above once.

    A running attempt's lines are a preview that its result's lines replace; the result's begin with the
    same lines in the same order. So what was shown is counted per attempt, and only the lines past that
    count are new."""

    def __init__(
        self,
        read: Callable[[], list[LogEntry]],
        show: Callable[[list[str]], None],
        min_level: str,
        interval_s: float = _INTERVAL_S,
    ) -> None:
        self._read = read
        self._interval_s = interval_s
        self._show = show
        self._min_rank = level_rank(min_level)
        self._shown: Counter[tuple[str | None, int | None]] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kite-log-tail", daemon=True)

    def __enter__(self) -> LogTail:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.poll()

    def poll(self) -> None:
        with self._lock:
            counted: Counter[tuple[str | None, int | None]] = Counter()
            fresh: list[str] = []
            for entry in self._read():
                attempt = (entry.task_run_id, entry.attempt_number)
                counted[attempt] += 1
                if counted[attempt] > self._shown[attempt]:
                    self._shown[attempt] = counted[attempt]
                    if level_rank(entry.level) >= self._min_rank:
                        fresh.append(log_line(entry))
            if fresh:
                self._show(fresh)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            # A read that fails (a server's blip) is tried again at the next poll; the last one, when the
            # tail is left, raises.
            with suppress(Exception):
                self.poll()
